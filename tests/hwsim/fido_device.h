// Virtual FIDO2 authenticator reached over a Unix stream socket carrying 64-byte CTAPHID
// reports in both directions (no HID report id). One client connection at a time.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "presence.h"

namespace hwsim {

struct FidoOptions {
  std::vector<int> pin_protocols = {2, 1};
  int index = 0;
};

class Authenticator;

class FidoDevice {
 public:
  FidoDevice(std::string socket_path, std::string state_path, Presence& presence, FidoOptions opts);
  ~FidoDevice();
  bool bind_socket();
  void run(const std::atomic<bool>& stop);
  bool ready() const { return listening_; }
  std::string status() const;
  void block_pin();

 private:
  void serve_client(int fd, const std::atomic<bool>& stop);

  std::string socket_path_;
  Presence& presence_;
  std::unique_ptr<Authenticator> auth_;
  int listen_fd_ = -1;
  std::atomic<bool> listening_{false};
};

}  // namespace hwsim

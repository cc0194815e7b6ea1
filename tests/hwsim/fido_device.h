// Virtual FIDO2 authenticator reached over a Unix stream socket carrying 64-byte CTAPHID
// reports in both directions (no HID report id). Like a hidraw node, several clients may be
// connected at once; the authenticator runs one CBOR transaction at a time and answers
// CHANNEL_BUSY to the others.
#pragma once

#include <atomic>
#include <cstdint>
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
  void factory_reset();
  std::string command(const std::string& cmd, const std::string& arg);  // Authenticator::command

 private:
  void serve_client(int fd, const std::atomic<bool>& stop);

  std::string socket_path_;
  Presence& presence_;
  std::unique_ptr<Authenticator> auth_;
  int listen_fd_ = -1;
  std::atomic<bool> listening_{false};
  std::atomic<bool> busy_{false};          // a CBOR transaction is in progress
  std::atomic<int> connections_{0};        // client threads still running
  std::atomic<std::uint32_t> next_cid_{0x01000000};
  bool was_present_ = true;
};

}  // namespace hwsim

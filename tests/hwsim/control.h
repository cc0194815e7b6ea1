// Control interface of keyward-hwsim: a Unix stream socket taking one text line per connection,
// "<device> <command> [argument]", answered by one line "ok ..." or "error ...".
// `keyward-hwsim ctl` is the client. Commands are listed in docs/hwsim.md.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "presence.h"

namespace hwsim {

struct ControlDevice {
  std::string name;  // piv0, piv1, fido0, fido1
  Presence* presence = nullptr;
  std::function<bool()> ready;
  std::function<std::string()> status;
  std::function<void()> block_pin;
  // Argument of `factory-reset` (PIV: a profile name, "" = the serve profile); false when the
  // device does not accept it.
  std::function<bool(const std::string&)> factory_reset;
  // `set-mgmt-key ALG:HEX` (PIV only; empty for other devices): "" on success, else the error.
  std::function<std::string(const std::string&)> set_mgmt_key;
  // Device-specific commands (FIDO2: lie, bio, bio-enroll, finger, uv-retries): the reply, or ""
  // when `cmd` is not one of them. May be empty.
  std::function<std::string(const std::string& cmd, const std::string& arg)> command;
};

class ControlServer {
 public:
  ControlServer(std::string path, std::vector<ControlDevice> devices, std::atomic<bool>& stop)
      : path_(std::move(path)), devices_(std::move(devices)), stop_(stop) {}
  // Binds the socket; false (with errno set) on failure.
  bool bind_socket();
  // Serves until stop; each connection runs on its own thread (touch commands block).
  void run();
  // `client`: the controller's connection (-1: none), watched while a command waits.
  std::string handle(const std::string& line, int client = -1);

 private:
  std::string path_;
  std::vector<ControlDevice> devices_;
  std::atomic<bool>& stop_;
  int fd_ = -1;
  std::atomic<int> active_{0};  // connection threads still running
};

// Client side: sends `line`, returns the reply line; nullopt-like "" on connection failure.
std::string control_request(const std::string& socket_path, const std::string& line, std::string& error);

}  // namespace hwsim

#include "control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <sstream>
#include <chrono>
#include <thread>

namespace hwsim {
namespace {

bool fill_addr(const std::string& path, sockaddr_un& addr) {
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

std::string read_line(int fd) {
  std::string line;
  char c;
  while (line.size() < 4096) {
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || c == '\n') break;
    line.push_back(c);
  }
  return line;
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t w = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    off += static_cast<std::size_t>(w);
  }
}

std::optional<long> parse_ms(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (*end != '\0' || v < 0) return std::nullopt;
  return v;
}

}  // namespace

bool ControlServer::bind_socket() {
  sockaddr_un addr;
  if (!fill_addr(path_, addr)) {
    errno = ENAMETOOLONG;
    return false;
  }
  unlink(path_.c_str());
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0) return false;
  return true;
}

void ControlServer::run() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    ++active_;
    std::thread([this, c] {
      std::string reply = handle(read_line(c), c);
      write_all(c, reply + "\n");
      close(c);
      --active_;
    }).detach();
  }
  close(fd_);
  unlink(path_.c_str());
  // Wake control commands that wait for a touch request, and let their threads finish before
  // the devices they point to go away.
  for (auto& d : devices_) d.presence->shutdown();
  for (int i = 0; i < 100 && active_ > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::string ControlServer::handle(const std::string& line, int client) {
  std::istringstream in(line);
  std::string dev, cmd, arg;
  in >> dev >> cmd >> arg;
  if (dev.empty() || cmd.empty()) return "error usage: <device> <command> [argument]";

  if (dev == "all" || dev == "-") {
    if (cmd == "quit") {
      stop_ = true;
      return "ok stopping";
    }
    if (cmd == "ready") {
      std::string missing;
      for (auto& d : devices_) {
        if (!d.ready()) missing += " " + d.name;
      }
      return missing.empty() ? "ok ready" : "error not ready:" + missing;
    }
    if (cmd == "status") {
      std::string out = "ok";
      for (auto& d : devices_) out += " | " + d.name + " ready=" + (d.ready() ? "1" : "0") + " " + d.status();
      return out;
    }
    return "error unknown command for all: " + cmd;
  }

  ControlDevice* d = nullptr;
  for (auto& x : devices_) {
    if (x.name == dev) d = &x;
  }
  if (!d) {
    std::string names;
    for (auto& x : devices_) names += " " + x.name;
    return "error no device " + dev + " (have:" + names + ")";
  }
  Presence& pr = *d->presence;
  const std::chrono::milliseconds wait(parse_ms(arg).value_or(30000));
  if (cmd == "status") {
    return "ok " + d->name + " ready=" + (d->ready() ? "1" : "0") + " " + pr.status() + " " + d->status();
  }
  if (cmd == "trace") return "ok " + d->name + " " + pr.trace();
  if (cmd == "trace-reset") {
    pr.trace_reset();
    return "ok trace reset";
  }
  if (cmd == "touch" || cmd == "refuse" || cmd == "timeout") {
    Outcome o = cmd == "touch" ? Outcome::touched : cmd == "refuse" ? Outcome::refused : Outcome::timed_out;
    // A controller that hangs up (killed while it waited) withdraws its answer.
    auto gone = [client] {
      if (client < 0) return false;
      pollfd p{client, POLLRDHUP, 0};
      return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    };
    if (!pr.resolve(o, wait, gone)) return "error no touch request pending on " + d->name + " within " + std::to_string(wait.count()) + " ms";
    return "ok " + cmd;
  }
  if (cmd == "wait-touch") {  // waits until a touch is requested, without answering it
    auto start = std::chrono::steady_clock::now();
    while (!pr.pending()) {
      if (stop_ || std::chrono::steady_clock::now() - start > wait) return "error no touch request pending";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "ok pending";
  }
  if (cmd == "auto-touch") {
    if (arg == "off") {
      pr.set_auto_touch(std::nullopt);
      return "ok auto-touch off";
    }
    auto ms = parse_ms(arg);
    if (!ms) return "error auto-touch needs a delay in ms or off";
    pr.set_auto_touch(std::chrono::milliseconds(*ms));
    return "ok auto-touch " + arg + "ms";
  }
  if (cmd == "touch-timeout") {
    auto ms = parse_ms(arg);
    if (!ms || *ms == 0) return "error touch-timeout needs a positive number of ms";
    pr.set_timeout(std::chrono::milliseconds(*ms));
    return "ok touch-timeout " + arg + "ms";
  }
  if (cmd == "remove") {
    pr.remove();
    return "ok removed";
  }
  if (cmd == "insert") {
    pr.insert();
    return "ok inserted";
  }
  if (cmd == "block-pin") {
    d->block_pin();
    return "ok pin blocked";
  }
  if (cmd == "factory-reset") {
    if (!d->factory_reset(arg)) return "error factory-reset: unknown profile '" + arg + "' (PIV: 5.4 or 5.7)";
    return "ok factory state" + (arg.empty() ? std::string() : " " + arg);
  }
  if (cmd == "set-mgmt-key") {
    if (!d->set_mgmt_key) return "error " + d->name + " has no PIV management key";
    std::string err = d->set_mgmt_key(arg);
    return err.empty() ? "ok management key set" : "error " + err;
  }
  if (cmd == "misbehave") {
    std::string mode = arg, param;
    if (auto colon = arg.find(':'); colon != std::string::npos) {
      mode = arg.substr(0, colon);
      param = arg.substr(colon + 1);
    }
    std::chrono::milliseconds slow(parse_ms(param).value_or(2000));
    if (mode == "off" || mode == "none") {
      pr.set_misbehaviour(Misbehaviour::none, slow);
    } else if (mode == "wrong-sw") {
      pr.set_misbehaviour(Misbehaviour::wrong_sw, slow);
    } else if (mode == "truncate") {
      pr.set_misbehaviour(Misbehaviour::truncate, slow);
    } else if (mode == "slow") {
      pr.set_misbehaviour(Misbehaviour::slow, slow);
    } else {
      return "error misbehave needs wrong-sw | truncate | slow[:ms] | off";
    }
    return "ok misbehave " + arg;
  }
  if (d->command) {
    if (std::string r = d->command(cmd, arg); !r.empty()) return r;
  }
  return "error unknown command " + cmd;
}

std::string control_request(const std::string& socket_path, const std::string& line, std::string& error) {
  sockaddr_un addr;
  if (!fill_addr(socket_path, addr)) {
    error = "control socket path too long: " + socket_path;
    return "";
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error = "cannot connect to " + socket_path + ": " + std::strerror(errno) +
            " (is `keyward-hwsim serve` running?)";
    if (fd >= 0) close(fd);
    return "";
  }
  write_all(fd, line + "\n");
  std::string reply = read_line(fd);
  close(fd);
  if (reply.empty()) error = "no reply from " + socket_path;
  return reply;
}

}  // namespace hwsim

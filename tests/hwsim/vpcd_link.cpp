#include "vpcd_link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

namespace hwsim {
namespace {

bool read_exact(int fd, std::uint8_t* buf, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);  // not sticky: re-arm per recv
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

bool send_frame(int fd, const Bytes& payload) {
  Bytes frame;
  frame.reserve(payload.size() + 2);
  frame.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
  frame.push_back(static_cast<std::uint8_t>(payload.size()));
  frame.insert(frame.end(), payload.begin(), payload.end());
  std::size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t w = send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    sent += static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace

int VpcdLink::connect_once() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

namespace {
// For the request trace: the command's name ("VERIFY" with data, "VERIFY?" for the retry
// counter query), plus P2 where it names the object (key reference / PIN).
std::string apdu_name(const Bytes& a) {
  if (a.size() < 4) return "SHORT";
  char p2[8];
  std::snprintf(p2, sizeof p2, "%02X", a[3]);
  const bool data = a.size() > 5;
  switch (a[1]) {
    case 0xA4: return "SELECT";
    case 0x20: return data ? std::string("VERIFY(") + p2 + ")" : std::string("VERIFY?(") + p2 + ")";
    case 0x24: return std::string("CHANGE-REFERENCE(") + p2 + ")";
    case 0x2C: return "RESET-RETRY";
    case 0x87: return std::string("GENERAL-AUTHENTICATE(") + p2 + ")";
    case 0x47: return std::string("GENERATE(") + p2 + ")";
    case 0xCB: return "GET-DATA";
    case 0xDB: return "PUT-DATA";
    case 0xC0: return "GET-RESPONSE";
    case 0xF7: return std::string("GET-METADATA(") + p2 + ")";
    case 0xFD: return "GET-VERSION";
    case 0xF8: return "GET-SERIAL";
    case 0xF9: return std::string("ATTEST(") + p2 + ")";
    case 0xFF: return "SET-MGMT-KEY";
    case 0xFE: return "IMPORT";
    case 0xFB: return "RESET";
    case 0xFA: return "SET-PIN-RETRIES";
    case 0xF6: return std::string("MOVE-KEY(") + p2 + ")";
    default: break;
  }
  char b[16];
  std::snprintf(b, sizeof b, "INS-%02X", a[1]);
  return b;
}
}  // namespace

void VpcdLink::run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (!presence_.present()) {
      presence_.wait_present(std::chrono::milliseconds(200));
      continue;
    }
    int fd = connect_once();
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    connected_ = true;
    serve(fd, stop);
    close(fd);
    connected_ = false;
    ready_ = false;
    card_.reset_volatile();
    // Stay away long enough for pcscd's presence poll (every ~400 ms) to see the reader empty;
    // reconnecting sooner would let vpcd accept the new connection before pcscd noticed the
    // removal, and pcscd would never power the "new" card up.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    while (!stop && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

void VpcdLink::serve(int fd, const std::atomic<bool>& stop) {
  bool powered_up = false;
  while (!stop && presence_.present()) {
    pollfd p{fd, POLLIN, 0};
    int pr = poll(&p, 1, 200);
    if (pr < 0 && errno == EINTR) continue;
    if (pr < 0) return;
    if (pr == 0) continue;
    std::uint8_t head[2];
    if (!read_exact(fd, head, 2)) return;
    const std::size_t len = (std::size_t{head[0]} << 8) | head[1];
    if (len == 0) return;
    Bytes payload(len);
    if (!read_exact(fd, payload.data(), len)) return;
    if (len == 1) {
      switch (payload[0]) {
        case 0x00:  // power off
          if (!keep_on_power_off_) card_.reset_volatile();
          break;
        case 0x02:  // warm reset
          card_.reset_volatile();
          break;
        case 0x01:  // power on
          if (!keep_on_power_off_) card_.reset_volatile();
          powered_up = true;
          break;
        case 0x04:  // get ATR (also the presence probe)
          if (!send_frame(fd, PivCard::atr())) return;
          if (powered_up) ready_ = true;
          break;
        default: break;
      }
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto response = card_.transmit(payload);
    if (!response) return;  // pulled out mid-operation: drop the connection without a reply
    switch (presence_.misbehaviour()) {
      case Misbehaviour::wrong_sw:
        if (response->size() >= 2) {
          (*response)[response->size() - 2] = 0x6F;
          (*response)[response->size() - 1] = 0x00;
        }
        break;
      case Misbehaviour::truncate:
        if (response->size() > 1) response->pop_back();
        break;
      case Misbehaviour::slow:
        std::this_thread::sleep_for(presence_.slow_delay());
        break;
      case Misbehaviour::none: break;
    }
    if (!presence_.present()) return;
    presence_.trace_add(apdu_name(payload), std::chrono::steady_clock::now() - t0);
    if (!send_frame(fd, *response)) return;
  }
}

}  // namespace hwsim

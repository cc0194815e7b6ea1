// CTAPHID over a Unix stream socket: fixed 64-byte reports both ways (the report id byte that
// hidraw would carry is not sent). One client connection at a time; INIT allocates channels.
#include "fido_device.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <array>
#include <deque>
#include <thread>

#include "fido_auth.h"

namespace hwsim {
namespace {

constexpr std::size_t kReport = 64;
constexpr std::uint32_t kBroadcast = 0xFFFFFFFF;
constexpr std::uint8_t kPing = 0x01, kMsg = 0x03, kLock = 0x04, kInit = 0x06, kWink = 0x08, kCbor = 0x10,
                       kCancel = 0x11, kKeepalive = 0x3B, kError = 0x3F;
constexpr std::uint8_t kErrInvalidCmd = 0x01, kErrInvalidLen = 0x03, kErrInvalidSeq = 0x04,
                       kErrChannelBusy = 0x06, kErrInvalidChannel = 0x0B;
constexpr std::size_t kMaxMessage = 57 + 128 * 59;

using Report = std::array<std::uint8_t, kReport>;

std::uint32_t cid_of(const Report& r) {
  return (std::uint32_t{r[0]} << 24) | (std::uint32_t{r[1]} << 16) | (std::uint32_t{r[2]} << 8) | r[3];
}

class Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  bool open() const { return open_; }
  void close_now() { open_ = false; }

  // Reads one report; waits up to timeout_ms (-1 = forever). false on timeout or EOF.
  bool read(Report& r, int timeout_ms) {
    if (!queue_.empty()) {
      r = queue_.front();
      queue_.pop_front();
      return true;
    }
    pollfd p{fd_, POLLIN, 0};
    int pr = poll(&p, 1, timeout_ms);
    if (pr <= 0) return false;
    std::size_t got = 0;
    while (got < kReport) {
      ssize_t n = recv(fd_, r.data() + got, kReport - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open_ = false;
        return false;
      }
      got += static_cast<std::size_t>(n);
    }
    return true;
  }
  void unread(const Report& r) { queue_.push_back(r); }

  void send_message(std::uint32_t cid, std::uint8_t cmd, const Bytes& payload) {
    Report r{};
    auto put_cid = [&](Report& x) {
      x[0] = static_cast<std::uint8_t>(cid >> 24);
      x[1] = static_cast<std::uint8_t>(cid >> 16);
      x[2] = static_cast<std::uint8_t>(cid >> 8);
      x[3] = static_cast<std::uint8_t>(cid);
    };
    put_cid(r);
    r[4] = static_cast<std::uint8_t>(0x80 | cmd);
    r[5] = static_cast<std::uint8_t>(payload.size() >> 8);
    r[6] = static_cast<std::uint8_t>(payload.size());
    std::size_t off = std::min<std::size_t>(57, payload.size());
    std::memcpy(r.data() + 7, payload.data(), off);
    write(r);
    std::uint8_t seq = 0;
    while (off < payload.size()) {
      Report c{};
      put_cid(c);
      c[4] = seq++;
      std::size_t n = std::min<std::size_t>(59, payload.size() - off);
      std::memcpy(c.data() + 5, payload.data() + off, n);
      off += n;
      write(c);
    }
  }
  void send_error(std::uint32_t cid, std::uint8_t code) { send_message(cid, kError, {code}); }

 private:
  void write(const Report& r) {
    std::size_t sent = 0;
    while (open_ && sent < kReport) {
      ssize_t n = send(fd_, r.data() + sent, kReport - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        open_ = false;
        return;
      }
      sent += static_cast<std::size_t>(n);
    }
  }
  int fd_;
  bool open_ = true;
  std::deque<Report> queue_;
};

}  // namespace

FidoDevice::FidoDevice(std::string socket_path, std::string state_path, Presence& presence, FidoOptions opts)
    : socket_path_(std::move(socket_path)),
      presence_(presence),
      auth_(std::make_unique<Authenticator>(std::move(state_path), presence, std::move(opts))) {}

FidoDevice::~FidoDevice() = default;

bool FidoDevice::bind_socket() {
  sockaddr_un addr{};
  if (socket_path_.size() >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);
  unlink(socket_path_.c_str());
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 8) != 0) {
    return false;
  }
  chmod(socket_path_.c_str(), 0600);
  listening_ = true;
  return true;
}

std::string FidoDevice::status() const { return auth_->status() + " socket=" + socket_path_; }

void FidoDevice::block_pin() { auth_->block_pin(); }

void FidoDevice::factory_reset() { auth_->factory_reset(); }

std::string FidoDevice::command(const std::string& cmd, const std::string& arg) {
  return auth_->command(cmd, arg);
}

void FidoDevice::run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (!presence_.present()) was_present_ = false;
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const bool present = presence_.present();
    if (!present) {
      was_present_ = false;
      close(fd);
      continue;
    }
    if (!was_present_) {
      auth_->power_cycle();  // first connection after re-insertion: a fresh plug-in
      was_present_ = true;
    }
    ++connections_;
    std::thread([this, fd, &stop] {
      serve_client(fd, stop);
      close(fd);
      --connections_;
    }).detach();
  }
  for (int i = 0; i < 200 && connections_ > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  close(listen_fd_);
  unlink(socket_path_.c_str());
  listening_ = false;
}

namespace {
// For the request trace: CTAPHID CBOR command names (clientPIN with its subcommand).
std::string ctap_name(const Bytes& p) {
  if (p.empty()) return "CBOR-EMPTY";
  switch (p[0]) {
    case 0x01: return "makeCredential";
    case 0x02: return "getAssertion";
    case 0x04: return "getInfo";
    case 0x07: return "reset";
    case 0x08: return "getNextAssertion";
    case 0x0B: return "selection";
    case 0x06: {
      // {1: protocol, 2: subCommand, ...} in canonical order: A? 01 pp 02 ss
      std::uint8_t sub = p.size() > 5 && p[2] == 0x01 && p[4] == 0x02 ? p[5]
                         : p.size() > 3 && p[2] == 0x02             ? p[3]
                                                                    : 0;
      switch (sub) {
        case 1: return "clientPIN.getRetries";
        case 2: return "clientPIN.getKeyAgreement";
        case 3: return "clientPIN.setPIN";
        case 4: return "clientPIN.changePIN";
        case 5: return "clientPIN.getPinToken";
        case 6: return "clientPIN.getPinUvAuthTokenUsingUvWithPermissions";
        case 7: return "clientPIN.getUVRetries";
        case 9: return "clientPIN.getPinUvAuthTokenUsingPinWithPermissions";
        default: return "clientPIN";
      }
    }
    default: {
      char b[16];
      std::snprintf(b, sizeof b, "CBOR-%02X", p[0]);
      return b;
    }
  }
}
}  // namespace

void FidoDevice::serve_client(int fd, const std::atomic<bool>& stop) {
  Conn conn(fd);
  while (!stop && conn.open() && presence_.present()) {
    Report r;
    if (!conn.read(r, 200)) continue;
    const std::uint32_t cid = cid_of(r);
    if (!(r[4] & 0x80)) continue;  // stray continuation packet: ignore
    const std::uint8_t cmd = r[4] & 0x7F;
    const std::size_t bcnt = (std::size_t{r[5]} << 8) | r[6];
    if (bcnt > kMaxMessage) {
      conn.send_error(cid, kErrInvalidLen);
      continue;
    }
    Bytes payload(r.begin() + 7, r.begin() + 7 + static_cast<long>(std::min<std::size_t>(57, bcnt)));
    std::uint8_t seq = 0;
    bool broken = false;
    while (payload.size() < bcnt) {
      Report c;
      if (!conn.read(c, 2000)) {  // CTAPHID message timeout
        if (conn.open()) conn.send_error(cid, 0x05);
        broken = true;
        break;
      }
      if (cid_of(c) != cid) {
        conn.send_error(cid_of(c), kErrChannelBusy);
        continue;
      }
      if ((c[4] & 0x80) || c[4] != seq) {
        conn.send_error(cid, kErrInvalidSeq);
        broken = true;
        break;
      }
      ++seq;
      std::size_t n = std::min<std::size_t>(59, bcnt - payload.size());
      payload.insert(payload.end(), c.begin() + 5, c.begin() + 5 + static_cast<long>(n));
    }
    if (broken) continue;

    switch (cmd) {
      case kInit: {
        presence_.trace_add("INIT", std::chrono::nanoseconds{0});
        if (bcnt != 8) {
          conn.send_error(cid, kErrInvalidLen);
          break;
        }
        const std::uint32_t assigned = cid == kBroadcast ? next_cid_++ : cid;
        Bytes reply = payload;
        for (int s = 24; s >= 0; s -= 8) reply.push_back(static_cast<std::uint8_t>(assigned >> s));
        const std::uint8_t tail[] = {2, 5, 4, 3, 0x01 | 0x04 | 0x08};  // WINK | CBOR | NMSG
        reply.insert(reply.end(), tail, tail + 5);
        conn.send_message(cid, kInit, reply);
        break;
      }
      case kPing: conn.send_message(cid, kPing, payload); break;
      case kWink:
      case kLock: conn.send_message(cid, cmd, {}); break;
      case kCancel: break;  // nothing pending
      case kCbor: {
        if (cid == kBroadcast || cid == 0) {
          conn.send_error(cid, kErrInvalidChannel);
          break;
        }
        if (busy_.exchange(true)) {  // another client's transaction is running
          conn.send_error(cid, kErrChannelBusy);
          break;
        }
        // While waiting for a touch: keepalive UPNEEDED every ~100 ms, and watch for CANCEL.
        auto tick = [&]() -> bool {
          conn.send_message(cid, kKeepalive, {0x02});
          Report in;
          while (conn.read(in, 0)) {
            if (cid_of(in) == cid && in[4] == (0x80 | kCancel)) return true;
            if (cid_of(in) == cid && in[4] == (0x80 | kInit)) {
              conn.unread(in);  // resync: abandon this request, handle INIT afterwards
              return true;
            }
            if (in[4] & 0x80) conn.send_error(cid_of(in), kErrChannelBusy);
          }
          return !conn.open() || !presence_.present();
        };
        const auto t0 = std::chrono::steady_clock::now();
        auto response = auth_->handle(payload, tick);
        busy_ = false;
        presence_.trace_add(ctap_name(payload), std::chrono::steady_clock::now() - t0);
        if (!response || !conn.open()) {  // pulled out mid-operation (or client gone)
          conn.close_now();
          break;
        }
        switch (presence_.misbehaviour()) {
          case Misbehaviour::wrong_sw:
            *response = Bytes{0x7F};  // CTAP2_ERR_OTHER instead of the real answer
            break;
          case Misbehaviour::truncate:
            if (response->size() > 1) response->resize(std::max<std::size_t>(1, response->size() / 2));
            break;
          case Misbehaviour::slow: std::this_thread::sleep_for(presence_.slow_delay()); break;
          case Misbehaviour::none: break;
        }
        conn.send_message(cid, kCbor, *response);
        break;
      }
      case kMsg:
      default: conn.send_error(cid, kErrInvalidCmd); break;
    }
  }
}

}  // namespace hwsim

#include "agent/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "agent/server.h"
#include "agent/socket.h"
#include "core/random.h"

namespace keyward::agent {

int client_timeout_ms() {
  if (const char* t = std::getenv("KEYWARD_AGENT_TIMEOUT_MS"); t != nullptr && t[0] != '\0') {
    char* end = nullptr;
    long v = std::strtol(t, &end, 10);
    if (end != nullptr && *end == '\0' && v > 0 && v <= 3600000) return static_cast<int>(v);
  }
  return 30000;
}

Result<Fd> connect_agent(const std::string& path, int timeout_ms) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail(Errc::io, std::string("cannot create a socket: ") + std::strerror(errno));
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail(Errc::invalid_argument, "agent socket path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  set_timeouts(fd.get(), timeout_ms);
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return fail(Errc::not_found, "the agent is not running");
    if (errno == EAGAIN || errno == ETIMEDOUT) return fail(Errc::unavailable, "the agent did not accept the connection in time");
    return fail(Errc::unavailable, "cannot reach the agent at " + path + ": " + std::strerror(errno));
  }
  KW_TRY(auto uid, peer_uid(fd.get()));
  if (uid != ::geteuid()) {
    return fail(Errc::policy, "the agent socket " + path + " belongs to a process of uid " +
                                  std::to_string(uid) + ", not you; refusing to use it");
  }
  return fd;
}

Result<Response> call(const std::string& path, const Request& req_in, int timeout_ms,
                      bool* delivered) {
  if (delivered != nullptr) *delivered = false;
  const std::uint64_t start = now_ms();
  const std::uint64_t deadline = start + static_cast<std::uint64_t>(timeout_ms);
  KW_TRY(auto fd, connect_agent(path, timeout_ms));
  std::uint64_t id = req_in.id;
  while (id == 0) {
    Bytes r = random_bytes(8);
    for (auto b : r) id = (id << 8) | b;
  }
  // The agent must have started applying before its deadline, which leaves this call a margin
  // to read the answer; the agent checks it right before it changes anything.
  std::uint64_t margin = std::min<std::uint64_t>(static_cast<std::uint64_t>(timeout_ms) / 4, 5000);
  std::uint64_t req_deadline = req_in.deadline_ms;
  if (req_deadline == 0 && req_in.op != Op::status && req_in.op != Op::stop) {
    req_deadline = deadline - margin;
  }
  Bytes cbor = encode_request(req_in, id, req_deadline);
  KW_TRY_STATUS(write_frame(fd.get(), cbor, req_in.secret));
  if (delivered != nullptr) *delivered = true;
  auto frame = read_frame_until(fd.get(), deadline);
  if (!frame) return fail(Errc::unavailable, frame.error().message);
  auto resp = decode_response(frame->cbor, std::move(frame->secret));
  if (!resp) return fail(Errc::unavailable, "the agent sent a malformed answer (" + resp.error().message + ")");
  // An answer to a request the agent could not even decode carries no id.
  if (resp->id != id && !(resp->id == 0 && !resp->ok && !resp->locked)) {
    return fail(Errc::unavailable, "the agent answered another request");
  }
  return resp;
}

}  // namespace keyward::agent

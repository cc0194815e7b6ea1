#include "agent/socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/locked_file.h"
#include "core/xdg.h"

namespace keyward::agent {

Status check_private_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return fail(Errc::io, "cannot use the agent directory " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(Errc::policy, "the agent directory " + dir + " is not a directory (or is a symlink)");
  }
  if (st.st_uid != ::geteuid()) {
    return fail(Errc::policy, "the agent directory " + dir + " belongs to uid " +
                                  std::to_string(st.st_uid) + ", not to you; refusing to use it");
  }
  if ((st.st_mode & 077) != 0) {
    return fail(Errc::policy, "the agent directory " + dir +
                                  " is accessible to other users; make it private (chmod 700)");
  }
  return ok();
}

Result<std::string> socket_location() {
  std::string dir, name = "agent.sock";
  if (const char* s = std::getenv("KEYWARD_AGENT_SOCKET"); s != nullptr && s[0] != '\0') {
    std::string p(s);
    auto slash = p.rfind('/');
    if (p[0] != '/' || slash == std::string::npos || slash + 1 == p.size()) {
      return fail(Errc::invalid_argument, "KEYWARD_AGENT_SOCKET must be an absolute socket path");
    }
    dir = slash == 0 ? "/" : p.substr(0, slash);
    name = p.substr(slash + 1);
  } else if (auto rt = xdg_runtime_dir()) {
    dir = *rt + "/keyward";
  } else {
    dir = "/tmp/keyward-" + std::to_string(::geteuid());
  }
  std::string path = dir + "/" + name;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return fail(Errc::invalid_argument, "the agent socket path " + path + " is too long");
  }
  return path;
}

Result<std::string> socket_path(bool create) {
  KW_TRY(auto path, socket_location());
  const std::string dir = path.rfind('/') == 0 ? "/" : path.substr(0, path.rfind('/'));
  if (create) {
    if (auto made = make_private_dir(dir); !made) {
      return fail(Errc::io, made.error().message + " (the agent's socket directory)");
    }
    KW_TRY_STATUS(check_private_dir(dir));
  } else {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) == 0) KW_TRY_STATUS(check_private_dir(dir));
  }
  return path;
}

Result<unsigned> peer_uid(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    return fail(Errc::io, std::string("cannot read the peer credentials: ") + std::strerror(errno));
  }
  return static_cast<unsigned>(cred.uid);
}

pid_t peer_pid(int fd) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return 0;
  return cred.pid;
}

void set_timeouts(int fd, int ms) {
  struct timeval tv {};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace keyward::agent

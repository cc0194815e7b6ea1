// Where the agent listens and how both ends check each other (docs/agent.md):
//   $KEYWARD_AGENT_SOCKET, else $XDG_RUNTIME_DIR/keyward/agent.sock, else
//   /tmp/keyward-<uid>/agent.sock.
// The directory must be owned by us and private (no group/other permissions); it is created
// 0700 when missing. Every connection's peer credentials (SO_PEERCRED) are checked: the agent
// serves only its own uid, and a client talks only to an agent of its own uid. No TCP.
#pragma once

#include <sys/types.h>

#include <string>

#include "core/error.h"
#include "core/fd.h"

namespace keyward::agent {

// Where the socket is, from the environment alone (nothing is created or checked).
Result<std::string> socket_location();
// The socket path; creates (0700) and checks its directory when `create` is set, else only
// checks it if it exists.
Result<std::string> socket_path(bool create);
// Checks that `dir` is a directory (not a symlink) owned by the effective uid with no group or
// other permission bits.
Status check_private_dir(const std::string& dir);
// The uid of the peer of a connected Unix socket.
Result<unsigned> peer_uid(int fd);
// The peer's process id (SO_PEERCRED), 0 if unknown.
pid_t peer_pid(int fd);
// Sets send and receive timeouts on a socket.
void set_timeouts(int fd, int ms);

// An owned file descriptor (src/core/fd.h).
using Fd = ::keyward::Fd;

}  // namespace keyward::agent

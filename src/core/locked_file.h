// Locked files and private directories, in one place for every module that keeps files of its
// own next to the vault (pins, the audit log, presence-gate counters, slot usage, the agent's
// socket directory). Core never prints: every failure is an Error naming the path and the reason.
#pragma once

#include <string>

#include "core/error.h"
#include "core/fd.h"

namespace keyward {

enum class LockMode { shared, exclusive };

// An open file held under a flock(2) lock. The lock belongs to the open file description:
// destroying (or moving from) the LockedFile closes the descriptor and releases it.
class LockedFile {
 public:
  // Opens `path` with `flags` (O_CLOEXEC is added; with O_CREAT a new file gets mode 0600) and
  // waits for the lock, retrying when a signal interrupts the wait. `reopen_if_replaced`: a file
  // renamed or removed by another holder while this one waited is opened again, so the lock is
  // on the file the path names when this returns (the audit log, which `audit --new-log` moves
  // aside). Errc::not_found when the file does not exist (and O_CREAT is not given), else Errc::io
  // "cannot open|lock PATH: <reason>".
  static Result<LockedFile> open(const std::string& path, int flags, LockMode mode,
                                 bool reopen_if_replaced = false);

  // A lock file: `path` (created 0600, never read or written) held exclusively, serialising the
  // read-check-write of a file next to it.
  // Errc::io "cannot lock PATH: <reason>".
  static Result<LockedFile> lock_file(const std::string& path);

  int fd() const noexcept { return fd_.get(); }

 private:
  explicit LockedFile(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// mkdir of one directory with mode 0700 (less the umask); an existing directory is left as it
// is. Errc::io "cannot create DIR: <reason>" (also when something other than a directory is there).
Status make_private_dir(const std::string& dir);

// `mkdir -p` with mode 0700 for every directory it creates (existing ones are left as they are).
// Errc::io "cannot create DIR: <reason>".
Status make_private_dirs(const std::string& dir);

}  // namespace keyward

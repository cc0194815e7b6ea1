#include "core/locked_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keyward {
namespace {

tl::unexpected<Error> os_error(const std::string& what, const std::string& path, int e) {
  return fail(e == ENOENT ? Errc::not_found : Errc::io,
              what + " " + path + ": " + std::strerror(e));
}

}  // namespace

Result<LockedFile> LockedFile::open(const std::string& path, int flags, LockMode mode,
                                    bool reopen_if_replaced) {
  const int op = mode == LockMode::exclusive ? LOCK_EX : LOCK_SH;
  for (int attempt = 0;; ++attempt) {
    Fd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
    if (!fd) return os_error("cannot open", path, errno);
    while (::flock(fd.get(), op) != 0) {
      if (errno != EINTR) return fail(Errc::io, "cannot lock " + path + ": " + std::strerror(errno));
    }
    if (!reopen_if_replaced) return LockedFile(std::move(fd));
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) != 0) {
      return fail(Errc::io, "cannot stat " + path + ": " + std::strerror(errno));
    }
    if (::stat(path.c_str(), &named) == 0 && named.st_dev == held.st_dev &&
        named.st_ino == held.st_ino) {
      return LockedFile(std::move(fd));
    }
    if (attempt == 8) return fail(Errc::io, "cannot lock " + path + ": it keeps being replaced");
  }
}

Result<LockedFile> LockedFile::lock_file(const std::string& path) {
  auto f = open(path, O_RDWR | O_CREAT, LockMode::exclusive);
  if (!f && f.error().message.rfind("cannot open ", 0) == 0) {
    f.error().message.replace(0, 11, "cannot lock");
    f.error().code = Errc::io;
  }
  return f;
}

Status make_private_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return ok();
  int e = errno;
  if (e == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ok();
    return fail(Errc::io, "cannot create " + dir + ": something that is not a directory is there");
  }
  return fail(Errc::io, "cannot create " + dir + ": " + std::strerror(e));
}

Status make_private_dirs(const std::string& dir) {
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    std::string cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    KW_TRY_STATUS(make_private_dir(cur));
  }
  return ok();
}

}  // namespace keyward

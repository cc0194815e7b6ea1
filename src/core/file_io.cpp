#include "core/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/fd.h"

namespace keyward {

bool write_all(int fd, ByteView data) noexcept {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

namespace {

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// The process umask, read without changing it (umask(2) can only set it, which would race with
// other threads); 022 if /proc is not mounted.
mode_t current_umask() {
  Fd f(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  if (!f) return 022;
  char buf[4096];
  ssize_t n = ::read(f.get(), buf, sizeof buf - 1);
  if (n <= 0) return 022;
  buf[n] = '\0';
  const char* u = std::strstr(buf, "\nUmask:");
  if (u == nullptr) return 022;
  return static_cast<mode_t>(std::strtoul(u + 7, nullptr, 8)) & 0777;
}

}  // namespace

Status sync_parent_directory(const std::string& path) {
  std::string dir = parent_dir(path);
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    return fail(Errc::io, "cannot sync " + dir + ": " + std::strerror(errno));
  }
  return ok();
}

namespace {

constexpr char kTmpInfix[] = ".tmp-";
constexpr std::size_t kTmpSuffixLen = 6;  // the XXXXXX mkostemp fills in
// A temporary file untouched for this long, with no writer holding its lock, was left by a
// writer that died (its data was written and fsync'ed well within a second).
constexpr std::time_t kStaleAfterSeconds = 60;

}  // namespace

int remove_stale_temporaries(const std::string& path) {
  std::string dir = parent_dir(path);
  auto slash = path.rfind('/');
  std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + kTmpInfix;
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) return 0;
  int listing = ::dup(dfd.get());
  if (listing < 0) return 0;
  DIR* d = ::fdopendir(listing);
  if (d == nullptr) {
    ::close(listing);
    return 0;
  }
  int removed = 0;
  const std::time_t now = std::time(nullptr);
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != prefix.size() + kTmpSuffixLen || name.compare(0, prefix.size(), prefix) != 0) {
      continue;
    }
    Fd f(::openat(dfd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!f) continue;
    struct stat st {};
    if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) continue;
    if (now - st.st_mtime < kStaleAfterSeconds) continue;
    // A live writer holds the lock until it closes the file, just before the rename.
    if (::flock(f.get(), LOCK_EX | LOCK_NB) != 0) continue;
    struct stat again {};
    if (::fstatat(dfd.get(), name.c_str(), &again, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (again.st_dev != st.st_dev || again.st_ino != st.st_ino) continue;
    if (::unlinkat(dfd.get(), name.c_str(), 0) == 0) ++removed;
  }
  ::closedir(d);
  return removed;
}

Status write_file_atomic(const std::string& path, ByteView data, mode_t mode, bool sync_dir) {
  (void)remove_stale_temporaries(path);
  std::string tmp = path + kTmpInfix + std::string(kTmpSuffixLen, 'X');
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // O_EXCL, mode 0600
  if (!fd) return fail(Errc::io, "cannot write " + path + ": " + std::strerror(errno));
  // Held until the close below: remove_stale_temporaries in another process leaves it alone.
  (void)::flock(fd.get(), LOCK_EX | LOCK_NB);
  auto failed = [&](int e) {
    ::unlink(tmp.c_str());
    return fail(Errc::io, "cannot write " + path + ": " + std::strerror(e));
  };
  if (::fchmod(fd.get(), mode & ~current_umask()) != 0) return failed(errno);
  if (!write_all(fd.get(), data)) return failed(errno);
  if (::fsync(fd.get()) != 0) return failed(errno);
  if (::close(fd.release()) != 0) return failed(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed(errno);
  // The rename is durable once the directory is; a failure here leaves a complete file behind
  // (the new one, or after a power loss the old one), so it is not reported.
  if (sync_dir) (void)sync_parent_directory(path);
  return ok();
}

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace keyward

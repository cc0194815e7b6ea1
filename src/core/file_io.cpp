#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
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

Status write_file_atomic(const std::string& path, ByteView data, mode_t mode, bool sync_dir) {
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // O_EXCL, mode 0600
  if (!fd) return fail(Errc::io, "cannot write " + path + ": " + std::strerror(errno));
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

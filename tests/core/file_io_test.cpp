#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "core/bytes.h"
#include "core/file_io.h"

using namespace keyward;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = "/tmp/keyward-file-io-XXXXXX";
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  int entries() const {
    int n = 0;
    DIR* d = ::opendir(path.c_str());
    while (auto* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
    return n;
  }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

void make_file(const std::string& p, long age_seconds) {
  std::ofstream(p) << "left by a killed writer";
  struct timespec t[2];
  REQUIRE(::clock_gettime(CLOCK_REALTIME, &t[0]) == 0);
  t[0].tv_sec -= age_seconds;
  t[1] = t[0];
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, 0) == 0);
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("write_file_atomic writes, replaces and leaves no temporary file", "[file_io]") {
  TempDir d;
  const std::string p = d.path + "/f";
  REQUIRE(write_file_atomic(p, as_bytes("first"), 0600));
  REQUIRE(slurp(p) == "first");
  REQUIRE(mode_of(p) == 0600);
  REQUIRE(write_file_atomic(p, as_bytes("second, longer"), 0600));
  REQUIRE(slurp(p) == "second, longer");
  REQUIRE(write_file_atomic(p, as_bytes(""), 0600));
  REQUIRE(slurp(p).empty());
  REQUIRE(d.entries() == 1);
}

TEST_CASE("write_file_atomic applies the umask to the requested mode", "[file_io]") {
  TempDir d;
  mode_t old = ::umask(077);
  auto r = write_file_atomic(d.path + "/g", as_bytes("x"), 0644);
  ::umask(old);
  REQUIRE(r);
  REQUIRE(mode_of(d.path + "/g") == 0600);
  old = ::umask(022);
  r = write_file_atomic(d.path + "/h", as_bytes("x"), 0644);
  ::umask(old);
  REQUIRE(r);
  REQUIRE(mode_of(d.path + "/h") == 0644);
}

TEST_CASE("write_file_atomic fails cleanly and leaves the old file", "[file_io]") {
  TempDir d;
  auto r = write_file_atomic(d.path + "/missing/f", as_bytes("x"), 0600);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().code == Errc::io);
  REQUIRE(r.error().message.find(d.path + "/missing/f") != std::string::npos);
  // A directory where the file should go: rename fails, the temporary file is removed.
  REQUIRE(::mkdir((d.path + "/dir").c_str(), 0700) == 0);
  REQUIRE(::mkdir((d.path + "/dir/x").c_str(), 0700) == 0);
  r = write_file_atomic(d.path + "/dir", as_bytes("x"), 0600);
  REQUIRE_FALSE(r);
  REQUIRE(d.entries() == 1);
}

TEST_CASE("write_file_atomic removes what killed writers of the same file left, nothing else", "[file_io]") {
  TempDir d;
  const std::string p = d.path + "/f";
  REQUIRE(write_file_atomic(p, as_bytes("old"), 0600));
  make_file(p + ".tmp-Ab12Cd", 3600);      // stale: removed
  make_file(p + ".tmp-Ef34Gh", 3600);      // stale, but a writer holds its lock: kept
  make_file(p + ".tmp-Ij56Kl", 5);         // recent: a writer may be about to rename it
  make_file(p + ".tmp-short", 3600);       // not a name mkostemp makes: kept
  make_file(d.path + "/g.tmp-Mn78Op", 3600);  // another file's: kept
  REQUIRE(::symlink((d.path + "/g").c_str(), (p + ".tmp-Qr90St").c_str()) == 0);
  int held = ::open((p + ".tmp-Ef34Gh").c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);

  REQUIRE(write_file_atomic(p, as_bytes("new"), 0600));
  ::close(held);
  REQUIRE(slurp(p) == "new");
  REQUIRE_FALSE(exists(p + ".tmp-Ab12Cd"));
  REQUIRE(exists(p + ".tmp-Ef34Gh"));
  REQUIRE(exists(p + ".tmp-Ij56Kl"));
  REQUIRE(exists(p + ".tmp-short"));
  REQUIRE(exists(d.path + "/g.tmp-Mn78Op"));
  REQUIRE(exists(p + ".tmp-Qr90St"));
  // The lock released, the next write removes that one too; a second sweep finds nothing.
  REQUIRE(remove_stale_temporaries(p) == 1);
  REQUIRE_FALSE(exists(p + ".tmp-Ef34Gh"));
  REQUIRE(remove_stale_temporaries(p) == 0);
  REQUIRE(d.entries() == 5);
}

TEST_CASE("write_all writes everything through a pipe", "[file_io]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  Bytes data(4000, 0x5a);
  REQUIRE(write_all(fds[1], data));
  ::close(fds[1]);
  Bytes got(5000);
  std::size_t n = 0;
  ssize_t r;
  while ((r = ::read(fds[0], got.data() + n, got.size() - n)) > 0) n += static_cast<std::size_t>(r);
  ::close(fds[0]);
  REQUIRE(n == data.size());
  got.resize(n);
  REQUIRE(got == data);
}

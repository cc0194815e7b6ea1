#include <dirent.h>
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

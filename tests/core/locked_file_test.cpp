#include "core/locked_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

using namespace keyward;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = "/tmp/keyward-locked-file-XXXXXX";
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

mode_t mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// Whether another open file description could take an exclusive lock on `path` right now.
bool lockable(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  bool got = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return got;
}

}  // namespace

TEST_CASE("lock_file creates a private lock file and holds it until destroyed", "[locked_file]") {
  TempDir d;
  const std::string p = d.path + "/x.lock";
  {
    auto lock = LockedFile::lock_file(p);
    REQUIRE(lock);
    CHECK(mode_of(p) == 0600);
    CHECK_FALSE(lockable(p));
    LockedFile moved = std::move(*lock);  // the lock goes with the descriptor
    CHECK_FALSE(lockable(p));
  }
  CHECK(lockable(p));
  auto bad = LockedFile::lock_file(d.path + "/missing-dir/x.lock");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::io);
  CHECK(bad.error().message.rfind("cannot lock " + d.path + "/missing-dir/x.lock: ", 0) == 0);
}

TEST_CASE("LockedFile::open: shared locks coexist, a missing file is not_found", "[locked_file]") {
  TempDir d;
  const std::string p = d.path + "/log";
  auto missing = LockedFile::open(p, O_RDONLY, LockMode::shared);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  { std::ofstream(p) << "x"; }
  auto a = LockedFile::open(p, O_RDONLY, LockMode::shared);
  auto b = LockedFile::open(p, O_RDONLY, LockMode::shared);
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(lockable(p));
}

TEST_CASE("LockedFile::open follows a file replaced while it waited", "[locked_file]") {
  TempDir d;
  const std::string p = d.path + "/log";
  { std::ofstream(p) << "old"; }
  auto holder = LockedFile::open(p, O_RDWR, LockMode::exclusive);
  REQUIRE(holder);
  std::atomic<bool> done{false};
  Result<LockedFile> waited = fail(Errc::internal, "not run");
  std::thread t([&] {
    waited = LockedFile::open(p, O_RDWR, LockMode::exclusive, /*reopen_if_replaced=*/true);
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(done);  // waits for the holder
  // The holder moves the file aside and puts a new one at the path, then lets go.
  REQUIRE(::rename(p.c_str(), (p + ".old").c_str()) == 0);
  { std::ofstream(p) << "new"; }
  holder = fail(Errc::internal, "released");  // closes the descriptor: the lock goes
  t.join();
  REQUIRE(waited);
  struct stat held {}, named {};
  REQUIRE(::fstat(waited->fd(), &held) == 0);
  REQUIRE(::stat(p.c_str(), &named) == 0);
  CHECK(held.st_ino == named.st_ino);
}

TEST_CASE("make_private_dir(s): mode 0700, existing directories kept, files in the way refused",
          "[locked_file]") {
  TempDir d;
  REQUIRE(make_private_dir(d.path + "/one"));
  CHECK(mode_of(d.path + "/one") == 0700);
  REQUIRE(make_private_dir(d.path + "/one"));  // exists: fine
  REQUIRE(make_private_dirs(d.path + "/a/b/c"));
  CHECK(mode_of(d.path + "/a") == 0700);
  CHECK(mode_of(d.path + "/a/b/c") == 0700);
  REQUIRE(::chmod((d.path + "/a").c_str(), 0750) == 0);
  REQUIRE(make_private_dirs(d.path + "/a/b/d"));
  CHECK(mode_of(d.path + "/a") == 0750);  // existing directories are left as they are
  { std::ofstream(d.path + "/file") << "x"; }
  auto in_way = make_private_dirs(d.path + "/file/sub");
  REQUIRE_FALSE(in_way);
  CHECK(in_way.error().code == Errc::io);
  CHECK(in_way.error().message.find("cannot create " + d.path + "/file") == 0);
  auto single = make_private_dir(d.path + "/file");
  REQUIRE_FALSE(single);
  CHECK(single.error().message.find("not a directory") != std::string::npos);
}

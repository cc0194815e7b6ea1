// age v1 encrypt/decrypt throughput (X25519 recipient), streaming from generated input or memory
// to a discarding sink, so only the crypto and the framing are measured:
//   BM_AgeEncrypt/<bytes>, BM_AgeDecrypt/<bytes> for 1 KiB, 1 MiB and 256 MiB;
//   BM_AgeOpen1KiB: a whole 1 KiB decrypt including the X25519 unwrap (target < 2 ms).
// Run: ./build/bench/keyward-bench --benchmark_filter=Age
//
// The same binary doubles as a tiny file tool for bench/age_vs_keyward.sh (keyward-bench can
// have no main of its own): with KEYWARD_AGE_TOOL=encrypt|decrypt set it encrypts
// KEYWARD_AGE_IN to KEYWARD_AGE_OUT for the recipient KEYWARD_AGE_RECIPIENT, or decrypts with the
// identity file KEYWARD_AGE_IDENTITY, and exits before any benchmark runs.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/age/age.h"
#include "core/age/keys.h"
#include "core/age/x25519.h"

using namespace keyward;

namespace {

// Produces n bytes of a pattern without storing them.
class PatternReader final : public age::ByteReader {
 public:
  explicit PatternReader(std::size_t n) : left_(n) {}
  Result<std::size_t> read(MutableByteView out) override {
    const std::size_t n = std::min(out.size(), left_);
    std::memset(out.data(), 0x5a, n);
    left_ -= n;
    return n;
  }

 private:
  std::size_t left_;
};

class NullWriter final : public age::ByteWriter {
 public:
  Status write(ByteView data) override {
    benchmark::DoNotOptimize(data.data());
    return ok();
  }
};

struct Keys {
  age::X25519Identity id = age::X25519Identity::generate();
  age::X25519Recipient rcpt = id.recipient();
};
Keys& keys() {
  static Keys k;
  return k;
}

void BM_AgeEncrypt(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  age::Recipient* rs[] = {&keys().rcpt};
  for (auto _ : state) {
    PatternReader in(size);
    NullWriter out;
    if (!age::encrypt(rs, in, out)) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_AgeDecrypt(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  age::Recipient* rs[] = {&keys().rcpt};
  age::Identity* ids[] = {&keys().id};
  // The ciphertext is held once in memory; the plaintext is never stored.
  Bytes file;
  {
    PatternReader in(size);
    age::VectorWriter out(file);
    if (!age::encrypt(rs, in, out)) std::abort();
  }
  for (auto _ : state) {
    age::MemoryReader in(file);
    NullWriter out;
    if (!age::decrypt(ids, in, out)) std::abort();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_AgeOpen1KiB(benchmark::State& state) {
  // A fresh identity parse per iteration, as a one-shot `open` would do.
  auto secret = keys().id.to_string();
  if (!secret) std::abort();
  age::Recipient* rs[] = {&keys().rcpt};
  const Bytes plain(1024, 0x42);
  auto file = age::encrypt_bytes(rs, plain);
  if (!file) std::abort();
  for (auto _ : state) {
    auto ids = age::parse_identities(secret->reveal_string());
    if (!ids) std::abort();
    auto out = age::decrypt_bytes(age::pointers(*ids), *file);
    if (!out) std::abort();
    benchmark::DoNotOptimize(out->data());
  }
}

BENCHMARK(BM_AgeEncrypt)->Arg(1 << 10)->Arg(1 << 20)->Arg(256 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgeDecrypt)->Arg(1 << 10)->Arg(1 << 20)->Arg(256 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgeOpen1KiB)->Unit(benchmark::kMicrosecond);

// ---- file tool mode for bench/age_vs_keyward.sh ----

class FdReader final : public age::ByteReader {
 public:
  explicit FdReader(int fd) : fd_(fd) {}
  Result<std::size_t> read(MutableByteView out) override {
    for (;;) {
      const ssize_t n = ::read(fd_, out.data(), out.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return fail(Errc::io, std::strerror(errno));
    }
  }

 private:
  int fd_;
};

class FdWriter final : public age::ByteWriter {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  Status write(ByteView data) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(Errc::io, std::strerror(errno));
      done += static_cast<std::size_t>(n);
    }
    return ok();
  }

 private:
  int fd_;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "keyward age tool: %s\n", msg.c_str());
  std::_Exit(1);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) die(std::string(name) + " is not set");
  return v;
}

int tool_mode() {
  const char* mode = std::getenv("KEYWARD_AGE_TOOL");
  if (mode == nullptr) return 0;
  const int in = ::open(env("KEYWARD_AGE_IN").c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open(env("KEYWARD_AGE_OUT").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) die("cannot open input or output");
  FdReader reader(in);
  FdWriter writer(out);
  if (std::string(mode) == "encrypt") {
    auto r = age::parse_recipient(env("KEYWARD_AGE_RECIPIENT"));
    if (!r) die(r.error().message);
    age::Recipient* rs[] = {r->get()};
    if (auto st = age::encrypt(rs, reader, writer); !st) die(st.error().message);
  } else if (std::string(mode) == "decrypt") {
    std::ifstream f(env("KEYWARD_AGE_IDENTITY"));
    std::stringstream ss;
    ss << f.rdbuf();
    auto ids = age::parse_identities(ss.str());
    if (!ids) die(ids.error().message);
    if (auto r = age::decrypt(age::pointers(*ids), reader, writer); !r) die(r.error().message);
  } else {
    die("KEYWARD_AGE_TOOL must be encrypt or decrypt");
  }
  ::close(in);
  if (::close(out) != 0) die("close failed");
  std::_Exit(0);
}

// Runs before benchmark_main's main().
const int kToolMode = tool_mode();

}  // namespace

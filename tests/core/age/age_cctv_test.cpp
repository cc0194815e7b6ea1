// Conformance: every vector of the age CCTV suite (test-vectors/age-cctv/, C2SP/CCTV age/testdata)
// must give exactly its expected outcome class, and the plaintext released before any failure
// must hash to the vector's payload hash. ML-KEM hybrid vectors are counted as unsupported.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/age/age.h"
#include "core/age/scrypt.h"
#include "core/age/x25519.h"
#include "core/hash.h"
#include "core/hex.h"
#include "test_util.h"

using namespace keyward;

namespace {

struct CctvVector {
  std::string name;
  std::string expect;
  std::string payload_hash;  // hex, may be empty
  std::vector<std::string> identities;
  std::vector<std::string> passphrases;
  bool armored = false;
  bool zlib = false;
  Bytes file;
};

Bytes inflate_all(const Bytes& in) {
  Bytes out;
  z_stream zs{};
  REQUIRE(inflateInit(&zs) == Z_OK);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::uint8_t buf[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    out.insert(out.end(), buf, buf + (sizeof buf - zs.avail_out));
  }
  inflateEnd(&zs);
  return out;
}

CctvVector load(const std::filesystem::path& path) {
  const std::string raw = test::read_file(path.string());
  CctvVector v;
  v.name = path.filename().string();
  const std::size_t split = raw.find("\n\n");
  REQUIRE(split != std::string::npos);
  std::size_t pos = 0;
  while (pos < split) {
    const std::size_t nl = raw.find('\n', pos);
    const std::string line = raw.substr(pos, std::min(nl, split) - pos);
    pos = std::min(nl, split) + 1;
    const std::size_t colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "expect") v.expect = value;
    else if (key == "payload") v.payload_hash = value;
    else if (key == "identity") v.identities.push_back(value);
    else if (key == "passphrase") v.passphrases.push_back(value);
    else if (key == "armored") v.armored = value == "yes";
    else if (key == "compressed") { REQUIRE(value == "zlib"); v.zlib = true; }
  }
  v.file.assign(raw.begin() + static_cast<long>(split) + 2, raw.end());
  if (v.zlib) v.file = inflate_all(v.file);
  return v;
}

bool is_hybrid(const CctvVector& v) {
  if (v.name.starts_with("hybrid") || v.name == "armor_hybrid") return true;
  for (const auto& id : v.identities)
    if (id.starts_with("AGE-SECRET-KEY-PQ-1")) return true;
  return false;
}

std::string outcome_class(age::Stage stage) {
  switch (stage) {
    case age::Stage::none: return "success";
    case age::Stage::armor: return "armor failure";
    case age::Stage::header:
    case age::Stage::unwrap: return "header failure";
    case age::Stage::no_match: return "no match";
    case age::Stage::hmac: return "HMAC failure";
    case age::Stage::payload: return "payload failure";
    case age::Stage::io: return "io";
  }
  return "?";
}

}  // namespace

TEST_CASE("age CCTV conformance: every vector gives its expected outcome", "[age][cctv]") {
  const std::filesystem::path dir(test::vector_path("age-cctv"));
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 140);

  int passed = 0, unsupported = 0;
  std::map<std::string, int> by_class;
  for (const auto& path : files) {
    const CctvVector v = load(path);
    INFO("vector " << v.name << " expects " << v.expect);
    REQUIRE(!v.expect.empty());
    if (is_hybrid(v)) {
      ++unsupported;
      continue;
    }
    std::vector<std::unique_ptr<age::Identity>> ids;
    for (const auto& text : v.identities) {
      auto id = age::X25519Identity::parse(text);
      REQUIRE(id);
      ids.push_back(std::make_unique<age::X25519Identity>(std::move(*id)));
    }
    for (const auto& p : v.passphrases)
      ids.push_back(std::make_unique<age::ScryptIdentity>(SecretBytes::copy_of(p)));

    age::MemoryReader in(v.file);
    Bytes released;
    age::VectorWriter out(released);
    age::DecryptOptions opts;
    opts.armor = v.armored ? age::ArmorMode::armored : age::ArmorMode::binary;
    age::Stage stage = age::Stage::io;
    auto r = age::decrypt(age::pointers(ids), in, out, opts, &stage);
    INFO("result: " << (r ? std::string("ok") : r.error().message));
    CHECK(r.has_value() == (stage == age::Stage::none));
    const std::string got = outcome_class(stage);
    CHECK(got == v.expect);
    if (v.expect == "success" || v.expect == "payload failure") {
      REQUIRE(!v.payload_hash.empty());
      CHECK(encoding::hex_encode(hash::sha256(released)) == v.payload_hash);
    } else {
      CHECK(released.empty());
    }
    if (got == v.expect) {
      ++passed;
      ++by_class[v.expect];
    }
  }
  std::printf("age CCTV: %d vectors passed, %zu total, %d unsupported (ML-KEM hybrid)\n", passed,
              files.size(), unsupported);
  for (const auto& [cls, n] : by_class) std::printf("  %-16s %d\n", cls.c_str(), n);
  CHECK(passed + unsupported == static_cast<int>(files.size()));
  CHECK(unsupported > 0);
}

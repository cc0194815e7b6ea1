// Byte-walking tamper test: every byte of a small vault file is flipped in turn. Each flip must
// give either the one opaque error class (decrypt_failed, or auth_failed when the flip hits the
// slot that unlocks, or integrity when SQLite silently loses a row and the manifest notices) or,
// for bytes SQLite itself ignores (free space, unused header fields), exactly the right answer.
// Never a crash (the ASan build runs this too), never a wrong value.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/pubkey.h"
#include "core/vault/vault.h"
#include "vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool allowed(Errc c) {
  return c == Errc::decrypt_failed || c == Errc::auth_failed || c == Errc::integrity;
}

}  // namespace

TEST_CASE("vault: flipping any byte gives the opaque error or the unchanged answer",
          "[vault][tamper]") {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};
  auto kp = pubkey::x25519_generate();
  auto recipient = format_age_recipient(kp.public_key);
  REQUIRE(recipient);
  {
    auto v = Vault::create(
        path,
        [&](const VaultId&) -> Result<std::vector<Slot>> {
          KW_TRY(auto s, new_recipient_slot("ci", *recipient));
          std::vector<Slot> out;
          out.push_back(std::move(s));
          return out;
        },
        opts);
    REQUIRE(v);
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "alpha-secret"));
    items.push_back(item("dev/api/B", "bravo-secret"));
    REQUIRE(v->set(items));
  }
  // A small vault: rewrite the container with 512-byte pages (SQLite's page size is not part of
  // the keyward format; any size opens), so the walk covers every byte of a ~5 KB file, with
  // interior, leaf and overflow pages of every table.
  REQUIRE(raw_sql(path, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM; "
                        "PRAGMA journal_mode=WAL;") == 0);
  REQUIRE(!std::filesystem::exists(path + "-wal"));
  const std::string pristine = read_all(path);
  REQUIRE(pristine.size() >= 2048);
  REQUIRE(pristine.size() <= 16384);
  {
    Credential cred{SlotType::recipient, kp.secret.clone()};
    auto v = Vault::open(path, cred, opts);  // the repacked file is a valid vault
    REQUIRE(v);
    REQUIRE(v->get("dev/api/B")->value.reveal_string() == "bravo-secret");
  }
  write_all(path, pristine);
  const std::map<std::string, std::string> expected{{"dev/api/A", "alpha-secret"},
                                                    {"dev/api/B", "bravo-secret"}};

  std::map<std::string, int> outcomes;
  std::size_t step = 1;
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  step = 2;  // the sanitizer build is several times slower; it covers every other byte
#endif
#endif
  for (std::size_t i = 0; i < pristine.size(); i += step) {
    std::string bytes = pristine;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
    write_all(path, bytes);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    Credential cred{SlotType::recipient, kp.secret.clone()};
    auto v = Vault::open(path, cred, opts);
    if (!v) {
      INFO("byte " << i << ": " << errc_name(v.error().code) << " " << v.error().message);
      REQUIRE(allowed(v.error().code));
      ++outcomes[std::string("open:") + std::string(errc_name(v.error().code))];
      continue;
    }
    for (const auto& [coord, value] : expected) {
      auto rec = v->get(coord);
      if (rec) {
        INFO("byte " << i << " " << coord);
        REQUIRE(rec->value.reveal_string() == value);
        ++outcomes["get:ok"];
      } else {
        INFO("byte " << i << ": " << errc_name(rec.error().code) << " " << rec.error().message);
        REQUIRE(allowed(rec.error().code));
        ++outcomes[std::string("get:") + std::string(errc_name(rec.error().code))];
      }
    }
    auto listed = v->list();
    if (listed) {
      INFO("byte " << i);
      REQUIRE(listed->size() == expected.size());
      for (const auto& m : *listed) REQUIRE(expected.count(m.coordinate) == 1);
      ++outcomes["list:ok"];
    } else {
      INFO("byte " << i << ": " << errc_name(listed.error().code) << " " << listed.error().message);
      REQUIRE(allowed(listed.error().code));
      ++outcomes[std::string("list:") + std::string(errc_name(listed.error().code))];
    }
  }
  INFO("vault file: " << pristine.size() << " bytes");
  for (const auto& [k, n] : outcomes) WARN(k << ": " << n);
  REQUIRE(outcomes["open:decrypt_failed"] + outcomes["get:decrypt_failed"] > 0);
}

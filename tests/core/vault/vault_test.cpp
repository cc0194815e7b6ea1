#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/hash.h"
#include "core/pubkey.h"
#include "core/vault/vault.h"
#include "vault_fixture.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;

namespace {

struct Fixture {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};

  Vault make(std::string_view pass = "correct horse");
  Result<Vault> open(std::string_view pass = "correct horse") {
    return Vault::open(path, passphrase(pass), opts);
  }
};

}  // namespace

Vault Fixture::make(std::string_view pass) {
  auto v = Vault::create_with_passphrase(path, "me", SecretBytes::copy_of(pass), small_kdf(), opts);
  REQUIRE(v);
  return std::move(*v);
}

TEST_CASE("vault: set, get, list, remove round trip", "[vault]") {
  Fixture f;
  auto v = f.make();
  std::vector<SetItem> items;
  items.push_back(item("dev/api/STRIPE_KEY", "sk_test_123"));
  items.push_back(item("dev/db/DATABASE_URL", "postgres://x"));
  REQUIRE(v.set(items));
  auto got = v.get("dev/api/STRIPE_KEY");
  REQUIRE(got);
  REQUIRE(got->value.reveal_string() == "sk_test_123");
  REQUIRE(got->meta.tier == Tier::normal);
  auto listed = v.list();
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  REQUIRE((*listed)[0].coordinate == "dev/api/STRIPE_KEY");
  REQUIRE(v.remove("dev/api/STRIPE_KEY"));
  REQUIRE(v.get("dev/api/STRIPE_KEY").error().code == Errc::not_found);
  REQUIRE(v.remove("dev/api/STRIPE_KEY").error().code == Errc::not_found);
  REQUIRE(v.list()->size() == 1);
  REQUIRE(v.header().revision == 3);
}

TEST_CASE("vault: reopening needs the right passphrase", "[vault]") {
  Fixture f;
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/K", "v1"));
    REQUIRE(v.set(items));
  }
  auto wrong = f.open("wrong");
  REQUIRE(!wrong);
  REQUIRE(wrong.error().code == Errc::auth_failed);
  auto right = f.open();
  REQUIRE(right);
  REQUIRE(right->get("dev/api/K")->value.reveal_string() == "v1");
}

TEST_CASE("vault: names and values do not appear in the file", "[vault]") {
  Fixture f;
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/VERY_DISTINCT_NAME", "distinct-secret-value-xyz"));
    REQUIRE(v.set(items));
  }
  std::ifstream in(f.path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.find("VERY_DISTINCT_NAME") == std::string::npos);
  REQUIRE(bytes.find("distinct-secret-value-xyz") == std::string::npos);
}

TEST_CASE("vault: swapping sealed records between coordinates fails opaquely", "[vault]") {
  Fixture f;
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "alpha"));
    items.push_back(item("dev/api/B", "bravo"));
    REQUIRE(v.set(items));
  }
  REQUIRE(raw_sql(f.path, "UPDATE records SET body = (SELECT body FROM records ORDER BY id LIMIT 1)"
                          " WHERE id = (SELECT id FROM records ORDER BY id DESC LIMIT 1)") == 0);
  auto v = f.open();
  REQUIRE(v);
  auto a = v->get("dev/api/A");
  auto b = v->get("dev/api/B");
  REQUIRE((!a || !b));
  const auto& err = !a ? a.error() : b.error();
  REQUIRE(err.code == Errc::decrypt_failed);
  REQUIRE(err.message == std::string(kDecryptFailedMessage));
}

TEST_CASE("vault: a deleted record is caught by the manifest", "[vault]") {
  Fixture f;
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "alpha"));
    items.push_back(item("dev/api/B", "bravo"));
    REQUIRE(v.set(items));
  }
  REQUIRE(raw_sql(f.path, "DELETE FROM records WHERE id = (SELECT id FROM records LIMIT 1)") == 0);
  auto v = f.open();
  REQUIRE(v);
  auto l = v->list();
  REQUIRE(!l);
  REQUIRE(l.error().code == Errc::integrity);
}

TEST_CASE("vault: a tampered header fails the MAC", "[vault]") {
  Fixture f;
  { auto v = f.make(); }
  // Bump the revision field (offset 21..28) behind keyward's back.
  REQUIRE(raw_sql(f.path, "UPDATE header SET body = substr(body,1,28) || x'07' || substr(body,30)") == 0);
  auto v = f.open();
  REQUIRE(!v);
  REQUIRE(v.error().code == Errc::decrypt_failed);
}

TEST_CASE("vault: rollback to an older copy is refused until forgotten", "[vault]") {
  Fixture f;
  std::string old_copy = f.dir.path + "/old.db";
  {
    auto v = f.make();
    REQUIRE(v.backup(old_copy));
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "alpha"));
    REQUIRE(v.set(items));
  }
  std::filesystem::copy_file(old_copy, f.path, std::filesystem::copy_options::overwrite_existing);
  auto v = f.open();
  REQUIRE(!v);
  REQUIRE(v.error().code == Errc::integrity);
  REQUIRE(v.error().message.find("revision 1") != std::string::npos);
  REQUIRE(v.error().message.find("revision 2") != std::string::npos);
  REQUIRE(v.error().message.find("keyward vault forget") != std::string::npos);
  auto forgot = PinStore(f.opts.state_dir, absolute_vault_path(f.path)).forget();
  REQUIRE(forgot);
  REQUIRE(*forgot);  // there was a pin to forget
  REQUIRE(f.open());
}

TEST_CASE("vault: a different vault at the pinned path is refused", "[vault]") {
  Fixture f;
  { auto v = f.make(); }
  std::filesystem::remove(f.path);
  {
    auto other = Vault::create_with_passphrase(f.path + ".2", "me", SecretBytes::copy_of(std::string_view("correct horse")),
                                               small_kdf(), VaultOptions{f.dir.path + "/otherpins"});
    REQUIRE(other);
  }
  std::filesystem::rename(f.path + ".2", f.path);
  auto v = f.open();
  REQUIRE(!v);
  REQUIRE(v.error().code == Errc::integrity);
  REQUIRE(v.error().message.find("different vault") != std::string::npos);
}

TEST_CASE("vault: rotate-master keeps values and slots, pinned machines follow", "[vault]") {
  Fixture f;
  VaultOptions other_machine{f.dir.path + "/machine2"};
  {
    auto v = f.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "alpha"));
    REQUIRE(v.set(items));
  }
  // A second machine pins the vault at the old master key.
  REQUIRE(Vault::open(f.path, passphrase("correct horse"), other_machine));
  Digest old_key{};
  {
    auto v = f.open();
    REQUIRE(v);
    old_key = v->header().key_id;
    REQUIRE(v->rotate_master());
    REQUIRE(v->header().key_id != old_key);
    REQUIRE(v->get("dev/api/A")->value.reveal_string() == "alpha");
  }
  auto second = Vault::open(f.path, passphrase("correct horse"), other_machine);
  REQUIRE(second);
  REQUIRE(second->list()->size() == 1);
  // A master change without a signed transition alarms the pinned machine.
  REQUIRE(raw_sql(f.path, "DELETE FROM transitions") == 0);
  VaultOptions third{f.dir.path + "/machine3"};
  std::filesystem::create_directories(third.state_dir);
  REQUIRE(PinStore(third.state_dir, absolute_vault_path(f.path))
              .raise(Pin{second->header().vault_id, 1, old_key}));
  auto alarmed = Vault::open(f.path, passphrase("correct horse"), third);
  REQUIRE(!alarmed);
  REQUIRE(alarmed.error().code == Errc::integrity);
}

TEST_CASE("vault: adding a slot does not touch the records", "[vault]") {
  Fixture f;
  auto v = f.make();
  std::vector<SetItem> items;
  for (int i = 0; i < 20; ++i) items.push_back(item("dev/api/K" + std::to_string(i), "v"));
  REQUIRE(v.set(items));
  auto kp = pubkey::x25519_generate();
  auto recipient = format_age_recipient(kp.public_key);
  REQUIRE(recipient);
  auto slot = new_recipient_slot("ci", *recipient);
  REQUIRE(slot);
  auto number = v.add_slot(std::move(*slot));
  REQUIRE(number);
  REQUIRE(*number == 2);
  // Unlock through the new slot with the identity scalar.
  Credential cred{SlotType::recipient, kp.secret.clone()};
  auto opened = Vault::open(f.path, cred, f.opts);
  REQUIRE(opened);
  REQUIRE(opened->get("dev/api/K7")->value.reveal_string() == "v");
  auto wrong = pubkey::x25519_generate();
  auto bad = Vault::open(f.path, Credential{SlotType::recipient, wrong.secret.clone()}, f.opts);
  REQUIRE(bad.error().code == Errc::auth_failed);
}

TEST_CASE("vault: the last slot cannot be removed, --rekey re-keys", "[vault]") {
  Fixture f;
  auto v = f.make();
  auto r = v.remove_slot(1, false);
  REQUIRE(!r);
  REQUIRE(r.error().code == Errc::policy);
  auto kp = pubkey::x25519_generate();
  auto slot = new_recipient_slot("ci", *format_age_recipient(kp.public_key));
  REQUIRE(v.add_slot(std::move(*slot)));
  std::vector<SetItem> items;
  items.push_back(item("dev/api/A", "alpha"));
  REQUIRE(v.set(items));
  auto key_before = v.header().key_id;
  REQUIRE(v.remove_slot(2, true));
  REQUIRE(v.header().key_id != key_before);
  REQUIRE(v.slots().size() == 1);
  REQUIRE(Vault::open(f.path, Credential{SlotType::recipient, kp.secret.clone()}, f.opts)
              .error().code == Errc::auth_failed);
  REQUIRE(f.open()->get("dev/api/A")->value.reveal_string() == "alpha");
}

TEST_CASE("vault: recovery slot opens master and high key, high needs a presence slot",
          "[vault]") {
  Fixture f;
  auto v = f.make();
  auto rec = new_recovery_slot("recovery", v.header().vault_id);
  REQUIRE(rec);
  std::string code = rec->code;
  REQUIRE(v.add_slot(std::move(rec->slot)));
  REQUIRE(v.header().has_high);
  auto cred = recovery_credential(code);
  REQUIRE(cred);
  auto opened = Vault::open(f.path, *cred, f.opts);
  REQUIRE(opened);
  REQUIRE(opened->high_unlocked());
  std::vector<SetItem> items;
  items.push_back(item("prod/api/K", "x"));
  items[0].tier = Tier::high;
  auto refused = opened->set(items);
  REQUIRE(!refused);
  REQUIRE(refused.error().code == Errc::policy);
  REQUIRE(refused.error().message.find("keyward slot add piv") != std::string::npos);
}

TEST_CASE("vault: a sealed record moved into another vault does not open there", "[vault]") {
  Fixture a;
  Fixture b;
  {
    auto va = a.make();
    std::vector<SetItem> items;
    items.push_back(item("dev/api/A", "from-vault-a"));
    REQUIRE(va.set(items));
    auto vb = b.make();
    std::vector<SetItem> other;
    other.push_back(item("dev/api/A", "from-vault-b"));
    REQUIRE(vb.set(other));
  }
  // Overwrite b's sealed record with a's (same coordinate, different vault).
  REQUIRE(raw_sql(b.path, "ATTACH '" + a.path + "' AS a; UPDATE records SET idx = (SELECT idx "
                          "FROM a.records LIMIT 1), body = (SELECT body FROM a.records LIMIT 1)") == 0);
  auto v = b.open();
  REQUIRE(v);
  auto got = v->get("dev/api/A");
  REQUIRE(!got);
  REQUIRE(got.error().code == Errc::decrypt_failed);
  REQUIRE(got.error().message == std::string(kDecryptFailedMessage));
  REQUIRE(v->list().error().code == Errc::decrypt_failed);
}

TEST_CASE("vault: fingerprints are keyed per vault, stable within one", "[vault]") {
  Fixture a, b;
  auto va = a.make();
  auto vb = b.make();
  std::vector<SetItem> items;
  items.push_back(item("dev/api/PIN", "1234"));
  items.push_back(item("dev/web/PIN", "1234"));
  REQUIRE(va.set(items));
  std::vector<SetItem> same;
  same.push_back(item("dev/api/PIN", "1234"));
  REQUIRE(vb.set(same));
  auto la = va.list();
  auto lb = vb.list();
  REQUIRE(la);
  REQUIRE(lb);
  REQUIRE(la->size() == 2);
  // Same value in the same vault: same fingerprint (shows "unchanged").
  REQUIRE((*la)[0].fingerprint == (*la)[1].fingerprint);
  // Same value in another vault: unrelated fingerprint (no cross-vault oracle).
  REQUIRE((*la)[0].fingerprint != (*lb)[0].fingerprint);
  // Not the unkeyed BLAKE2b-256 prefix, which anyone could compute for a guessed "1234".
  auto unkeyed = hash::blake2b(as_bytes("1234"), 32);
  REQUIRE(unkeyed);
  REQUIRE_FALSE(std::equal((*la)[0].fingerprint.begin(), (*la)[0].fingerprint.end(), unkeyed->begin()));
}

// The presence gate (core/gate) with a software FIDO2 authenticator and a software PIV card:
// a fresh, correctly signed answer releases exactly the listed high records; forged presence
// (another credential's signature, a replayed assertion, a counter going backward or repeating,
// UP=0, UV=0 for verify, a high key that does not match the header's commitment, a PIV key
// without touch=always / PIN always for verify) is refused. Unlocking never releases high records.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "../vault/vault_fixture.h"
#include "core/gate/gate.h"
#include "core/hash.h"
#include "core/p256.h"
#include "core/random.h"
#include "core/vault/slot_fido2.h"
#include "core/vault/slot_piv.h"
#include "core/vault/vault.h"

using namespace keyward;
using namespace keyward::vault;
using namespace keyward::vault::test;

namespace {

class SoftAuthenticator final : public Fido2Agent {
 public:
  SoftAuthenticator() : key(p256::generate()), other(p256::generate()), hmac(random_secret(32)) {}
  Result<Fido2Assertion> get_assertion(const Fido2CredInfo& cred, std::string_view,
                                       ByteView cdh) override {
    return answer(cred, cdh);
  }
  Result<Fido2Assertion> gate_assertion(const Fido2CredInfo& cred, std::string_view,
                                        ByteView cdh, const Fido2Ask& ask) override {
    ++gate_calls;
    last_ask = ask;
    if (refuse) return fail(Errc::presence, "touch refused");
    if (absent) return fail(Errc::device, "not connected");
    if (replay && last) {  // an old answer, signed over an old client-data hash
      return Fido2Assertion{last->hmac_output.clone(), last->auth_data, last->signature};
    }
    auto a = answer(cred, cdh);
    if (a) last = Fido2Assertion{a->hmac_output.clone(), a->auth_data, a->signature};
    return a;
  }
  Result<Fido2Assertion> answer(const Fido2CredInfo& cred, ByteView cdh) {
    Fido2Assertion a;
    auto h = hash::sha256(as_bytes(cred.rp_id));
    a.auth_data.assign(h.begin(), h.end());
    a.auth_data.push_back(flags);
    if (counting) ++counter;
    std::uint32_t c = counter_override ? *counter_override : counter;
    for (int i = 3; i >= 0; --i) a.auth_data.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
    Bytes msg = a.auth_data;
    append(msg, cdh);
    KW_TRY(a.signature, p256::ecdsa_sign_der(sign_with_other ? other.private_scalar
                                                             : key.private_scalar, msg));
    a.hmac_output = hmac.clone();
    return a;
  }
  p256::KeyPair key, other;
  SecretBytes hmac;
  std::uint8_t flags = 0x05;  // UP | UV (the slot requires UV: only such FIDO2 slots hold H)
  bool counting = true, refuse = false, absent = false, replay = false, sign_with_other = false;
  std::uint32_t counter = 0;
  std::optional<std::uint32_t> counter_override;
  std::optional<Fido2Assertion> last;
  int gate_calls = 0;
  Fido2Ask last_ask;
};

class SoftCard final : public PivKeyAgent {
 public:
  SoftCard() : key(p256::generate()) {}
  Result<SecretBytes> ecdh(const PivKeyInfo&, std::string_view, ByteView peer) override {
    return p256::ecdh(key.private_scalar, peer);
  }
  Result<SecretBytes> gate_ecdh(const PivKeyInfo&, std::string_view, ByteView peer,
                                const PivAsk& ask) override {
    ++calls;
    last_ask = ask;
    if (refuse) return fail(Errc::presence, "touch not confirmed");
    return p256::ecdh(key.private_scalar, peer);
  }
  p256::KeyPair key;
  bool refuse = false;
  int calls = 0;
  PivAsk last_ask;
};


Fido2CredInfo cred_for(const SoftAuthenticator& a) {
  Fido2CredInfo c;
  c.uv = Fido2Uv::required;
  c.cred_protect = 3;
  c.rp_id = "keyward.vault";
  c.credential_id = random_bytes(48);
  c.salt = random_bytes(32);
  c.public_key = a.key.public_uncompressed;
  return c;
}

struct GateFixture {
  TempDir dir;
  std::string path = dir.path + "/v.db";
  VaultOptions opts{dir.path + "/pins"};
  std::string state = dir.path + "/gate";
  SoftAuthenticator auth;
  SoftCard card;
  Devices devices{&card, &auth};

  // A vault with a passphrase slot and a FIDO2 slot (which creates the high key).
  void make() {
    auto v = Vault::create_with_passphrase(path, "me", SecretBytes::copy_of("pw"), small_kdf(),
                                           opts);
    REQUIRE(v);
    auto slot = new_fido2_slot("fk", cred_for(auth), auth.hmac, v->header().vault_id);
    REQUIRE(slot);
    REQUIRE(v->add_slot(std::move(*slot)));
  }
  Vault open() {
    auto v = Vault::open(path, passphrase("pw"), opts);
    REQUIRE(v);
    return std::move(*v);
  }
  gate::Request request(const Vault& v, std::vector<std::string> coords,
                        gate::Level level = gate::Level::touch) {
    gate::Request r;
    r.vault_label = path;
    r.vault_id = v.header().vault_id;
    r.purpose = "get";
    r.coordinates = std::move(coords);
    r.level = level;
    r.command_line = "keyward get";
    return r;
  }
  Result<gate::Grant> pass(const Vault& v, std::vector<std::string> coords,
                           gate::Level level = gate::Level::touch) {
    return gate::pass(request(v, std::move(coords), level), v.header(), v.slots(), devices, state);
  }
  void store_high(Vault& v, const std::vector<std::pair<std::string, std::string>>& kv) {
    std::vector<std::string> coords;
    std::vector<SetItem> items;
    for (const auto& [c, val] : kv) {
      coords.push_back(c);
      items.push_back(item(c, val));
      items.back().tier = Tier::high;
    }
    auto g = pass(v, coords);
    REQUIRE(g);
    REQUIRE(v.set(items, &*g));
  }
};

}  // namespace

TEST_CASE("gate: unlock never releases high records, a grant releases exactly its list",
          "[gate]") {
  GateFixture f;
  f.make();
  auto v = f.open();
  REQUIRE_FALSE(v.high_unlocked());
  f.store_high(v, {{"prod/api/A", "a"}, {"prod/api/B", "b"}, {"prod/api/C", "c"}});
  std::vector<SetItem> normal;
  normal.push_back(item("prod/api/N", "n"));
  normal.back().tier = Tier::normal;
  // prod is a high environment: even a normal record is written there only with a grant for it.
  auto unwritten = v.set(normal);
  REQUIRE_FALSE(unwritten);
  CHECK(unwritten.error().code == Errc::policy);
  auto gn = f.pass(v, {"prod/api/N"});
  REQUIRE(gn);
  REQUIRE(v.set(normal, &*gn));

  // No grant: refused (policy), for get and read_env alike.
  auto r = v.get("prod/api/A");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::policy);
  CHECK(v.get("prod/api/N"));
  CHECK(v.read_env("prod", "", nullptr).error().code == Errc::policy);
  auto t = v.tier_of("prod/api/A");
  REQUIRE(t);
  CHECK(*t == Tier::high);

  // A grant for A and B releases A and B, not C.
  auto g = f.pass(v, {"prod/api/A", "prod/api/B"});
  REQUIRE(g);
  CHECK(g->slot() == 2);
  CHECK(g->coordinates().size() == 2);
  CHECK(v.get("prod/api/A", &*g)->value.reveal_string() == "a");
  CHECK(v.get("prod/api/B", &*g)->value.reveal_string() == "b");
  auto c = v.get("prod/api/C", &*g);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == Errc::policy);
  CHECK(v.read_env("prod", "", &*g).error().code == Errc::policy);  // C is not listed
  // A grant for all three opens the environment.
  auto all = f.pass(v, {"prod/api/A", "prod/api/B", "prod/api/C"});
  REQUIRE(all);
  auto env = v.read_env("prod", "", &*all);
  REQUIRE(env);
  CHECK(env->size() == 4);
  // The vault did not keep the key after the writes.
  CHECK_FALSE(v.high_unlocked());

  // Unlocking through the FIDO2 slot (a touch) still does not release them.
  auto vf = Vault::open(f.path, Credential{SlotType::fido2, {}, f.devices}, f.opts);
  REQUIRE(vf);
  CHECK_FALSE(vf->high_unlocked());
  CHECK(vf->get("prod/api/A").error().code == Errc::policy);

  // A grant for another vault is refused.
  GateFixture other;
  other.make();
  auto ov = other.open();
  auto og = other.pass(ov, {"prod/api/A"});
  REQUIRE(og);
  CHECK(v.get("prod/api/A", &*og).error().code == Errc::policy);
}

TEST_CASE("gate: open_high_row opens listed rows only", "[gate]") {
  GateFixture f;
  f.make();
  auto v = f.open();
  f.store_high(v, {{"prod/api/A", "a"}});
  auto g = f.pass(v, {"prod/api/A"});
  REQUIRE(g);
  std::optional<RecordRow> row;
  // Read the row behind the vault's back (what an agent hands its client).
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(f.path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT id, tier, idx, body FROM records", -1, &st, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  RecordRow rr;
  auto blob = [&](int i) {
    auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, i));
    return Bytes(p, p + sqlite3_column_bytes(st, i));
  };
  rr.id = to_array<32>(blob(0));
  rr.tier = static_cast<Tier>(sqlite3_column_int(st, 1));
  rr.idx = blob(2);
  rr.body = blob(3);
  sqlite3_finalize(st);
  sqlite3_close(db);
  auto rec = gate::open_high_row(rr, v.header().vault_id, *g);
  REQUIRE(rec);
  CHECK(rec->value.reveal_string() == "a");
  auto other = f.pass(v, {"prod/api/B"});
  REQUIRE(other);
  CHECK(gate::open_high_row(rr, v.header().vault_id, *other).error().code == Errc::policy);
}

TEST_CASE("gate: forged FIDO2 presence is refused", "[gate]") {
  GateFixture f;
  f.make();
  auto v = f.open();
  REQUIRE(f.pass(v, {"prod/api/A"}));

  SECTION("an assertion signed by a different credential") {
    f.auth.sign_with_other = true;
    auto r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::auth_failed);
  }
  SECTION("a replayed assertion (signed over an old client-data hash)") {
    f.auth.replay = true;
    auto r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::auth_failed);
  }
  SECTION("a counter that went backward, or repeated") {
    f.auth.counter_override = 1;  // the first pass was accepted with counter 1: a repeat
    auto r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::integrity);
    f.auth.counter_override = 0;  // back to zero after counting
    r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::integrity);
    f.auth.counter_override.reset();
    CHECK(f.pass(v, {"prod/api/A"}));
  }
  SECTION("UP=0") {
    f.auth.flags = 0x00;
    auto r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::presence);
  }
  SECTION("UV=0 (for touch and for verify); UV=1 passes verify") {
    f.auth.flags = 0x01;
    const int calls = f.auth.gate_calls;
    auto t = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(t);
    CHECK(t.error().code == Errc::presence);
    CHECK(f.auth.last_ask.uv);
    auto r = f.pass(v, {}, gate::Level::verify);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::presence);
    CHECK(f.auth.last_ask.uv);
    f.auth.flags = 0x05;
    auto g = f.pass(v, {}, gate::Level::verify);
    REQUIRE(g);
    CHECK(g->level() == gate::Level::verify);
    CHECK(f.auth.gate_calls == calls + 3);  // one assertion per pass on a UV slot
  }
  SECTION("a high key that does not match the header's commitment") {
    HeaderBody h = v.header();
    h.high_check[0] ^= 1;
    auto r = gate::pass(f.request(v, {"prod/api/A"}), h, v.slots(), f.devices, f.state);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::integrity);
  }
  SECTION("refusal denies; an absent device is skipped, then nothing is left") {
    f.auth.refuse = true;
    auto r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::presence);
    f.auth.refuse = false;
    f.auth.absent = true;
    r = f.pass(v, {"prod/api/A"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::device);
  }
}

TEST_CASE("gate: counters of authenticators that never count, the state file", "[gate]") {
  GateFixture f;
  f.make();
  auto v = f.open();
  f.auth.counting = false;  // always 0
  REQUIRE(f.pass(v, {"prod/api/A"}));
  auto g = f.pass(v, {"prod/api/A"});
  REQUIRE(g);
  CHECK(g->counter() == 0);
  // Once it counted, 0 is a regression.
  f.auth.counter_override = 9;
  REQUIRE(f.pass(v, {"prod/api/A"}));
  f.auth.counter_override = 0;
  CHECK(f.pass(v, {"prod/api/A"}).error().code == Errc::integrity);
  // The file is private and names the vault id.
  std::string file = f.state + "/" + [&] {
    std::string hex;
    static const char* d = "0123456789abcdef";
    for (auto b : v.header().vault_id) hex += {d[b >> 4], d[b & 15]};
    return hex;
  }() + ".counters";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("gate: the client-data hash binds the nonce and the request", "[gate]") {
  gate::Request a;
  a.purpose = "get";
  a.coordinates = {"prod/api/A"};
  gate::Request b = a;
  b.coordinates = {"prod/api/B"};
  Bytes n1 = random_bytes(32), n2 = random_bytes(32);
  CHECK(gate::client_data_hash(n1, a) != gate::client_data_hash(n1, b));
  CHECK(gate::client_data_hash(n1, a) != gate::client_data_hash(n2, a));
  CHECK(gate::client_data_hash(n1, a) == gate::client_data_hash(n1, a));
  gate::Request c = a;
  c.level = gate::Level::verify;
  CHECK(gate::request_digest(a) != gate::request_digest(c));
}

TEST_CASE("gate: PIV needs touch=always, and PIN always for verify", "[gate]") {
  GateFixture f;
  auto made = Vault::create_with_passphrase(f.path, "me", SecretBytes::copy_of("pw"), small_kdf(),
                                            f.opts);
  REQUIRE(made);
  PivKeyInfo info;
  info.serial = 20000001;
  info.key_ref = 0x82;
  info.touch = PivTouchPolicy::always;
  info.pin = PivPinPolicy::once;
  info.card_public = f.card.key.public_uncompressed;
  auto slot = new_piv_slot("yk", info, made->header().vault_id);
  REQUIRE(slot);
  REQUIRE(made->add_slot(std::move(*slot)));
  auto v = f.open();
  auto g = f.pass(v, {"prod/api/A"});
  REQUIRE(g);
  CHECK(g->device() == "YubiKey 20000001 key 82");
  CHECK(f.card.last_ask.purpose.find("release 1 high secret(s)") != std::string::npos);
  // Verify: PIN policy once cannot verify the user.
  auto r = f.pass(v, {}, gate::Level::verify);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::device);
  CHECK(r.error().message.find("PIN policy always") != std::string::npos);
  // Touch refused on the card: denied.
  f.card.refuse = true;
  CHECK(f.pass(v, {"prod/api/A"}).error().code == Errc::presence);
  f.card.refuse = false;

  // slot rm / rotate-master need verify: a touch grant is not enough.
  auto touch = f.pass(v, {});
  REQUIRE(touch);
  CHECK(v.rotate_master(&*touch).error().code == Errc::policy);
  CHECK(v.remove_slot(1, false).error().code == Errc::policy);

  // A PIN-always key verifies; then slot rm works.
  info.key_ref = 0x83;
  info.pin = PivPinPolicy::always;
  auto strict = new_piv_slot("yk-strict", info, v.header().vault_id);
  REQUIRE(strict);
  REQUIRE(v.add_slot(std::move(*strict), &*touch));
  auto verified = f.pass(v, {}, gate::Level::verify);
  REQUIRE(verified);
  CHECK(f.card.last_ask.verify);
  CHECK(verified->slot() == 3);
  REQUIRE(v.rotate_master(&*verified));
  // The grant's H is stale after the re-key: a new verification is needed.
  CHECK(v.remove_slot(2, false, &*verified).error().code == Errc::policy);
  auto again = f.pass(v, {}, gate::Level::verify);
  REQUIRE(again);
  REQUIRE(v.remove_slot(2, false, &*again));
}

TEST_CASE("gate: a cached-touch PIV slot cannot serve, no presence slot, no gate", "[gate]") {
  GateFixture f;
  auto made = Vault::create_with_passphrase(f.path, "me", SecretBytes::copy_of("pw"), small_kdf(),
                                            f.opts);
  REQUIRE(made);
  auto v0 = f.open();
  auto none = f.pass(v0, {"prod/api/A"});
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::policy);
  // Without a presence slot, verify cannot apply: rotate-master works with the unlock alone.
  CHECK_FALSE(v0.needs_verify());
  CHECK(v0.rotate_master());

  PivKeyInfo info;
  info.serial = 20000001;
  info.key_ref = 0x82;
  info.touch = PivTouchPolicy::cached;
  info.card_public = f.card.key.public_uncompressed;
  auto slot = new_piv_slot("yk-cached", info, v0.header().vault_id);
  REQUIRE(slot);
  REQUIRE(v0.add_slot(std::move(*slot)));
  auto v = f.open();
  auto r = f.pass(v, {"prod/api/A"});
  REQUIRE_FALSE(r);
  CHECK(f.card.calls == 0);  // never asked the card
}

TEST_CASE("gate: the recovery code is its own grant", "[gate]") {
  GateFixture f;
  f.make();
  auto v = f.open();
  f.store_high(v, {{"prod/api/A", "a"}});
  auto rec = new_recovery_slot("rc", v.header().vault_id);
  REQUIRE(rec);
  std::string code = rec->code;
  auto touch = f.pass(v, {});
  REQUIRE(touch);
  REQUIRE(v.add_slot(std::move(rec->slot), &*touch));
  // Passphrase unlock: no recovery grant.
  CHECK(v.recovery_grant(f.request(v, {"prod/api/A"})).error().code == Errc::policy);
  auto cred = recovery_credential(code);
  REQUIRE(cred);
  auto rv = Vault::open(f.path, *cred, f.opts);
  REQUIRE(rv);
  REQUIRE(rv->unlocked_with_recovery());
  auto g = rv->recovery_grant(f.request(*rv, {"prod/api/A"}));
  REQUIRE(g);
  CHECK(rv->get("prod/api/A", &*g)->value.reveal_string() == "a");
  CHECK(rv->rotate_master());  // the recovery code counts as verification
}

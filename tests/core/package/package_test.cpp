// Sealed packages (src/core/package): round trip, identities, tokens, cards, lifetimes, prod,
// signatures, tampering and truncation of every byte.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/age/piv_p256.h"
#include "core/age/x25519.h"
#include "core/cbor.h"
#include "core/p256.h"
#include "core/package/package.h"

using namespace keyward;
using package::Entry;

namespace {

constexpr std::uint64_t kNow = 1'800'000'000;

class SoftCard final : public age::P256Decapsulator {
 public:
  SoftCard() : key_(p256::generate()) {}
  Bytes public_point() const override { return *p256::to_compressed(key_.public_uncompressed); }
  Result<SecretBytes> ecdh(ByteView peer) override {
    ++calls;
    if (refuse) return fail(Errc::presence, "touch refused");
    return p256::ecdh(key_.private_scalar, peer);
  }
  int calls = 0;
  bool refuse = false;

 private:
  p256::KeyPair key_;
};

Entry entry(std::string coord, std::string_view value, vault::Tier tier = vault::Tier::normal,
            vault::Kind kind = vault::Kind::value) {
  Entry e;
  e.coordinate = std::move(coord);
  e.tier = tier;
  e.kind = kind;
  e.value = SecretBytes::copy_of(value);
  return e;
}

struct Fixture {
  age::X25519Identity alice = age::X25519Identity::generate();
  age::X25519Identity mallory = age::X25519Identity::generate();
  age::X25519Recipient alice_r = alice.recipient();
  SoftCard card;
  std::unique_ptr<age::PivP256Recipient> card_r;

  Fixture() {
    card_r = std::make_unique<age::PivP256Recipient>(*age::PivP256Recipient::from_point(card.public_point()));
  }

  package::SealInput input(bool with_card = false) {
    package::SealInput in;
    in.env = "dev";
    in.entries.push_back(entry("dev/api/URL", "https://example"));
    in.entries.push_back(entry("dev/api/SECRET", "s3cr3t", vault::Tier::high));
    in.entries.push_back(entry("dev/db/REF", "aws-sm://eu-west-1/db", vault::Tier::normal, vault::Kind::cloud_ref));
    in.created = kNow;
    in.expires = kNow + 86400;
    in.token_expires = kNow + 3600;
    in.recipients.push_back(&alice_r);
    if (with_card) {
      in.recipients.push_back(card_r.get());
      in.card_recipients.push_back(card_r.get());
    }
    return in;
  }

  Result<package::Payload> open_as(age::Identity& id, ByteView file) {
    age::Identity* ids[] = {&id};
    return package::open(ids, file);
  }
};

}  // namespace

TEST_CASE("package: round trip with identity and token", "[package]") {
  Fixture f;
  auto in = f.input();
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  CHECK(sealed->normal_count == 2);
  CHECK(sealed->high_count == 1);
  auto p = f.open_as(f.alice, sealed->file);
  REQUIRE(p);
  CHECK(p->env == "dev");
  CHECK(p->expires == kNow + 86400);
  CHECK_FALSE(p->signer);
  REQUIRE(p->entries.size() == 2);
  CHECK(p->entries[0].coordinate == "dev/api/URL");
  CHECK(p->entries[0].value.reveal_string() == "https://example");
  CHECK(p->entries[1].kind == vault::Kind::cloud_ref);
  CHECK(p->entries[1].value.reveal_string() == "aws-sm://eu-west-1/db");
  REQUIRE(p->high.size() == 1);
  CHECK(p->high[0].coordinate == "dev/api/SECRET");
  REQUIRE(package::check_policy(*p, kNow + 10));

  // The token file survives binary and armored encodings.
  for (bool armor : {false, true}) {
    auto enc = package::encode_token(sealed->token, armor);
    auto tok = package::parse_token(enc);
    REQUIRE(tok);
    auto high = package::open_high_with_token(*p, *tok, kNow + 10);
    REQUIRE(high);
    REQUIRE(high->size() == 1);
    CHECK((*high)[0].tier == vault::Tier::high);
    CHECK((*high)[0].value.reveal_string() == "s3cr3t");
  }
  // The high value is not in the clear inside the payload.
  CHECK(p->high_sealed.size() > 0);
}

TEST_CASE("package: armored envelope round trip", "[package]") {
  Fixture f;
  auto in = f.input();
  in.armor = true;
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  CHECK(std::string(as_chars(sealed->file)).rfind("-----BEGIN AGE ENCRYPTED FILE-----", 0) == 0);
  REQUIRE(f.open_as(f.alice, sealed->file));
}

TEST_CASE("package: wrong identity and wrong token", "[package]") {
  Fixture f;
  auto in = f.input();
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  auto bad = f.open_as(f.mallory, sealed->file);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::auth_failed);

  auto p = f.open_as(f.alice, sealed->file);
  REQUIRE(p);
  // A token of another package is named as such.
  auto in2 = f.input();
  auto other = package::seal(in2);
  REQUIRE(other);
  auto r = package::open_high_with_token(*p, other->token, kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  // Same id and expiry, wrong secret: the opaque decrypt error.
  package::Token forged;
  forged.package_id = sealed->token.package_id;
  forged.expires = sealed->token.expires;
  forged.secret = SecretBytes::copy_of(std::string_view("0123456789abcdef0123456789abcdef"));
  r = package::open_high_with_token(*p, forged, kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::decrypt_failed);
  // A token whose expiry was edited does not match the package.
  package::Token stretched;
  stretched.package_id = sealed->token.package_id;
  stretched.expires = sealed->token.expires + 86400;
  stretched.secret = sealed->token.secret.clone();
  r = package::open_high_with_token(*p, stretched, kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  CHECK_FALSE(package::parse_token(as_bytes("not a token")));
}

TEST_CASE("package: expiry of package and token", "[package]") {
  Fixture f;
  auto in = f.input();
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  auto p = f.open_as(f.alice, sealed->file);
  REQUIRE(p);
  auto e = package::check_policy(*p, kNow + 86400);
  REQUIRE_FALSE(e);
  CHECK(e.error().code == Errc::expired);
  auto future = package::check_policy(*p, kNow - 3600);
  REQUIRE_FALSE(future);
  CHECK(future.error().code == Errc::expired);
  auto t = package::open_high_with_token(*p, sealed->token, kNow + 3600);
  REQUIRE_FALSE(t);
  CHECK(t.error().code == Errc::expired);
  REQUIRE(package::open_high_with_token(*p, sealed->token, kNow + 3599));
}

TEST_CASE("package: prod is refused when sealing and when opening", "[package]") {
  Fixture f;
  for (const char* env : {"prod", "production", "keyward.internal"}) {
    auto in = f.input();
    in.env = env;
    in.entries.clear();
    in.entries.push_back(entry(std::string(env) + "/api/KEY", "v"));
    auto r = package::seal(in);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::policy);
  }
  // A payload claiming prod (built by hand, as another implementation could) is refused on open.
  package::Payload p;
  p.env = "prod";
  p.created = kNow;
  p.expires = kNow + 10;
  auto r = package::check_policy(p, kNow);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::policy);
  // Entries outside the package env are refused when sealing.
  auto in = f.input();
  in.entries.push_back(entry("staging/api/KEY", "v"));
  CHECK_FALSE(package::seal(in));
}

TEST_CASE("package: signatures", "[package]") {
  Fixture f;
  auto signer = pubkey::ed25519_generate();
  auto in = f.input();
  in.signing_seed = &signer.seed;
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  auto p = f.open_as(f.alice, sealed->file);
  REQUIRE(p);
  REQUIRE(p->signer);
  CHECK(*p->signer == signer.public_key);
  auto text = package::signer_to_string(signer.public_key);
  CHECK(text.rfind("ssh-ed25519 AAAA", 0) == 0);
  auto parsed = package::parse_signer(text + " comment\n");
  REQUIRE(parsed);
  CHECK(*parsed == signer.public_key);
  CHECK_FALSE(package::parse_signer("ssh-rsa AAAA"));

  // A payload whose signature names another key does not verify.
  auto other = pubkey::ed25519_generate();
  cbor::Map m;
  auto body = cbor::Value::bytes(as_bytes("body"));
  auto sig = pubkey::ed25519_sign(other.seed, as_bytes("body"));
  REQUIRE(sig);
  m.push_back({cbor::Value::uint(1), cbor::Value::uint(1)});
  m.push_back({cbor::Value::uint(2), body});
  m.push_back({cbor::Value::uint(3), cbor::Value::bytes(ByteView(signer.public_key))});
  m.push_back({cbor::Value::uint(4), cbor::Value::bytes(ByteView(*sig))});
  auto payload = cbor::encode(*cbor::Value::map(std::move(m)));
  auto r = package::parse_payload(payload);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
}

TEST_CASE("package: hardware recipient opens the high entries with the card", "[package]") {
  Fixture f;
  auto in = f.input(true);
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  age::PivP256Identity card_id(f.card);
  auto p = f.open_as(card_id, sealed->file);
  REQUIRE(p);
  CHECK(f.card.calls == 1);
  age::Identity* ids[] = {&card_id};
  auto high = package::open_high_with_card(*p, ids);
  REQUIRE(high);
  REQUIRE(*high);
  CHECK((**high)[0].value.reveal_string() == "s3cr3t");
  CHECK(f.card.calls == 2);

  // Touch refused: the error passes through and nothing opens.
  f.card.refuse = true;
  auto refused = package::open_high_with_card(*p, ids);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::presence);

  // The file recipient of the same package cannot open the high entries without the token:
  // no wrap is addressed to another card.
  SoftCard other;
  age::PivP256Identity other_id(other);
  age::Identity* other_ids[] = {&other_id};
  auto p2 = f.open_as(f.alice, sealed->file);
  REQUIRE(p2);
  auto none = package::open_high_with_card(*p2, other_ids);
  REQUIRE(none);
  CHECK_FALSE(*none);
  CHECK(other.calls == 0);
}

TEST_CASE("package: every tampered or truncated byte is refused", "[package]") {
  Fixture f;
  package::SealInput in;
  in.env = "dev";
  in.entries.push_back(entry("dev/a/K", "v"));
  in.created = kNow;
  in.expires = kNow + 60;
  in.token_expires = kNow + 60;
  in.recipients.push_back(&f.alice_r);
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  const Bytes& file = sealed->file;
  REQUIRE(f.open_as(f.alice, file));
  std::size_t refused = 0;
  for (std::size_t i = 0; i < file.size(); ++i) {
    Bytes t = file;
    t[i] ^= 0x01;
    auto r = f.open_as(f.alice, t);
    // A flipped bit never yields a payload; the error is a clear class, never a crash.
    if (!r) {
      ++refused;
      CHECK((r.error().code == Errc::malformed || r.error().code == Errc::decrypt_failed ||
             r.error().code == Errc::auth_failed || r.error().code == Errc::unsupported));
    }
  }
  CHECK(refused == file.size());
  for (std::size_t n = 0; n < file.size(); ++n) {
    auto r = f.open_as(f.alice, ByteView(file.data(), n));
    CHECK_FALSE(r);
  }
}

TEST_CASE("package: parser rejects non-canonical and unknown payloads", "[package]") {
  CHECK(package::parse_payload(as_bytes("")).error().code == Errc::malformed);
  cbor::Map m;
  m.push_back({cbor::Value::uint(1), cbor::Value::uint(2)});
  m.push_back({cbor::Value::uint(2), cbor::Value::bytes(as_bytes(""))});
  auto v2 = package::parse_payload(cbor::encode(*cbor::Value::map(std::move(m))));
  REQUIRE_FALSE(v2);
  CHECK(v2.error().code == Errc::unsupported);
  cbor::Map m2;
  m2.push_back({cbor::Value::uint(1), cbor::Value::uint(1)});
  m2.push_back({cbor::Value::uint(2), cbor::Value::bytes(as_bytes("\xa0"))});
  auto empty_body = package::parse_payload(cbor::encode(*cbor::Value::map(std::move(m2))));
  REQUIRE_FALSE(empty_body);
  CHECK(empty_body.error().code == Errc::malformed);
}

TEST_CASE("package: a forwarded envelope is refused as sealed for someone else", "[package][attack]") {
  Fixture f;
  auto in = f.input(false);
  auto seed = pubkey::ed25519_generate();
  in.signing_seed = &seed.seed;
  auto sealed = package::seal(in);
  REQUIRE(sealed);
  // Alice opens it; its body names the header it was sealed in.
  auto p = f.open_as(f.alice, sealed->file);
  REQUIRE(p);
  REQUIRE(p->recipients_hash);
  // Alice decrypts the envelope and re-encrypts the unchanged payload to Mallory.
  age::Identity* ids[] = {&f.alice};
  auto payload = age::decrypt_bytes(ids, sealed->file);
  REQUIRE(payload);
  age::X25519Recipient mallory_r = f.mallory.recipient();
  age::Recipient* rs[] = {&mallory_r};
  auto forwarded = age::encrypt_bytes(rs, payload->view());
  REQUIRE(forwarded);
  auto r = f.open_as(f.mallory, *forwarded);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::integrity);
  CHECK(r.error().message.find("sealed for someone else") != std::string::npos);
  // The payload itself still parses and its signature verifies: only the binding catches it.
  auto parsed = package::parse_payload(payload->view());
  REQUIRE(parsed);
  CHECK(parsed->signer);
}

// Credential tokens (spec §11): every public credential-modernization vector, every §11.7 reject
// point in order, the legacy variables and their precedence (§11.9).
#include <catch2/catch.hpp>

#include "core/base64.h"
#include "core/cbor.h"
#include "core/hex.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/credentials.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/keys.h"
#include "sealedenv_test_util.h"

using namespace keyward;
using namespace keyward::sealedenv;
using keyward::test::cause_of;
using keyward::test::class_of;
using keyward::test::FakeEnv;
using keyward::test::json_vector;
using keyward::test::unhex;

namespace {

std::string cm(const std::string& name) {
  return "sealed-env-v1/credential-modernization-" + name + ".json";
}

std::string token_of(const std::string& name) { return json_vector(cm(name))["token"]; }

// A token with a correct checksum over an arbitrary payload text.
std::string with_checksum(char mode, const std::string& payload_text) {
  return std::string("sealed_env_") + mode + "_" + token_checksum(payload_text) + "_" + payload_text;
}

std::string cbor_text(const cbor::Value& v) { return encoding::base64url_encode(cbor::encode(v)); }

cbor::Value map_of(cbor::Map m) { return cbor::Value::map(std::move(m)).value(); }

const std::string kPlain = "API_KEY=cross-stack\nDB_URL=postgres://prod\n";

}  // namespace

TEST_CASE("sealed-env token: public vector checksums and payloads") {
  for (const char* n : {"basic-valid", "team-valid", "enterprise-valid", "tier-b-deploy-valid",
                        "expired", "wrong-vault-id", "replay-after-nonce-seen", "unseal-valid",
                        "future-fields-ignored"}) {
    INFO(n);
    auto t = parse_token(token_of(n));
    REQUIRE(t);
  }
  auto b = parse_token(token_of("basic-valid")).value();
  CHECK(b.mode == 'b');
  CHECK(b.master->equals(Bytes(32, 0xaa)));
  auto e = parse_token(token_of("enterprise-valid")).value();
  CHECK(e.signing->equals(Bytes(32, 0xbb)));
  CHECK(e.totp->equals(Bytes(20, 0xcc)));
  auto d = parse_token(token_of("tier-b-deploy-valid")).value();
  CHECK(d.deploy->exp == 4102444800u);
  CHECK(d.deploy->nonce == Bytes(16, 0x11));
  // vault_id = SHA-256("sealed-env:vault-id:v1" || 00*16), as carried by the fixture
  CHECK(vault_id(Bytes(16, 0)) == d.deploy->vault_id);
  // The writer reproduces the Tier A fixtures byte for byte (deterministic CBOR, §11.5).
  CHECK(encode_tier_a('b', Bytes(32, 0xaa), {}, {}).value().reveal_string() == token_of("basic-valid"));
  CHECK(encode_tier_a('t', Bytes(32, 0xaa), Bytes(32, 0xbb), {}).value().reveal_string() ==
        token_of("team-valid"));
  CHECK(encode_tier_a('e', Bytes(32, 0xaa), Bytes(32, 0xbb), Bytes(20, 0xcc)).value().reveal_string() ==
        token_of("enterprise-valid"));
  CHECK(encode_deploy(*d.deploy).value().reveal_string() == token_of("tier-b-deploy-valid"));
}

TEST_CASE("sealed-env token: wrong-checksum vector is rejected at step 6") {
  auto r = parse_token(token_of("wrong-checksum"));
  REQUIRE_FALSE(r);
  CHECK(class_of(r.error()) == "TOKEN_INVALID");
  CHECK(cause_of(r.error()) == "checksum-mismatch");
  CHECK(r.error().code == Errc::malformed);
}

TEST_CASE("sealed-env token: tampered-payload vector fails its checksum (known vector defect)") {
  // The fixture's checksum covers only the first 73 of its 202 payload characters, so a
  // conforming reader stops at §11.7 step 6, not at the signature (docs/sealed-env-conformance.md).
  std::string tok = token_of("tampered-payload");
  auto r = parse_token(tok);
  REQUIRE_FALSE(r);
  CHECK(cause_of(r.error()) == "checksum-mismatch");
  std::string payload = tok.substr(std::string("sealed_env_d_6035_").size());
  CHECK(token_checksum(payload.substr(0, 73)) == "6035");
  CHECK(token_checksum(payload) != "6035");
}

TEST_CASE("sealed-env token: unknown CBOR keys are ignored (future-fields vector)") {
  auto t = parse_token(token_of("future-fields-ignored"));
  REQUIRE(t);
  CHECK(t->mode == 'b');
  CHECK(t->master->equals(Bytes(32, 0xaa)));
}

TEST_CASE("sealed-env token: every reject point, in the spec's order") {
  const std::string good = token_of("basic-valid");
  auto cause = [](const std::string& tok) {
    auto r = parse_token(tok);
    return r ? std::string("ok") : cause_of(r.error());
  };
  CHECK(cause(good) == "ok");
  // 1 too-long: 513 bytes, even with a bad prefix and charset
  CHECK(cause(std::string(513, '!')) == "too-long");
  CHECK(cause(good + std::string(512 - good.size() + 1, 'A')) == "too-long");
  // 2 bad-prefix (before charset)
  CHECK(cause("sealed-env_b_c0dd_oWFt") == "bad-prefix");
  CHECK(cause("Sealed_env_b_c0dd_oWFtWCCq") == "bad-prefix");
  CHECK(cause("") == "bad-prefix");
  // 3 bad-charset
  CHECK(cause(good + "=") == "bad-charset");
  CHECK(cause("sealed_env_b_c0dd_oWFt WCCq") == "bad-charset");
  CHECK(cause("sealed_env_b_c0dd_oWFt+WCCq") == "bad-charset");
  // 4 bad-shape
  CHECK(cause("sealed_env_b") == "bad-shape");
  CHECK(cause("sealed_env_bc0ddoWFt") == "bad-shape");
  CHECK(cause("sealed_env_b_c0dd") == "bad-shape");
  // 5 bad-mode (before checksum)
  CHECK(cause("sealed_env_x_c0dd_oWFtWCCq") == "bad-mode");
  CHECK(cause("sealed_env_bb_c0dd_oWFtWCCq") == "bad-mode");
  CHECK(cause("sealed_env_B_c0dd_oWFtWCCq") == "bad-mode");
  // 6 checksum-mismatch: wrong value, wrong length, upper case
  CHECK(cause("sealed_env_b_c0d_oWFtWCCq") == "checksum-mismatch");
  CHECK(cause("sealed_env_b_C0DD" + good.substr(17)) == "checksum-mismatch");
  // 7 bad-base64 (checksum right): '-' at a bad place / non-canonical trailing bits / length 1 mod 4
  CHECK(cause(with_checksum('b', "A")) == "bad-base64");
  CHECK(cause(with_checksum('b', "oB")) == "bad-base64");
  // 8 bad-cbor: empty, truncated, non-deterministic (non-shortest length), trailing bytes
  CHECK(cause(with_checksum('b', "")) == "bad-cbor");
  CHECK(cause(with_checksum('b', encoding::base64url_encode(Bytes{0xa1, 0x61, 0x6d}))) == "bad-cbor");
  CHECK(cause(with_checksum('b', encoding::base64url_encode(Bytes{0x78, 0x01, 0x61}))) == "bad-cbor");
  CHECK(cause(with_checksum('b', encoding::base64url_encode(Bytes{0xa0, 0x00}))) == "bad-cbor");
  CHECK(cause(with_checksum('b', encoding::base64url_encode(Bytes{0xbf, 0xff}))) == "bad-cbor");
  // unsorted map keys (s before m) is not deterministic
  CHECK(cause(with_checksum('b', encoding::base64url_encode(
                                     Bytes{0xa2, 0x61, 0x73, 0x40, 0x61, 0x6d, 0x40}))) == "bad-cbor");
  // 9 bad-payload: not a map, missing key, wrong type, wrong length
  CHECK(cause(with_checksum('b', cbor_text(cbor::Value::uint(1)))) == "bad-payload");
  CHECK(cause(with_checksum('b', cbor_text(map_of({})))) == "bad-payload");
  CHECK(cause(with_checksum('b', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::text("aa")}})))) ==
        "bad-payload");
  CHECK(cause(with_checksum('b', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::bytes(Bytes(31, 1))}})))) ==
        "bad-payload");
  CHECK(cause(with_checksum('t', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::bytes(Bytes(32, 1))}})))) ==
        "bad-payload");
  CHECK(cause(with_checksum('d', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::bytes(Bytes(32, 1))}})))) ==
        "bad-payload");
  // Right mode, right keys, plus an unknown integer key: ignored.
  CHECK(cause(with_checksum('b', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::bytes(Bytes(32, 1))},
                                                   {cbor::Value::uint(7), cbor::Value::null()}})))) == "ok");
  // A token of exactly 512 bytes is not too long.
  std::string padded = with_checksum(
      'b', cbor_text(map_of({{cbor::Value::text("m"), cbor::Value::bytes(Bytes(32, 1))},
                             {cbor::Value::text("pad"), cbor::Value::bytes(Bytes(300, 0))}})));
  REQUIRE(padded.size() < 512);
  CHECK(cause(padded) == "ok");
}

TEST_CASE("sealed-env credentials: legacy variables, one warning, precedence (§11.9)") {
  auto v = json_vector(cm("legacy-key-still-works"));
  auto file = parse_file(json_vector("sealed-env-v1/node-basic.json")["serialized"].get<std::string>()).value();
  FakeEnv env;
  for (auto& [k, val] : v["legacy_env"].items()) env.vars[k] = val.get<std::string>();
  auto c = gather_credentials(env.lookup());
  REQUIRE(c);
  REQUIRE(c->warnings.size() == 1);
  CHECK(c->warnings[0].find(v["expected"]["warning_substring"].get<std::string>()) != std::string::npos);
  CHECK(c->warnings[0].find("migrate-token") != std::string::npos);
  auto opened = open_with_credentials(file, *c, OpenContext{});
  REQUIRE(opened);
  CHECK(encoding::hex_encode(opened->plaintext.view()) == v["expected"]["plaintext_hex"].get<std::string>());

  // SEALED_ENV_TOKEN wins and the legacy variables are ignored (even a broken one), no warning.
  env.vars["SEALED_ENV_KEY"] = "not-hex";
  env.vars["SEALED_ENV_TOKEN"] = token_of("basic-valid");
  auto t = gather_credentials(env.lookup());
  REQUIRE(t);
  CHECK(t->warnings.empty());
  CHECK(open_with_credentials(file, *t, OpenContext{})->plaintext.reveal_string() == kPlain);

  // A bad legacy value without a token: a clear malformed error naming the variable.
  env.vars.erase("SEALED_ENV_TOKEN");
  auto bad = gather_credentials(env.lookup());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("SEALED_ENV_KEY") != std::string::npos);

  // Nothing at all: the error mentions SEALED_ENV_TOKEN.
  FakeEnv empty;
  auto none = gather_credentials(empty.lookup());
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("SEALED_ENV_TOKEN") != std::string::npos);

  // A token error keeps its class and cause.
  FakeEnv typo;
  typo.vars["SEALED_ENV_TOKEN"] = token_of("wrong-checksum");
  CHECK(cause_of(gather_credentials(typo.lookup()).error()) == "checksum-mismatch");
}

TEST_CASE("sealed-env credentials: Tier A vectors decrypt node-basic.json") {
  auto file = parse_file(json_vector("sealed-env-v1/node-basic.json")["serialized"].get<std::string>()).value();
  for (const char* n : {"basic-valid", "team-valid", "enterprise-valid", "future-fields-ignored"}) {
    INFO(n);
    auto v = json_vector(cm(n));
    FakeEnv env;
    env.vars["SEALED_ENV_TOKEN"] = v["token"];
    auto c = gather_credentials(env.lookup());
    REQUIRE(c);
    auto o = open_with_credentials(file, *c, OpenContext{});
    REQUIRE(o);
    CHECK(encoding::hex_encode(o->plaintext.view()) == v["expected"]["plaintext_hex"].get<std::string>());
    CHECK(o->warnings.empty());
  }
}

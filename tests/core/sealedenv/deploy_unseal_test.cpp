// Tier B deploy tokens (§12), .sealed-env.config.json, unseal tokens (§9): the public vectors
// against a vault built from the fixtures' own salt and KDF parameters (§12.10 table), and
// keyward's own unseal/deploy vectors from tests/sealedenv/gen_own_vectors.py.
#include <catch2/catch.hpp>

#include "core/base64.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/hex.h"
#include "core/sealedenv/config.h"
#include "core/sealedenv/credentials.h"
#include "core/sealedenv/deploy_token.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/seal.h"
#include "net/redis_replay_cache.h"
#include "core/sealedenv/unseal_token.h"
#include "sealedenv_test_util.h"

using namespace keyward;
using namespace keyward::sealedenv;
using keyward::test::cause_of;
using keyward::test::class_of;
using keyward::test::FakeEnv;
using keyward::test::json_vector;
using keyward::test::MemoryReplayCache;
using keyward::test::unhex;

namespace {

const std::string kPlain = "API_KEY=cross-stack\nDB_URL=postgres://prod\n";
constexpr std::uint64_t kNow = 1790000000;  // 2026-09, before the fixtures' exp of 2100

std::string cm(const std::string& name) {
  return "sealed-env-v1/credential-modernization-" + name + ".json";
}

// The fixtures' vault: salt 00*16, scrypt N=131072 r=8 p=1, master aa*32 (§12.10).
const SealedFile& fixture_vault() {
  static const SealedFile f = [] {
    SealOptions o;
    o.kdf.kind = KdfKind::scrypt;
    o.kdf.scrypt = {131072, 8, 1};
    o.fixed_salt = Bytes(16, 0);
    o.created = "2026-05-07T04:26:07.314Z";
    Bytes mk(32, 0xaa);
    return seal(as_bytes(kPlain), SealKeys{ByteView(mk), {}, {}}, o).value();
  }();
  return f;
}

Result<Opened> open_vector(const std::string& name, MemoryReplayCache* cache = nullptr) {
  auto v = json_vector(cm(name));
  FakeEnv env;
  env.vars["SEALED_ENV_DEPLOY_TOKEN"] = v["token"];
  env.vars["SEALED_ENV_TOKEN"] = json_vector(cm("basic-valid"))["token"];  // companion master key
  KW_TRY(Credentials c, gather_credentials(env.lookup()));
  std::optional<Config> cfg;
  if (!v["config_file_contents"].is_null()) {
    KW_TRY(cfg, parse_config(v["config_file_contents"].get<std::string>(), Mode::basic));
  }
  OpenContext ctx;
  ctx.now = kNow;
  ctx.config = cfg ? &*cfg : nullptr;
  ctx.replay_factory = [cache](std::string_view) -> Result<std::unique_ptr<ReplayCache>> {
    struct Borrow final : ReplayCache {
      MemoryReplayCache* c;
      explicit Borrow(MemoryReplayCache* m) : c(m) {}
      Result<bool> check_and_set(std::string_view k, std::uint64_t t) override { return c->check_and_set(k, t); }
    };
    if (!cache) return se_fail(kTokenInvalid, "replay-cache-unavailable", "no cache in test");
    return std::unique_ptr<ReplayCache>(std::make_unique<Borrow>(cache));
  };
  return open_with_credentials(fixture_vault(), c, ctx);
}

}  // namespace

TEST_CASE("sealed-env deploy: the Tier B fixture's ek is the fixture vault's derived key") {
  auto t = parse_token(json_vector(cm("tier-b-deploy-valid"))["token"].get<std::string>()).value();
  auto dk = derive_key(Bytes(32, 0xaa), Bytes(16, 0), fixture_vault().kdf).value();
  CHECK(t.deploy->ek.equals(dk));
}

TEST_CASE("sealed-env deploy: public Tier B vectors") {
  SECTION("valid: decrypts, with the deploy-replay-disabled warning (ephemeral, no backend)") {
    auto o = open_vector("tier-b-deploy-valid");
    REQUIRE(o);
    CHECK(o->plaintext.reveal_string() == kPlain);
    REQUIRE(o->warnings.size() == 1);
    CHECK(o->warnings[0].find("deploy-replay-disabled") != std::string::npos);
  }
  SECTION("expired") {
    auto o = open_vector("expired");
    REQUIRE_FALSE(o);
    CHECK(class_of(o.error()) == "TOKEN_EXPIRED");
    CHECK(cause_of(o.error()) == "exp-past");
    CHECK(o.error().code == Errc::expired);
  }
  SECTION("wrong vault id") {
    auto o = open_vector("wrong-vault-id");
    REQUIRE_FALSE(o);
    CHECK(class_of(o.error()) == "TOKEN_INVALID");
    CHECK(cause_of(o.error()) == "vault-mismatch");
  }
  SECTION("replay after the nonce was seen") {
    auto v = json_vector(cm("replay-after-nonce-seen"));
    MemoryReplayCache cache;
    std::string vid = encoding::hex_encode(vault_id(Bytes(16, 0)));
    for (auto& n : v["expected"]["previously_seen_nonces"])
      cache.seen.insert(deploy_nonce_key(vid, n.get<std::string>()));
    auto o = open_vector("replay-after-nonce-seen", &cache);
    REQUIRE_FALSE(o);
    CHECK(cause_of(o.error()) == "replay");
    CHECK(o.error().code == Errc::replay);
  }
  SECTION("first presentation with a backend succeeds, the second is a replay") {
    MemoryReplayCache cache;
    auto first = open_vector("replay-after-nonce-seen", &cache);
    REQUIRE(first);
    CHECK(first->warnings.empty());
    CHECK(cause_of(open_vector("replay-after-nonce-seen", &cache).error()) == "replay");
  }
  SECTION("backend configured but unavailable: fail closed") {
    MemoryReplayCache broken;
    broken.broken = true;
    auto o = open_vector("replay-after-nonce-seen", &broken);
    REQUIRE_FALSE(o);
    CHECK(cause_of(o.error()) == "replay-cache-unavailable");
    CHECK(o.error().code == Errc::unavailable);
    CHECK(cause_of(open_vector("replay-after-nonce-seen", nullptr).error()) == "replay-cache-unavailable");
  }
}

TEST_CASE("sealed-env deploy: the tampered payload, re-checksummed, fails at the signature") {
  std::string tok = json_vector(cm("tampered-payload"))["token"];
  std::string payload = tok.substr(std::string("sealed_env_d_6035_").size());
  std::string fixed = "sealed_env_d_" + token_checksum(payload) + "_" + payload;
  auto t = parse_token(fixed);
  REQUIRE(t);
  auto r = verify_deploy(*t, fixture_vault(), Bytes(32, 0xaa), DeployVerify{kNow, nullptr, nullptr});
  REQUIRE_FALSE(r);
  CHECK(class_of(r.error()) == "TOKEN_INVALID");
  CHECK(cause_of(r.error()) == "sig");
  // A wrong master key also fails at the signature.
  auto valid = parse_token(json_vector(cm("tier-b-deploy-valid"))["token"].get<std::string>()).value();
  CHECK(cause_of(verify_deploy(valid, fixture_vault(), Bytes(32, 0xab), DeployVerify{kNow}).error()) == "sig");
  // A Tier A token is the wrong mode for verify_deploy.
  auto a = parse_token(json_vector(cm("basic-valid"))["token"].get<std::string>()).value();
  CHECK(cause_of(verify_deploy(a, fixture_vault(), Bytes(32, 0xaa), DeployVerify{kNow}).error()) == "wrong-mode");
}

TEST_CASE("sealed-env deploy: mint reproduces the fixture and honours the TTL cap") {
  Config cfg = default_config(Mode::basic);
  cfg.deploy_ttl_max_seconds = 600;
  // exp = now + ttl = 4102444800 with the fixture nonce: byte-identical to the fixture token.
  DeployMint m{4102444800u - 600, 600, Bytes(16, 0x11)};
  auto tok = mint_deploy(fixture_vault(), DeployKeys{Bytes(32, 0xaa), {}, {}}, cfg, m);
  REQUIRE(tok);
  CHECK(tok->reveal_string() == json_vector(cm("tier-b-deploy-valid"))["token"].get<std::string>());
  cfg.deploy_ttl_max_seconds = 60;
  auto capped = mint_deploy(fixture_vault(), DeployKeys{Bytes(32, 0xaa), {}, {}}, cfg, DeployMint{kNow, 61, {}});
  REQUIRE_FALSE(capped);
  CHECK(class_of(capped.error()) == "CONFIG_ERROR");
  CHECK(cause_of(capped.error()) == "ttl-cap");
  CHECK(cause_of(mint_deploy(fixture_vault(), DeployKeys{Bytes(32, 0xaa), {}, {}}, cfg, DeployMint{kNow, 601, {}}).error()) ==
        "ttl-out-of-range");
}

TEST_CASE("sealed-env config: validation, defaults per vault mode") {
  auto cause = [](std::string_view j, Mode m) {
    auto r = parse_config(j, m);
    return r ? std::string("ok") : cause_of(r.error());
  };
  CHECK(cause("{}", Mode::basic) == "ok");
  CHECK(parse_config("{}", Mode::basic)->deploy_mode == DeployMode::static_);
  CHECK(parse_config("{}", Mode::team)->deploy_mode == DeployMode::static_);
  auto ent = parse_config("{}", Mode::enterprise).value();
  CHECK(ent.deploy_mode == DeployMode::ephemeral);
  CHECK(ent.require_totp_on_mint);
  CHECK(ent.deploy_ttl_max_seconds == 60);
  CHECK(ent.allow_long_lived_for_dev);
  CHECK_FALSE(ent.nonce_state_backend);
  CHECK(cause(R"({"future_field": [1,2], "require_signed_tokens": true})", Mode::basic) == "ok");
  CHECK(cause(R"({"deploy_ttl_max_seconds": 0})", Mode::basic) == "ttl-out-of-range");
  CHECK(cause(R"({"deploy_ttl_max_seconds": 601})", Mode::basic) == "ttl-out-of-range");
  CHECK(cause(R"({"deploy_ttl_max_seconds": -5})", Mode::basic) == "ttl-out-of-range");
  CHECK(cause(R"({"deploy_ttl_max_seconds": 600})", Mode::basic) == "ok");
  CHECK(cause(R"({"deploy_mode": "dynamic"})", Mode::basic) == "bad-deploy-mode");
  CHECK(cause(R"({"deploy_mode": "static"})", Mode::enterprise) == "enterprise-requires-ephemeral");
  CHECK(cause(R"({"deploy_mode": "workload-identity"})", Mode::basic) == "workload-identity-not-implemented");
  CHECK(parse_config(R"({"deploy_mode": "workload-identity"})", Mode::basic).error().code == Errc::unsupported);
  CHECK(cause("not json", Mode::basic) == "bad-json");
  CHECK(cause("[]", Mode::basic) == "bad-json");
  CHECK(cause(R"({"require_totp_on_mint": "yes"})", Mode::basic) == "bad-type");
  CHECK(cause(R"({"nonce_state_backend": 5})", Mode::basic) == "bad-type");
  // write_config -> parse_config round trip; enterprise init defaults.
  auto text = write_config(default_config(Mode::enterprise));
  CHECK(text.find("\"deploy_mode\": \"ephemeral\"") != std::string::npos);
  CHECK(text.find("\"nonce_state_backend\": null") != std::string::npos);
  CHECK(parse_config(text, Mode::enterprise)->require_totp_on_mint);
  // Tier A policy.
  Config c = default_config(Mode::team);
  c.deploy_mode = DeployMode::ephemeral;
  c.allow_long_lived_for_dev = false;
  CHECK_FALSE(tier_a_allowed(c));
  c.deploy_mode = DeployMode::static_;
  CHECK(tier_a_allowed(c));
}

TEST_CASE("sealed-env unseal: the public u-mode vector (known vector defects)") {
  auto v = json_vector(cm("unseal-valid"));
  auto t = parse_token(v["token"].get<std::string>());
  REQUIRE(t);
  REQUIRE(t->unseal);
  const auto& c = *t->unseal;
  CHECK(c.iss == "sealed-env-cli");
  CHECK(c.exp - c.iat > kMaxUnsealLifetime);  // 2335219200 s, far over 600
  CHECK_FALSE(c.deploy_id);
  // The epoch is the spec's HMAC(totp_secret, salt || "epoch-v1") for the fixture material.
  CHECK(c.epoch == encoding::base64_encode(enterprise_epoch(Bytes(20, 0xcc), Bytes(16, 0))));
  // An enterprise vault of the fixture material.
  SealOptions o;
  o.mode = Mode::enterprise;
  o.kdf.kind = KdfKind::scrypt;
  o.kdf.scrypt = {131072, 8, 1};
  o.fixed_salt = Bytes(16, 0);
  o.created = "2026-05-07T04:26:07.314Z";
  Bytes mk(32, 0xaa), sk(32, 0xbb), totp(20, 0xcc);
  auto f = seal(as_bytes(kPlain), SealKeys{ByteView(mk), ByteView(sk), ByteView(totp)}, o).value();
  auto dk = derive_key(mk, f.salt, f.kdf).value();
  auto ut = unseal_from_credential(*t).value();
  // The signature is not HMAC(derived_key, ...) of §9 over the re-wrapped JWS form.
  CHECK_FALSE(ct_equal(hash::hmac_sha256(dk, as_bytes(ut.signing_input)), ut.sig));
  // A conforming reader rejects it at the lifetime check, before any key is used.
  OpenKeys k;
  k.master = ByteView(mk);
  k.signing = ByteView(sk);
  k.second_factor = unseal_factor(ut, UnsealVerify{kNow, {}, nullptr});
  auto r = open(f, k);
  REQUIRE_FALSE(r);
  CHECK(cause_of(r.error()) == "lifetime");
  // With the lifetime brought within 600 s (and so a changed signing input) it fails at the signature.
  auto shortened = ut;
  shortened.claims.iat = shortened.claims.exp - 600;
  shortened.signing_input = jws_signing_input(shortened.claims);
  k.second_factor = unseal_factor(shortened, UnsealVerify{kNow, {}, nullptr});
  CHECK(cause_of(open(f, k).error()) == "sig");
  // The u-mode token re-wraps losslessly (same CBOR, same token text).
  CHECK(format_unseal_credential(ut).value().reveal_string() == v["token"].get<std::string>());
}

TEST_CASE("sealed-env unseal: own vectors (JWS and u-mode) verify, with every reject point") {
  auto v = json_vector("sealed-env-own/enterprise-argon2id.json");
  auto f = parse_file(v["serialized"].get<std::string>()).value();
  Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]), totp = unhex(v["totp_secret_hex"]);
  auto dk = derive_key(mk, f.salt, f.kdf).value();
  std::string bound = "";
  for (int i = 0; i < 32; ++i) bound += "ab";
  auto jws = parse_unseal_jws(v["unseal_jws"].get<std::string>());
  REQUIRE(jws);
  auto u = parse_unseal_any(v["unseal_token"].get<std::string>());
  REQUIRE(u);
  CHECK(u->signing_input == jws->signing_input);  // re-wrap reproduces the JWS payload bytes
  CHECK(format_unseal_jws(*u).reveal_string() == v["unseal_jws"].get<std::string>());
  CHECK(format_unseal_credential(*jws).value().reveal_string() == v["unseal_token"].get<std::string>());
  // Minting reproduces the generator's JWS.
  UnsealMint m{4102444500u, 300, bound, v["unseal_claims"]["ops_id"].get<std::string>()};
  auto minted = mint_unseal(f, dk, totp, m);
  REQUIRE(minted);
  CHECK(format_unseal_jws(*minted).reveal_string() == v["unseal_jws"].get<std::string>());

  OpenKeys k;
  k.master = ByteView(mk);
  k.signing = ByteView(sk);
  auto try_open = [&](const UnsealToken& t, UnsealVerify uv) {
    k.second_factor = unseal_factor(t, uv);
    auto r = open(f, k);
    return r ? std::string("ok") : (cause_of(r.error()).empty() ? errc_name(r.error().code).data() : cause_of(r.error()));
  };
  CHECK(try_open(*jws, {4102444600u, bound, nullptr}) == "ok");
  CHECK(try_open(*u, {4102444600u, bound, nullptr}) == "ok");
  CHECK(try_open(*jws, {4102444800u, bound, nullptr}) == "exp-past");
  CHECK(try_open(*jws, {4102444600u, std::string(64, 'c'), nullptr}) == "deploy-id-mismatch");
  CHECK(try_open(*jws, {4102444600u, std::nullopt, nullptr}) == "deploy-id-mismatch");
  auto forged = *jws;
  forged.sig[0] ^= 1;
  CHECK(try_open(forged, {4102444600u, bound, nullptr}) == "sig");
  // A token for another file generation (epoch of another salt), correctly signed: opaque.
  auto other = *jws;
  other.claims.epoch = encoding::base64_encode(enterprise_epoch(totp, Bytes(16, 0x77)));
  other.signing_input = jws_signing_input(other.claims);
  other.sig = hash::hmac_sha256(dk, as_bytes(other.signing_input));
  CHECK(try_open(other, {4102444600u, bound, nullptr}) == "decrypt_failed");
  // ops_id single use.
  MemoryReplayCache cache;
  CHECK(try_open(*jws, {4102444600u, bound, &cache}) == "ok");
  CHECK(try_open(*u, {4102444600u, bound, &cache}) == "replay");
  // Mint refuses lifetimes over 600 s and a missing deploy id on a bound file.
  CHECK_FALSE(mint_unseal(f, dk, totp, UnsealMint{kNow, 601, bound, ""}));
  CHECK_FALSE(mint_unseal(f, dk, totp, UnsealMint{kNow, 60, std::nullopt, ""}));
  // The token never contains the TOTP secret in any common encoding (threat model T13).
  std::string tok(format_unseal_jws(*minted).reveal_string());
  std::string payload_json = jws_payload_json(minted->claims);
  for (const std::string& enc : {encoding::hex_encode(totp), encoding::base64_encode(totp)}) {
    CHECK(tok.find(enc) == std::string::npos);
    CHECK(payload_json.find(enc) == std::string::npos);
  }
  CHECK(payload_json.find("totp") == std::string::npos);
}

TEST_CASE("sealed-env deploy: own deploy vectors decrypt their own vaults") {
  for (const char* name : {"basic-argon2id", "basic-scrypt", "team-argon2id", "enterprise-argon2id",
                           "team-scrypt", "enterprise-scrypt"}) {
    INFO(name);
    auto v = json_vector(std::string("sealed-env-own/") + name + ".json");
    auto f = parse_file(v["serialized"].get<std::string>()).value();
    FakeEnv env;
    env.vars["SEALED_ENV_DEPLOY_TOKEN"] = v["deploy_token"];
    env.vars["SEALED_ENV_TOKEN"] = v["tier_a_token"];
    auto c = gather_credentials(env.lookup()).value();
    OpenContext ctx;
    ctx.now = kNow;
    auto o = open_with_credentials(f, c, ctx);
    REQUIRE(o);
    CHECK(encoding::hex_encode(o->plaintext.view()) == v["plaintext_hex"].get<std::string>());
    // The deploy token names this vault only.
    CHECK(encoding::hex_encode(vault_id(f.salt)) == v["vault_id_hex"].get<std::string>());
  }
}

TEST_CASE("sealed-env replay cache: unsupported or unreachable backends fail closed") {
  for (const char* uri : {"dynamodb://table", "rediss://127.0.0.1:6379", "redis://", "redis://host:notaport",
                          "redis://user:pw@127.0.0.1:6379", "redis://127.0.0.1:1"}) {
    INFO(uri);
    auto c = net::open_replay_cache(uri);
    REQUIRE_FALSE(c);
    CHECK(class_of(c.error()) == "TOKEN_INVALID");
    CHECK(cause_of(c.error()) == "replay-cache-unavailable");
    CHECK(c.error().code == Errc::unavailable);
  }
  CHECK(deploy_nonce_key("ab", "cd") == "sealed-env:v1:deploy-nonce:ab:cd");
}

namespace {

constexpr std::uint64_t kOwnExp = 4102444800;
constexpr std::uint64_t kNearExp = kOwnExp - 300;  // within keyward's 600 s bound

struct OwnVault {
  nlohmann::json v;
  SealedFile f;
};
OwnVault own(const std::string& name) {
  auto v = json_vector("sealed-env-own/" + name + ".json");
  auto f = parse_file(v["serialized"].get<std::string>()).value();
  return {std::move(v), std::move(f)};
}

// A deploy that holds only SEALED_ENV_DEPLOY_TOKEN (plus an optional config and replay cache).
Result<Opened> deploy_alone(const SealedFile& f, const std::string& token, std::uint64_t now,
                            const Config* cfg = nullptr, MemoryReplayCache* cache = nullptr,
                            std::map<std::string, std::string> extra = {}) {
  FakeEnv env;
  env.vars["SEALED_ENV_DEPLOY_TOKEN"] = token;
  for (auto& [k, val] : extra) env.vars[k] = val;
  KW_TRY(Credentials c, gather_credentials(env.lookup()));
  OpenContext ctx;
  ctx.now = now;
  ctx.config = cfg;
  ctx.replay_factory = [cache](std::string_view) -> Result<std::unique_ptr<ReplayCache>> {
    struct Borrow final : ReplayCache {
      MemoryReplayCache* c;
      explicit Borrow(MemoryReplayCache* m) : c(m) {}
      Result<bool> check_and_set(std::string_view k, std::uint64_t t) override { return c->check_and_set(k, t); }
    };
    if (!cache) return se_fail(kTokenInvalid, "replay-cache-unavailable", "no cache in test");
    return std::unique_ptr<ReplayCache>(std::make_unique<Borrow>(cache));
  };
  return open_with_credentials(f, c, ctx);
}

DeployFields copy_fields(const DeployFields& d) {
  DeployFields c;
  c.ek = d.ek.clone();
  c.exp = d.exp;
  c.sig = d.sig;
  c.nonce = d.nonce;
  c.vault_id = d.vault_id;
  if (d.mac_key) c.mac_key = d.mac_key->clone();
  if (d.epoch) c.epoch = d.epoch->clone();
  return c;
}

std::string text_of(const DeployFields& d) { return std::string(encode_deploy(d).value().reveal_string()); }

}  // namespace

TEST_CASE("sealed-env deploy: keyward's mint reproduces the generator's keyward deploy tokens") {
  for (const char* name : {"basic-argon2id", "team-argon2id", "enterprise-argon2id", "team-scrypt"}) {
    INFO(name);
    auto [v, f] = own(name);
    Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]), totp = unhex(v["totp_secret_hex"]);
    Config cfg = default_config(f.mode);
    DeployMint m{kOwnExp - 60, 60, unhex(v["deploy_nonce_hex"])};
    auto tok = mint_deploy(f, DeployKeys{ByteView(mk), ByteView(sk), ByteView(totp)}, cfg, m);
    REQUIRE(tok);
    CHECK(tok->reveal_string() == v["deploy_token_keyward"].get<std::string>());
    // For a basic file keyward's token is exactly the spec's (no extension fields).
    if (f.mode == Mode::basic) CHECK(v["deploy_token_keyward"] == v["deploy_token"]);
    // The extension fields stay outside the spec signature: the master key verifies it as-is.
    auto parsed = parse_token(tok->reveal_string()).value();
    CHECK(verify_deploy(parsed, f, ByteView(mk), DeployVerify{kNearExp}).has_value());
    CHECK(parsed.deploy->mac_key.has_value() == (f.mode != Mode::basic));
    CHECK(parsed.deploy->epoch.has_value() == (f.mode == Mode::enterprise));
  }
}

TEST_CASE("sealed-env deploy: a deploy token alone decrypts (Tier B on its own)") {
  for (const char* name : {"basic-argon2id", "basic-scrypt", "team-argon2id", "team-scrypt",
                           "enterprise-argon2id", "enterprise-scrypt"}) {
    INFO(name);
    auto [v, f] = own(name);
    auto o = deploy_alone(f, v["deploy_token_keyward"], kNearExp);
    REQUIRE(o);
    CHECK(encoding::hex_encode(o->plaintext.view()) == v["plaintext_hex"].get<std::string>());
  }
}

TEST_CASE("sealed-env deploy: Tier B alone still verifies the team HMAC and the enterprise epoch") {
  SECTION("team file with HMAC= zeroed: refused") {
    auto [v, f] = own("team-argon2id");
    f.hmac = Bytes(32, 0);
    auto o = deploy_alone(f, v["deploy_token_keyward"], kNearExp);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::decrypt_failed);
  }
  SECTION("team file, a deploy token without the HMAC key (another minter): refused clearly") {
    auto [v, f] = own("team-argon2id");
    auto o = deploy_alone(f, v["deploy_token"], kNearExp);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::auth_failed);
    CHECK(o.error().message.find("HMAC") != std::string::npos);
    // ... and opens once the signing key is supplied next to it.
    auto with_sk = deploy_alone(f, v["deploy_token"], kNearExp, nullptr, nullptr,
                                {{"SEALED_ENV_TOKEN", v["tier_a_token"]}});
    CHECK(with_sk.has_value());
  }
  SECTION("enterprise file, a deploy token without the epoch: refused (no second factor)") {
    auto [v, f] = own("enterprise-argon2id");
    auto o = deploy_alone(f, v["deploy_token"], kNearExp);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::auth_failed);
  }
  SECTION("enterprise file, a keyward token whose epoch is for another salt: opaque") {
    auto [v, f] = own("enterprise-argon2id");
    auto t = parse_token(v["deploy_token_keyward"].get<std::string>()).value();
    t.deploy->epoch = enterprise_epoch(unhex(v["totp_secret_hex"]), Bytes(16, 0x77));
    auto o = deploy_alone(f, text_of(*t.deploy), kNearExp);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::decrypt_failed);
  }
  SECTION("a token claiming more than 600 s, with no master key to check it: refused") {
    auto [v, f] = own("basic-argon2id");
    auto o = deploy_alone(f, v["deploy_token_keyward"], kOwnExp - 601);
    REQUIRE_FALSE(o);
    CHECK(cause_of(o.error()) == "lifetime");
  }
  SECTION("a forged ek (no master key to check the signature): opaque, nothing decrypted") {
    auto [v, f] = own("basic-argon2id");
    auto t = parse_token(v["deploy_token_keyward"].get<std::string>()).value();
    t.deploy->ek = SecretBytes::copy_of(ByteView(Bytes(32, 0x33)));  // not the derived key
    auto o = deploy_alone(f, text_of(*t.deploy), kNearExp);
    REQUIRE_FALSE(o);
    CHECK(o.error().code == Errc::decrypt_failed);
  }
}

TEST_CASE("sealed-env deploy: a forged token never touches the replay cache (attack regression)") {
  auto [v, f] = own("team-argon2id");
  Config cfg = default_config(Mode::team);
  cfg.deploy_mode = DeployMode::ephemeral;
  cfg.nonce_state_backend = "redis://test";
  auto real = parse_token(v["deploy_token_keyward"].get<std::string>()).value();
  SECTION("with the master key: a random sig and the real nonce fail at the signature") {
    MemoryReplayCache cache;
    DeployFields forged = copy_fields(*real.deploy);
    forged.sig = random_bytes(32);
    std::string ftext = text_of(forged);
    std::map<std::string, std::string> env{{"SEALED_ENV_TOKEN", v["tier_a_token"]}};
    auto o = deploy_alone(f, ftext, kNearExp, &cfg, &cache, env);
    REQUIRE_FALSE(o);
    CHECK(cause_of(o.error()) == "sig");
    CHECK(cache.calls == 0);
    // The real token is not burnt: it still decrypts once, then is a replay.
    CHECK(deploy_alone(f, v["deploy_token_keyward"], kNearExp, &cfg, &cache, env).has_value());
    CHECK(cause_of(deploy_alone(f, v["deploy_token_keyward"], kNearExp, &cfg, &cache, env).error()) == "replay");
  }
  SECTION("token alone: a forged ek / sig with the real nonce fails before the cache") {
    MemoryReplayCache cache;
    DeployFields forged = copy_fields(*real.deploy);
    forged.sig = random_bytes(32);
    forged.ek = random_secret(32);
    auto o = deploy_alone(f, text_of(forged), kNearExp, &cfg, &cache);
    REQUIRE_FALSE(o);
    CHECK(cache.calls == 0);
    // A forged mac key with the real ek: the HMAC fails, cache untouched.
    DeployFields forged2 = copy_fields(*real.deploy);
    forged2.mac_key = random_secret(32);
    o = deploy_alone(f, text_of(forged2), kNearExp, &cfg, &cache);
    REQUIRE_FALSE(o);
    CHECK(cache.calls == 0);
    CHECK(deploy_alone(f, v["deploy_token_keyward"], kNearExp, &cfg, &cache).has_value());
    CHECK(cache.calls == 1);
  }
  SECTION("the cache entry's lifetime is bounded by keyward's maximum, not the token's exp") {
    // A correctly signed token (the master key signs it) with exp 10^11 s in the future.
    Bytes mk = unhex(v["master_key_hex"]);
    DeployFields d = copy_fields(*real.deploy);
    d.exp = kNearExp + 100000000000ull;
    Bytes signed_part = deploy_signed_payload(d.ek, d.exp, d.nonce, d.vault_id);
    d.sig = hash::hmac_sha256(deploy_sig_key(mk, f.salt).value(), signed_part);
    MemoryReplayCache cache;
    std::map<std::string, std::string> env{{"SEALED_ENV_TOKEN", v["tier_a_token"]}};
    auto o = deploy_alone(f, text_of(d), kNearExp, &cfg, &cache, env);
    REQUIRE(o);
    REQUIRE(cache.ttls.size() == 1);
    CHECK(cache.ttls.begin()->second <= kMaxDeployLifetime);
    CHECK(cache.ttls.begin()->second >= 1);
  }
}

TEST_CASE("sealed-env deploy: mint requirements come from the authenticated file") {
  SECTION("enterprise: minting needs the TOTP secret, whatever the config says") {
    auto [v, f] = own("enterprise-argon2id");
    Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]);
    Config cfg = default_config(f.mode);
    cfg.require_totp_on_mint = false;  // the editable side file
    auto r = mint_deploy(f, DeployKeys{ByteView(mk), ByteView(sk), {}}, cfg, DeployMint{kNow, 60, {}});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::auth_failed);
  }
  SECTION("team: minting needs the signing key and a file whose HMAC verifies") {
    auto [v, f] = own("team-argon2id");
    Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]);
    Config cfg = default_config(f.mode);
    CHECK(mint_deploy(f, DeployKeys{ByteView(mk), {}, {}}, cfg, DeployMint{kNow, 60, {}}).error().code ==
          Errc::auth_failed);
    auto downgraded = f;
    downgraded.hmac = Bytes(32, 0);
    CHECK(mint_deploy(downgraded, DeployKeys{ByteView(mk), ByteView(sk), {}}, cfg, DeployMint{kNow, 60, {}})
              .error()
              .code == Errc::decrypt_failed);
  }
  SECTION("a mode downgrade in the header (enterprise -> team) fails authentication") {
    auto [v, f] = own("enterprise-argon2id");
    Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]);
    auto team = f;
    team.mode = Mode::team;
    team.epoch_commit.reset();
    team.challenge_bind.reset();
    Config cfg = default_config(Mode::team);
    CHECK_FALSE(mint_deploy(team, DeployKeys{ByteView(mk), ByteView(sk), {}}, cfg, DeployMint{kNow, 60, {}}));
  }
}

TEST_CASE("sealed-env unseal: malformed JSON inside a usl_ header or payload is an error value") {
  auto b64u = [](std::string_view s) { return encoding::base64url_encode(as_bytes(s)); };
  std::string good_payload = b64u(R"({"iss":"sealed-env-cli","iat":1,"exp":2,"epoch":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","deploy_id":null,"ops_id":"x"})");
  std::string sig = b64u(std::string(32, 'x'));
  for (const char* header : {R"({"alg":5})", R"({"alg":"HS256","typ":null})", R"({"alg":null,"typ":5})",
                             R"({"alg":["HS256"],"typ":{"a":1}})", R"({"typ":"sealed-env-unseal/v1"})",
                             R"([1,2])", R"("str")", R"(null)", R"({"alg":"HS256","typ":"sealed-env-unseal/v1","alg":1})"}) {
    INFO(header);
    auto r = parse_unseal_jws("usl_" + b64u(header) + "." + good_payload + "." + sig);
    REQUIRE_FALSE(r);
    CHECK(cause_of(r.error()) == "bad-payload");
  }
  std::string good_header = b64u(R"({"alg":"HS256","typ":"sealed-env-unseal/v1"})");
  for (const char* payload : {R"({"iss":5,"iat":1,"exp":2,"epoch":"x","ops_id":"x"})",
                              R"({"iss":"a","iat":-1,"exp":2,"epoch":"x","ops_id":"x"})",
                              R"({"iss":"a","iat":1.5,"exp":2,"epoch":"x","ops_id":"x"})",
                              R"({"iss":"a","iat":1,"exp":2,"epoch":null,"ops_id":"x"})",
                              R"({"iss":"a","iat":1,"exp":2,"epoch":"x","ops_id":"x","deploy_id":7})",
                              R"({})", R"([])"}) {
    INFO(payload);
    auto r = parse_unseal_jws("usl_" + good_header + "." + b64u(payload) + "." + sig);
    REQUIRE_FALSE(r);
    CHECK(cause_of(r.error()) == "bad-payload");
  }
}

#include "core/sealedenv/unseal_token.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/base64.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/keys.h"

namespace keyward::sealedenv {
namespace {

tl::unexpected<Error> invalid(std::string_view cause, std::string_view detail) {
  return se_fail(kTokenInvalid, cause, detail);
}

}  // namespace

std::string jws_header_json() { return R"({"alg":"HS256","typ":"sealed-env-unseal/v1"})"; }

std::string jws_payload_json(const UnsealClaims& c) {
  nlohmann::ordered_json j;
  j["iss"] = c.iss;
  j["iat"] = c.iat;
  j["exp"] = c.exp;
  j["epoch"] = c.epoch;
  if (c.deploy_id) j["deploy_id"] = *c.deploy_id;
  else j["deploy_id"] = nullptr;
  j["ops_id"] = c.ops_id;
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string jws_signing_input(const UnsealClaims& c) {
  return encoding::base64url_encode(as_bytes(jws_header_json())) + "." +
         encoding::base64url_encode(as_bytes(jws_payload_json(c)));
}

Result<UnsealToken> parse_unseal_jws(std::string_view text) {
  if (text.size() > 4096) return invalid("too-long", "unseal token is too long");
  if (text.substr(0, 4) != "usl_") return invalid("bad-prefix", "unseal token must start with usl_");
  std::string_view rest = text.substr(4);
  auto d1 = rest.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : rest.find('.', d1 + 1);
  if (d2 == std::string_view::npos || rest.find('.', d2 + 1) != std::string_view::npos)
    return invalid("bad-shape", "expected usl_<header>.<payload>.<signature>");
  auto h = encoding::base64url_decode(rest.substr(0, d1));
  auto p = encoding::base64url_decode(rest.substr(d1 + 1, d2 - d1 - 1));
  auto s = encoding::base64url_decode(rest.substr(d2 + 1));
  if (!h || !p || !s) return invalid("bad-base64", "unseal token parts must be base64url");
  // No nlohmann accessor that can throw (value(), at(), get<> on a wrong type): every field is
  // type-checked first, so a header like {"alg":5} or {"typ":null} is an error value.
  auto str_field = [](const nlohmann::json& j, const char* k) -> const std::string* {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return nullptr;
    return it->get_ptr<const std::string*>();
  };
  auto uint_field = [](const nlohmann::json& j, const char* k) -> std::optional<std::uint64_t> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) return std::nullopt;
    return *it->get_ptr<const nlohmann::json::number_unsigned_t*>();
  };
  auto hj = nlohmann::json::parse(h->begin(), h->end(), nullptr, false);
  if (hj.is_discarded() || !hj.is_object())
    return invalid("bad-payload", "unseal token header is not a JSON object");
  const std::string* alg = str_field(hj, "alg");
  const std::string* typ = str_field(hj, "typ");
  if (!alg || *alg != "HS256" || !typ || *typ != "sealed-env-unseal/v1")
    return invalid("bad-payload", "unseal token header must be HS256 / sealed-env-unseal/v1");
  auto pj = nlohmann::json::parse(p->begin(), p->end(), nullptr, false);
  if (pj.is_discarded() || !pj.is_object())
    return invalid("bad-payload", "unseal token payload is not a JSON object");
  UnsealToken t;
  {
    auto& c = t.claims;
    const std::string *iss = str_field(pj, "iss"), *epoch = str_field(pj, "epoch"),
                      *ops = str_field(pj, "ops_id");
    auto iat = uint_field(pj, "iat"), exp = uint_field(pj, "exp");
    if (!iss || !iat || !exp || !epoch || !ops)
      return invalid("bad-payload", "unseal token claims are missing or have the wrong types");
    c.iss = *iss;
    c.iat = *iat;
    c.exp = *exp;
    c.epoch = *epoch;
    c.ops_id = *ops;
    if (auto it = pj.find("deploy_id"); it != pj.end() && !it->is_null()) {
      if (!it->is_string()) return invalid("bad-payload", "deploy_id must be a string or null");
      c.deploy_id = *it->get_ptr<const std::string*>();
    }
  }
  auto ep = encoding::base64_decode(t.claims.epoch);
  if (!ep || ep->size() != 32) return invalid("bad-payload", "epoch must be base64 of 32 bytes");
  if (s->size() != 32) return invalid("bad-payload", "signature must be 32 bytes");
  t.signing_input = std::string(rest.substr(0, d2));
  t.sig = std::move(*s);
  return t;
}

Result<UnsealToken> unseal_from_credential(const CredentialToken& ct) {
  if (ct.mode != 'u' || !ct.unseal) return invalid("wrong-mode", "expected a mode u token");
  UnsealToken t;
  t.claims = *ct.unseal;
  t.signing_input = jws_signing_input(t.claims);
  t.sig = ct.unseal_sig;
  return t;
}

Result<UnsealToken> parse_unseal_any(std::string_view text) {
  if (text.substr(0, 4) == "usl_") return parse_unseal_jws(text);
  KW_TRY(CredentialToken ct, parse_token(text));
  return unseal_from_credential(ct);
}

std::string random_uuid_v4() {
  Bytes b = random_bytes(16);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string h = encoding::hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

Result<UnsealToken> mint_unseal(const SealedFile& f, ByteView derived_key, ByteView totp_secret,
                                const UnsealMint& m) {
  if (f.mode != Mode::enterprise)
    return fail(Errc::invalid_argument, "sealed-env: unseal tokens exist only for enterprise files");
  if (m.ttl < 1 || m.ttl > kMaxUnsealLifetime)
    return fail(Errc::invalid_argument, "sealed-env: unseal token lifetime must be 1..600 seconds");
  if (f.challenge_bind.value_or(false) && !m.deploy_id)
    return fail(Errc::invalid_argument,
                "sealed-env: this file has CHALLENGE-BIND=enabled; a deploy id is required");
  UnsealToken t;
  t.claims.iss = std::string(kUnsealIssuer);
  t.claims.iat = m.now;
  t.claims.exp = m.now + m.ttl;
  SecretBytes epoch = enterprise_epoch(totp_secret, f.salt);
  t.claims.epoch = encoding::base64_encode(epoch);
  t.claims.deploy_id = m.deploy_id;
  t.claims.ops_id = m.ops_id.empty() ? random_uuid_v4() : m.ops_id;
  t.signing_input = jws_signing_input(t.claims);
  t.sig = hash::hmac_sha256(derived_key, as_bytes(t.signing_input));
  return t;
}

SecretBytes format_unseal_jws(const UnsealToken& t) {
  std::string s = "usl_" + t.signing_input + "." + encoding::base64url_encode(t.sig);
  SecretBytes out = SecretBytes::copy_of(std::string_view(s));
  secure_wipe(s.data(), s.size());
  return out;
}

Result<SecretBytes> format_unseal_credential(const UnsealToken& t) {
  return encode_unseal(t.claims, t.sig);
}

SecondFactor unseal_factor(UnsealToken token, UnsealVerify v) {
  auto tok = std::make_shared<UnsealToken>(std::move(token));
  return [tok, v](const SealedFile& f, ByteView dk) -> Status {
    const auto& c = tok->claims;
    if (c.exp < c.iat || c.exp - c.iat > kMaxUnsealLifetime)
      return invalid("lifetime", "unseal token lifetime exceeds 600 seconds");
    Bytes want = hash::hmac_sha256(dk, as_bytes(tok->signing_input));
    if (!ct_equal(want, tok->sig)) return invalid("sig", "unseal token signature does not verify");
    if (!(c.exp > v.now)) return se_fail(kTokenExpired, "exp-past", "unseal token has expired");
    auto epoch = encoding::base64_decode(c.epoch);
    if (!epoch) return decrypt_fail();
    KW_TRY_STATUS(check_epoch(f, dk, *epoch));
    if (f.challenge_bind.value_or(false)) {
      if (!c.deploy_id || !v.deploy_id || !ct_equal(*c.deploy_id, *v.deploy_id))
        return invalid("deploy-id-mismatch",
                       "unseal token is bound to a different deploy (SEALED_ENV_DEPLOY_ID)");
    }
    if (v.replay) {
      std::string vid = encoding::hex_encode(vault_id(f.salt));
      // Bounded by keyward's own maximum lifetime, never by the token's claim alone.
      std::uint64_t ttl = std::min<std::uint64_t>(c.exp - v.now, kMaxUnsealLifetime);
      KW_TRY(bool first, v.replay->check_and_set(unseal_ops_key(vid, c.ops_id), ttl));
      if (!first) return invalid("replay", "unseal token ops_id was already used");
    }
    return ok();
  };
}

}  // namespace keyward::sealedenv

// Unseal tokens (spec §9): the JWS Compact form `usl_<h>.<p>.<sig>` and its §11.6 mode `u`
// re-wrap, minting and verification for enterprise files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/replay_cache.h"
#include "core/sealedenv/seal.h"

namespace keyward::sealedenv {

inline constexpr std::uint64_t kMaxUnsealLifetime = 600;
inline constexpr std::string_view kUnsealIssuer = "sealed-env-cli";

// A parsed unseal token in either form. `signing_input` is base64url(header) "." base64url(payload)
// as received (JWS form) or as re-serialized from the claims (mode u).
struct UnsealToken {
  UnsealClaims claims;
  std::string signing_input;
  Bytes sig;
};

// {"alg":"HS256","typ":"sealed-env-unseal/v1"}
std::string jws_header_json();
// Compact JSON, fields in the §9 order iss, iat, exp, epoch, deploy_id, ops_id (deploy_id null
// when absent) - the JSON.stringify form of the Node implementation.
std::string jws_payload_json(const UnsealClaims& c);
std::string jws_signing_input(const UnsealClaims& c);

// `usl_...`: TOKEN_INVALID bad-shape / bad-base64 / bad-payload on structural problems.
Result<UnsealToken> parse_unseal_jws(std::string_view text);
// Mode `u` credential token -> the same structure (signing input re-serialized, §11.6).
Result<UnsealToken> unseal_from_credential(const CredentialToken& t);
// Either form.
Result<UnsealToken> parse_unseal_any(std::string_view text);

struct UnsealMint {
  std::uint64_t now = 0;
  std::uint64_t ttl = 60;                 // 1..600
  std::optional<std::string> deploy_id;   // required when the file has CHALLENGE-BIND=enabled
  std::string ops_id;                     // empty = random UUID v4
};
// Mints for an enterprise file: epoch from the TOTP secret and the file's salt, signature with
// the derived key. The caller has already authorised the mint (TOTP code / presence gate).
Result<UnsealToken> mint_unseal(const SealedFile& f, ByteView derived_key, ByteView totp_secret,
                                const UnsealMint& m);
SecretBytes format_unseal_jws(const UnsealToken& t);
Result<SecretBytes> format_unseal_credential(const UnsealToken& t);

struct UnsealVerify {
  std::uint64_t now = 0;
  std::optional<std::string> deploy_id;  // SEALED_ENV_DEPLOY_ID
  ReplayCache* replay = nullptr;         // optional ops_id single-use
};
// The §9 / §7 step 5 checks in this order: lifetime (iat <= exp, exp - iat <= 600:
// TOKEN_INVALID lifetime), signature with the derived key (TOKEN_INVALID sig), exp > now
// (TOKEN_EXPIRED exp-past), epoch commitment (opaque), deploy_id when CHALLENGE-BIND=enabled
// (TOKEN_INVALID deploy-id-mismatch), ops_id replay (TOKEN_INVALID replay).
SecondFactor unseal_factor(UnsealToken token, UnsealVerify v);

std::string random_uuid_v4();

}  // namespace keyward::sealedenv

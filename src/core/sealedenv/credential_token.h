// Credential tokens `sealed_env_<mode>_<checksum>_<payload>` (spec §11): the §11.7 reader with
// its reject points in order, and the writers for every mode. Token texts carry keys, so they
// are returned in SecretBytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/cbor.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::sealedenv {

inline constexpr std::size_t kMaxTokenLength = 512;
inline constexpr std::string_view kTokenPrefix = "sealed_env_";

// Mode `u` payload (§11.6): the claims of a §9 unseal token plus its detached signature.
struct UnsealClaims {
  std::string iss;
  std::uint64_t iat = 0;
  std::uint64_t exp = 0;
  std::string epoch;                     // standard base64 of the 32-byte enterprise epoch
  std::optional<std::string> deploy_id;  // null when absent
  std::string ops_id;
};

// keyward's own fields in a deploy token (§11.8: other readers ignore unknown keys; the §12.5
// signature covers the four spec fields only, so Node/Java verify these tokens unchanged).
// A Tier B decrypt of a team or enterprise file needs them (docs/sealed-env-conformance.md):
inline constexpr std::string_view kDeployMacKeyField = "x-kw-mac";      // mac_key(signing, salt)
inline constexpr std::string_view kDeployEpochField = "x-kw-epoch";     // enterprise_epoch(totp, salt)

struct DeployFields {  // mode `d` (§12.5)
  SecretBytes ek;      // 32
  std::uint64_t exp = 0;
  Bytes sig;           // 32
  Bytes nonce;         // 16
  Bytes vault_id;      // 32
  std::optional<SecretBytes> mac_key;  // 32, x-kw-mac (team, enterprise)
  std::optional<SecretBytes> epoch;    // 32, x-kw-epoch (enterprise)
};

struct CredentialToken {
  char mode = 0;  // 'b', 't', 'e', 'u', 'd'
  std::optional<SecretBytes> master;   // b, t, e
  std::optional<SecretBytes> signing;  // t, e
  std::optional<SecretBytes> totp;     // e
  std::optional<UnsealClaims> unseal;  // u
  Bytes unseal_sig;                    // u (32)
  std::optional<DeployFields> deploy;  // d
};

// §11.4: lowercase hex of HMAC-SHA256("sealed-env:token-checksum:v1", payload_text)[0:2].
std::string token_checksum(std::string_view payload_text);

// §11.7 steps 1-9. Errors: TOKEN_INVALID with causes too-long, bad-prefix, bad-charset,
// bad-shape, bad-mode, checksum-mismatch, bad-base64, bad-cbor, bad-payload (in that order).
Result<CredentialToken> parse_token(std::string_view token);

// Writers (deterministic CBOR per §11.5).
Result<SecretBytes> encode_tier_a(char mode, ByteView master, std::optional<ByteView> signing,
                                  std::optional<ByteView> totp);
Result<SecretBytes> encode_unseal(const UnsealClaims& claims, ByteView sig);
Result<SecretBytes> encode_deploy(const DeployFields& d);
// "sealed_env_<mode>_<checksum>_<base64url(cbor)>".
SecretBytes wrap_payload(char mode, ByteView cbor_payload);

// The CBOR map of the four signed deploy fields, ek, exp, nonce, vault_id (§12.5).
Bytes deploy_signed_payload(ByteView ek, std::uint64_t exp, ByteView nonce, ByteView vault_id);

}  // namespace keyward::sealedenv

// Sealed packages (docs/format-package.md): hand an environment to one teammate.
//
//   package file = age v1 file (x25519 / ssh-ed25519 / piv-p256 recipients) whose plaintext is the
//                  payload: deterministic CBOR {1: version, 2: body bytes, 3: signer, 4: signature}
//   body         = normal entries in the clear (inside the age envelope), the coordinates of the
//                  high entries, and their values sealed under K_h (XChaCha20-Poly1305).
//   K_h          = HKDF-SHA-256(high seed, package id); the 16-byte high seed is wrapped to the
//                  access token (a separate file holding a random 32-byte secret) and, for every
//                  hardware recipient (age1yubikey1...), in a piv-p256 stanza to the card key.
// So the high values open only with the token or with the card (a touch), cryptographically.
// Core never prints or prompts; the card is reached through age::P256Decapsulator.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/age/age.h"
#include "core/age/piv_p256.h"
#include "core/gate/gate.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/pubkey.h"
#include "core/secret.h"
#include "core/vault/records.h"

namespace keyward::package {

inline constexpr std::uint64_t kVersion = 1;
inline constexpr std::uint64_t kTokenVersion = 1;
inline constexpr std::size_t kPackageIdSize = 16;
inline constexpr std::size_t kHighSeedSize = 16;
inline constexpr std::size_t kTokenSecretSize = 32;
inline constexpr std::uint64_t kMaxTtl = 30ull * 24 * 3600;     // 30 days
inline constexpr std::uint64_t kClockSkew = 300;                // created may be 5 min ahead
inline constexpr std::size_t kMaxPayloadSize = 256u << 20;      // 256 MiB
inline constexpr std::string_view kReservedEnv = "keyward.internal";

using PackageId = std::array<std::uint8_t, kPackageIdSize>;

// True for environment names that may never be packaged or unpacked (prod, production).
bool is_production_env(std::string_view env);
// Production and keyward's own environment are never packaged (policy error saying so).
Status may_package(std::string_view env);

struct Entry {
  std::string coordinate;  // env/component/KEY
  vault::Tier tier = vault::Tier::normal;
  vault::Kind kind = vault::Kind::value;  // cloud_ref: the value is the aws-sm:// / azure-kv:// address
  SecretBytes value;
};

// A signature over a package body: over the format's signed message (context string, 0, body).
struct BodySignature {
  pubkey::Ed25519Public signer{};
  pubkey::Ed25519Signature signature{};
  bool created = false;  // the sender key was made for it (own_keys.h)
};
Result<BodySignature> sign_body(ByteView seed32, ByteView body);
// Signs a body; whoever holds the sender key (the vault, or the agent that holds it unlocked).
using BodySigner = std::function<Result<BodySignature>(ByteView body)>;

struct SealInput {
  std::string env;
  std::vector<Entry> entries;  // every coordinate must be in env
  std::uint64_t created = 0;
  std::uint64_t expires = 0;
  std::uint64_t token_expires = 0;  // <= expires
  std::vector<age::Recipient*> recipients;             // the envelope (at least one)
  std::vector<age::PivP256Recipient*> card_recipients; // also get a K_h wrap (hardware recipients)
  const SecretBytes* signing_seed = nullptr;           // Ed25519 seed: sign the body
  BodySigner signer;                                   // or this (when set, signing_seed unused)
  bool armor = false;
};

struct Token {
  PackageId package_id{};
  std::uint64_t expires = 0;
  SecretBytes secret;  // 32 bytes
};

struct Sealed {
  Bytes file;
  Token token;
  PackageId package_id{};
  std::size_t normal_count = 0, high_count = 0;
};

Result<Sealed> seal(SealInput& in);

// Token file: binary (CBOR) or armored ("-----BEGIN KEYWARD ACCESS TOKEN-----"). The encoding
// holds the token secret, so it is returned in locked memory.
SecretBytes encode_token(const Token& t, bool armor);
Result<Token> parse_token(ByteView file);  // detects armor

struct HighEntryRef {
  std::string coordinate;
  vault::Kind kind = vault::Kind::value;
};

// A parsed, signature-checked payload. Normal values are in the clear, high ones still sealed.
struct Payload {
  PackageId package_id{};
  std::string env;
  std::uint64_t created = 0, expires = 0, token_expires = 0;
  std::vector<Entry> entries;          // normal entries
  std::vector<HighEntryRef> high;      // coordinates of the sealed high entries
  Bytes high_nonce, high_sealed;       // values of the high entries under K_h
  Bytes token_nonce, token_wrap;       // the high seed under the token
  std::vector<age::Stanza> card_wraps; // the high seed to hardware recipients (piv-p256)
  std::optional<pubkey::Ed25519Public> signer;  // set iff the body is signed (and verified)
  // Body field 13: SHA-256 of the age header (up to "---") the sender sealed it in.
  std::optional<std::array<std::uint8_t, 32>> recipients_hash;
};

// SHA-256("keyward-package-v1/recipients" || 0x00 || age header up to and including "---").
std::array<std::uint8_t, 32> recipients_hash(std::string_view age_header);
// The package must carry the hash of the envelope it arrived in: a package decrypted and
// re-encrypted to someone else (forwarded) is refused (Errc::integrity, "sealed for someone
// else"), as is one without the field.
Status check_recipients(const Payload& p, std::string_view age_header);

// Strict parse of the decrypted payload. A present signature must verify (else Errc::integrity).
// Does not check time or env policy (see check_policy).
Result<Payload> parse_payload(ByteView payload);
// prod refused (policy), created not in the future, package not expired (Errc::expired).
Status check_policy(const Payload& p, std::uint64_t now);

// Decrypts the envelope with the identities, parses the payload and checks that it was sealed
// in this very envelope (check_recipients); no time or env policy checks.
Result<Payload> open(std::span<age::Identity* const> identities, ByteView file,
                     age::Stage* failed_stage = nullptr);

// The high entries, opened with the access token. The token must belong to this package and not
// be expired (Errc::expired); a wrong token is the opaque decrypt error.
Result<std::vector<Entry>> open_high_with_token(const Payload& p, const Token& t,
                                                std::uint64_t now);
// The high entries, opened with a card (one piv-p256 identity per card key). nullopt when no
// K_h wrap is addressed to these keys; errors from the card (touch refused ...) pass through.
Result<std::optional<std::vector<Entry>>> open_high_with_card(
    const Payload& p, std::span<age::Identity* const> card_identities);

// The high-record rule on the import path (the same rule as `set`): replacing a record that is
// high in the vault needs a presence grant that covers its coordinate, whatever the tier of the
// new value; a normal entry never silently replaces a high one. `existing_high` lists the
// coordinates of the vault's high records that the import would overwrite. Errc::policy.
// (Kept here until the vault's one policy function lands; then this forwards to it.)
Status check_replacements(const std::vector<std::string>& existing_high, const gate::Grant* grant);

// Replay protection per sender (docs/format-package.md section 7): the vault records the
// creation time of the newest package imported from each signing key, in a record of the
// reserved env (sealed and bound to the manifest like every record).
std::string seen_coordinate(const pubkey::Ed25519Public& signer);

// 8 hex chars: a keyed BLAKE2b of the value under the package id (shows whether two packages
// carry the same value without being a usable hash of it outside the package).
std::string fingerprint(const PackageId& id, ByteView value);

// Sender keys as text: "ssh-ed25519 AAAA..." (OpenSSH public key of the Ed25519 signer).
std::string signer_to_string(const pubkey::Ed25519Public& pk);
Result<pubkey::Ed25519Public> parse_signer(std::string_view text);

}  // namespace keyward::package

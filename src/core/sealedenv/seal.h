// Sealing and opening SEALED-ENV-V1 files (spec §6, §7).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/file_format.h"

namespace keyward::sealedenv {

struct SealOptions {
  Mode mode = Mode::basic;
  KdfSpec kdf{};
  bool challenge_bind = false;  // enterprise only
  std::string created;          // ISO-8601 UTC; empty = now
  std::optional<std::string> rotated;
  // Fixed salt / nonce (own vectors, tests). Empty = fresh random bytes (always, in the CLI).
  Bytes fixed_salt;
  Bytes fixed_nonce;
  // Refuse KDF parameters below the spec minimums (check_write_minimums). Only tests that need
  // fast files turn this off; readers honour whatever the file says.
  bool enforce_minimums = true;
};

struct SealKeys {
  ByteView master;                    // required, raw bytes (32 from tokens)
  std::optional<ByteView> signing;    // team, enterprise
  std::optional<ByteView> totp;       // enterprise (the TOTP secret, 20 bytes)
};

// §6. The plaintext is sealed as given (callers validate it as a dotenv document first).
Result<SealedFile> seal(ByteView plaintext, const SealKeys& keys, const SealOptions& opts);

// The enterprise second factor (§7 step 5): given the file and the derived key, succeed or fail.
// Failures that are token problems carry their class/cause; a wrong epoch is the opaque error.
using SecondFactor = std::function<Status(const SealedFile&, ByteView derived_key)>;

struct OpenKeys {
  // Tier A: the master key, from which the derived key is computed with the file's KDF.
  std::optional<ByteView> master;
  // Tier B (§12.7 step 9, the token's `ek`) or a derived key computed earlier.
  std::optional<ByteView> derived;
  // Team and enterprise files: the signing key, or (Tier B) the file's HMAC key itself
  // (mac_key(signing, salt)) as a keyward deploy token carries it. One of the two is required.
  std::optional<ByteView> signing;
  std::optional<ByteView> mac_key;
  // Enterprise files: always required (Tier A: TOTP secret or unseal token; Tier B: the epoch
  // a keyward deploy token carries).
  SecondFactor second_factor;
  // Receives the legacy-hmac warning when the file carries the keyward 0.1 HMAC form.
  std::vector<std::string>* warnings = nullptr;
};

inline constexpr std::string_view kLegacyHmacWarning =
    "legacy-hmac: this file's HMAC is in the form keyward 0.1 wrote (over the AAD-DIGEST line "
    "too), which the Node and Java implementations reject; re-seal it with `keyward sealed-env "
    "rotate` or any write (set, rm, edit)";

// §7 steps 3-8, with the HMAC (step 4) checked before the KDF (its key does not depend on it).
// Every cryptographic failure is the one opaque decrypt_failed error. Missing credentials for
// the file's mode are an auth_failed error naming what is missing.
Result<SecretBytes> open(const SealedFile& f, const OpenKeys& keys);

// Step 4 alone: ok when the HMAC verifies in the Node form (or, with a kLegacyHmacWarning added
// to `warnings`, in the keyward 0.1 form); otherwise the opaque error.
Status verify_hmac(const SealedFile& f, ByteView mac_key, std::vector<std::string>* warnings);

// Second factor from the TOTP secret itself (a Tier A `e` token or SEALED_ENV_TOTP_SECRET):
// recompute the epoch and compare its commitment with EPOCH-COMMIT.
SecondFactor totp_secret_factor(ByteView totp_secret);
// Compare HMAC(derived_key, epoch || "epoch-commit-v1") with EPOCH-COMMIT in constant time.
Status check_epoch(const SealedFile& f, ByteView derived_key, ByteView epoch);

// Current UTC time as YYYY-MM-DDTHH:MM:SS.mmmZ (the Node implementation's toISOString form).
std::string now_timestamp();

}  // namespace keyward::sealedenv

// SEALED-ENV-V1 key schedule (spec §6, §9, §12.4, §12.5): the KDF over the master key, the HKDF
// subkeys, the enterprise epoch and its commitment, the vault id and the deploy signature key.
#pragma once

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/file_format.h"

namespace keyward::sealedenv {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kTotpSecretSize = 20;

// Writers refuse parameters below these (spec §8 "recommended minimum" for Argon2id; for scrypt
// the spec default N=32768, r=8, p=1, see docs/sealed-env-conformance.md). Readers honour any
// parameters kdf.h accepts.
Status check_write_minimums(const KdfSpec& k);

// §6 step 3: 32-byte derived_key = KDF(master_key, salt, params). The master key is used as raw
// bytes (node-basic.json decrypts only that way).
Result<SecretBytes> derive_key(ByteView master_key, ByteView salt, const KdfSpec& k);
// §6 step 4: HKDF(derived_key, salt, "sealed-env:v1:enc", 32).
Result<SecretBytes> enc_key(ByteView derived_key, ByteView salt);
// §6 step 8: HKDF(signing_key, salt, "sealed-env:v1:mac", 32).
Result<SecretBytes> mac_key(ByteView signing_key, ByteView salt);
// §6 step 7: HMAC-SHA256(totp_secret, salt || "epoch-v1").
SecretBytes enterprise_epoch(ByteView totp_secret, ByteView salt);
// §6 step 7: HMAC-SHA256(derived_key, epoch || "epoch-commit-v1").
Bytes epoch_commit(ByteView derived_key, ByteView epoch);
// §12.4: SHA-256("sealed-env:vault-id:v1" || salt).
Bytes vault_id(ByteView salt);
// §12.5: HKDF(master_key, salt, "sealed-env:deploy-sig:v1", 32).
Result<SecretBytes> deploy_sig_key(ByteView master_key, ByteView salt);

}  // namespace keyward::sealedenv

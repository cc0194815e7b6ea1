#include "core/sealedenv/keys.h"

#include "core/hash.h"
#include "core/kdf.h"
#include "core/random.h"

namespace keyward::sealedenv {

Status check_write_minimums(const KdfSpec& k) {
  if (k.kind == KdfKind::argon2id) {
    if (k.argon2.t_cost < 2 || k.argon2.m_cost_kib < 16384 || k.argon2.parallelism < 1)
      return fail(Errc::invalid_argument,
                  "sealed-env: Argon2id parameters below the minimum t=2, m=16384, p=1");
  } else if (k.scrypt.n < 32768 || k.scrypt.r < 8 || k.scrypt.p < 1) {
    return fail(Errc::invalid_argument,
                "sealed-env: scrypt parameters below the minimum N=32768, r=8, p=1");
  }
  return ok();
}

Result<SecretBytes> derive_key(ByteView master_key, ByteView salt, const KdfSpec& k) {
  if (k.kind == KdfKind::argon2id) return kdf::argon2id(master_key, salt, k.argon2, kKeySize);
  return kdf::scrypt(master_key, salt, k.scrypt, kKeySize);
}

Result<SecretBytes> enc_key(ByteView derived_key, ByteView salt) {
  return kdf::hkdf_sha256(derived_key, salt, as_bytes("sealed-env:v1:enc"), kKeySize);
}

Result<SecretBytes> mac_key(ByteView signing_key, ByteView salt) {
  return kdf::hkdf_sha256(signing_key, salt, as_bytes("sealed-env:v1:mac"), kKeySize);
}

SecretBytes enterprise_epoch(ByteView totp_secret, ByteView salt) {
  Bytes msg(salt.begin(), salt.end());
  append(msg, as_bytes("epoch-v1"));
  Bytes mac = hash::hmac_sha256(totp_secret, msg);
  SecretBytes out = SecretBytes::copy_of(ByteView(mac));
  secure_wipe(mac.data(), mac.size());
  return out;
}

Bytes epoch_commit(ByteView derived_key, ByteView epoch) {
  Bytes msg(epoch.begin(), epoch.end());
  append(msg, as_bytes("epoch-commit-v1"));
  return hash::hmac_sha256(derived_key, msg);
}

Bytes vault_id(ByteView salt) {
  Bytes msg = to_bytes("sealed-env:vault-id:v1");
  append(msg, salt);
  auto d = hash::sha256(msg);
  return Bytes(d.begin(), d.end());
}

Result<SecretBytes> deploy_sig_key(ByteView master_key, ByteView salt) {
  return kdf::hkdf_sha256(master_key, salt, as_bytes("sealed-env:deploy-sig:v1"), kKeySize);
}

}  // namespace keyward::sealedenv

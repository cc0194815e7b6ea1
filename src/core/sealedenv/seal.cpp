#include "core/sealedenv/seal.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <ctime>

#include "core/aead.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/keys.h"

namespace keyward::sealedenv {

std::string now_timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

Result<SealedFile> seal(ByteView plaintext, const SealKeys& keys, const SealOptions& opts) {
  if (opts.enforce_minimums) KW_TRY_STATUS(check_write_minimums(opts.kdf));
  KW_TRY_STATUS(check_kdf_limits(opts.kdf));  // never write a file keyward would refuse to read
  if (keys.master.size() < 16)
    return fail(Errc::invalid_argument, "sealed-env: the master key must be at least 16 bytes");
  if (opts.mode != Mode::basic && (!keys.signing || keys.signing->size() < 16))
    return fail(Errc::invalid_argument, "sealed-env: team and enterprise files need a signing key");
  if (opts.mode == Mode::enterprise && (!keys.totp || keys.totp->size() != kTotpSecretSize))
    return fail(Errc::invalid_argument,
                "sealed-env: enterprise files need a 20-byte TOTP secret");
  SealedFile f;
  f.mode = opts.mode;
  f.kdf = opts.kdf;
  f.salt = opts.fixed_salt.empty() ? random_bytes(kSaltSize) : opts.fixed_salt;
  f.nonce = opts.fixed_nonce.empty() ? random_bytes(kNonceSize) : opts.fixed_nonce;
  if (f.salt.size() != kSaltSize || f.nonce.size() != kNonceSize)
    return fail(Errc::invalid_argument, "sealed-env: salt must be 16 bytes and nonce 12 bytes");
  f.created = opts.created.empty() ? now_timestamp() : opts.created;
  f.rotated = opts.rotated;
  if (!valid_timestamp(f.created) || (f.rotated && !valid_timestamp(*f.rotated)))
    return fail(Errc::invalid_argument, "sealed-env: timestamps must be ISO-8601 UTC");

  KW_TRY(SecretBytes dk, derive_key(keys.master, f.salt, f.kdf));
  if (f.mode == Mode::enterprise) {
    SecretBytes epoch = enterprise_epoch(*keys.totp, f.salt);
    f.epoch_commit = epoch_commit(dk, epoch);
    f.challenge_bind = opts.challenge_bind;
  }
  std::string aad = aad_text(f);
  auto digest = hash::sha256(as_bytes(aad));
  f.aad_digest.assign(digest.begin(), digest.end());
  KW_TRY(SecretBytes ek, enc_key(dk, f.salt));
  KW_TRY(f.ciphertext, aead::aes256gcm_seal(ek, f.nonce, plaintext, as_bytes(aad)));
  if (f.mode != Mode::basic) {
    KW_TRY(SecretBytes mk, mac_key(*keys.signing, f.salt));
    f.hmac = hash::hmac_sha256(mk, hmac_message(f));
  }
  return f;
}

Status check_epoch(const SealedFile& f, ByteView derived_key, ByteView epoch) {
  if (!f.epoch_commit) return decrypt_fail();
  Bytes want = epoch_commit(derived_key, epoch);
  if (!ct_equal(want, *f.epoch_commit)) return decrypt_fail();
  return ok();
}

SecondFactor totp_secret_factor(ByteView totp_secret) {
  SecretBytes secret = SecretBytes::copy_of(totp_secret);
  auto shared = std::make_shared<SecretBytes>(std::move(secret));
  return [shared](const SealedFile& f, ByteView dk) -> Status {
    SecretBytes epoch = enterprise_epoch(*shared, f.salt);
    return check_epoch(f, dk, epoch);
  };
}

Status verify_hmac(const SealedFile& f, ByteView mk, std::vector<std::string>* warnings) {
  if (!f.hmac || mk.size() != kKeySize) return decrypt_fail();
  if (ct_equal(hash::hmac_sha256(mk, hmac_message(f)), *f.hmac)) return ok();
  if (ct_equal(hash::hmac_sha256(mk, hmac_message_keyward01(f)), *f.hmac)) {
    if (warnings) warnings->emplace_back(kLegacyHmacWarning);
    return ok();
  }
  return decrypt_fail();
}

Result<SecretBytes> open(const SealedFile& f, const OpenKeys& keys) {
  if (!keys.master && !keys.derived)
    return fail(Errc::auth_failed, "sealed-env: no master key provided");
  if (f.mode != Mode::basic && !keys.signing && !keys.mac_key)
    return fail(Errc::auth_failed, "sealed-env: a " + std::string(mode_name(f.mode)) +
                                       "-mode file needs the signing key (a token of mode t or e)");
  if (f.mode == Mode::enterprise && !keys.second_factor)
    return fail(Errc::auth_failed,
                "sealed-env: an enterprise file needs an unseal token or the TOTP secret "
                "(a token of mode e)");
  // Step 4 first: the HMAC key does not depend on the KDF, so a team or enterprise file whose
  // header was edited is refused before the (file-chosen, expensive) KDF runs.
  if (f.mode != Mode::basic) {
    if (keys.mac_key) {
      KW_TRY_STATUS(verify_hmac(f, *keys.mac_key, keys.warnings));
    } else {
      KW_TRY(SecretBytes mk, mac_key(*keys.signing, f.salt));
      KW_TRY_STATUS(verify_hmac(f, mk, keys.warnings));
    }
  }
  SecretBytes dk;
  if (keys.derived) {
    if (keys.derived->size() != kKeySize) return decrypt_fail();
    dk = SecretBytes::copy_of(*keys.derived);
  } else {
    auto d = derive_key(*keys.master, f.salt, f.kdf);
    if (!d) return d.error().code == Errc::invalid_argument ? decrypt_fail() : tl::unexpected(d.error());
    dk = std::move(*d);
  }
  // Step 5: enterprise second factor.
  if (f.mode == Mode::enterprise) KW_TRY_STATUS(keys.second_factor(f, dk));
  // Step 6: AAD digest.
  std::string aad = aad_text(f);
  auto digest = hash::sha256(as_bytes(aad));
  if (!ct_equal(ByteView(digest), f.aad_digest)) return decrypt_fail();
  // Steps 7-8.
  KW_TRY(SecretBytes ek, enc_key(dk, f.salt));
  auto pt = aead::aes256gcm_open(ek, f.nonce, f.ciphertext, as_bytes(aad));
  if (!pt) return decrypt_fail();
  return std::move(*pt);
}

}  // namespace keyward::sealedenv

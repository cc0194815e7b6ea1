// Argon2id through libargon2's argon2_ctx (multi-lane, threads = lanes, optional secret K and
// associated data X); scrypt and HKDF-SHA-256 through OpenSSL 3's EVP_KDF.
#include "core/kdf.h"

#include <argon2.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <limits>
#include <string>

#include "core/hash.h"
#include "core/ossl.h"
#include "core/random.h"

namespace keyward::kdf {
namespace {

std::uint8_t* mutable_ptr(ByteView v) noexcept {
  // libargon2 and OSSL_PARAM take non-const pointers but only read these inputs.
  return v.empty() ? nullptr : const_cast<std::uint8_t*>(v.data());
}

Status check_argon2(ByteView salt, ByteView secret, ByteView associated, const Argon2Params& p,
                    std::size_t out_len) {
  if (p.t_cost < 1 || p.t_cost > kArgon2MaxTimeCost)
    return fail(Errc::invalid_argument, "Argon2id iterations (t) must be 1 to " +
                                            std::to_string(kArgon2MaxTimeCost) + ", got " +
                                            std::to_string(p.t_cost));
  if (p.parallelism < 1 || p.parallelism > kArgon2MaxParallelism)
    return fail(Errc::invalid_argument, "Argon2id parallelism (p) must be 1 to " +
                                            std::to_string(kArgon2MaxParallelism) + ", got " +
                                            std::to_string(p.parallelism));
  // RFC 9106 §3.1: m >= 8 * p KiB.
  if (p.m_cost_kib < 8u * p.parallelism || p.m_cost_kib > kArgon2MaxMemoryKib)
    return fail(Errc::invalid_argument,
                "Argon2id memory (m) must be between 8*p = " + std::to_string(8u * p.parallelism) +
                    " and " + std::to_string(kArgon2MaxMemoryKib) + " KiB, got " +
                    std::to_string(p.m_cost_kib));
  if (salt.size() < kArgon2MinSaltSize || salt.size() > std::numeric_limits<std::uint32_t>::max())
    return fail(Errc::invalid_argument, "Argon2id salt must be at least 8 bytes, got " +
                                            std::to_string(salt.size()));
  if (out_len < ARGON2_MIN_OUTLEN || out_len > kKdfMaxOutput)
    return fail(Errc::invalid_argument, "Argon2id output length must be 4 to " +
                                            std::to_string(kKdfMaxOutput) + " bytes, got " +
                                            std::to_string(out_len));
  constexpr std::size_t kMax32 = std::numeric_limits<std::uint32_t>::max();
  if (secret.size() > kMax32 || associated.size() > kMax32)
    return fail(Errc::invalid_argument, "Argon2id secret or associated data too long");
  return ok();
}

}  // namespace

Result<SecretBytes> argon2id_keyed(ByteView password, ByteView salt, ByteView secret,
                                   ByteView associated, const Argon2Params& params,
                                   std::size_t out_len) {
  KW_TRY_STATUS(check_argon2(salt, secret, associated, params, out_len));
  if (password.size() > std::numeric_limits<std::uint32_t>::max())
    return fail(Errc::invalid_argument, "Argon2id password too long");

  SecretBytes out(out_len);
  argon2_context ctx{};
  ctx.out = out.data();
  ctx.outlen = static_cast<std::uint32_t>(out_len);
  ctx.pwd = mutable_ptr(password);
  ctx.pwdlen = static_cast<std::uint32_t>(password.size());
  ctx.salt = mutable_ptr(salt);
  ctx.saltlen = static_cast<std::uint32_t>(salt.size());
  ctx.secret = mutable_ptr(secret);
  ctx.secretlen = static_cast<std::uint32_t>(secret.size());
  ctx.ad = mutable_ptr(associated);
  ctx.adlen = static_cast<std::uint32_t>(associated.size());
  ctx.t_cost = params.t_cost;
  ctx.m_cost = params.m_cost_kib;
  ctx.lanes = params.parallelism;
  ctx.threads = params.parallelism;
  ctx.version = ARGON2_VERSION_13;
  ctx.allocate_cbk = nullptr;  // libargon2 wipes its memory blocks before freeing them
  ctx.free_cbk = nullptr;
  ctx.flags = ARGON2_DEFAULT_FLAGS;  // never wipe the caller's password/secret buffers

  const int rc = argon2_ctx(&ctx, Argon2_id);
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
    return fail(Errc::io, "Argon2id could not allocate " + std::to_string(params.m_cost_kib) +
                              " KiB of memory");
  if (rc != ARGON2_OK)
    return fail(Errc::crypto, std::string("Argon2id failed: ") + argon2_error_message(rc));
  return out;
}

Result<SecretBytes> argon2id(ByteView password, ByteView salt, const Argon2Params& params,
                             std::size_t out_len) {
  return argon2id_keyed(password, salt, {}, {}, params, out_len);
}

Result<SecretBytes> scrypt(ByteView password, ByteView salt, const ScryptParams& params,
                           std::size_t out_len, std::uint64_t max_mem_bytes) {
  const std::uint64_t n = params.n;
  if (n < 2 || (n & (n - 1)) != 0)
    return fail(Errc::invalid_argument,
                "scrypt N must be a power of two greater than 1, got " + std::to_string(n));
  if (params.r < 1 || params.p < 1)
    return fail(Errc::invalid_argument, "scrypt r and p must be at least 1");
  if (out_len < 1 || out_len > kKdfMaxOutput)
    return fail(Errc::invalid_argument, "scrypt output length must be 1 to " +
                                            std::to_string(kKdfMaxOutput) + " bytes, got " +
                                            std::to_string(out_len));
  // The memory OpenSSL will allocate: V = 128*r*(N+2) plus B = 128*r*p. Checked here, with
  // overflow guards, so an attacker-chosen N/r/p is refused before any allocation.
  const std::uint64_t r = params.r;
  const std::uint64_t p = params.p;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (n > kMax - p - 2 || (n + p + 2) > kMax / 128 / r || 128 * r * (n + p + 2) > max_mem_bytes)
    return fail(Errc::invalid_argument,
                "scrypt parameters N=" + std::to_string(n) + ", r=" + std::to_string(r) +
                    ", p=" + std::to_string(p) + " need more than the allowed " +
                    std::to_string(max_mem_bytes >> 20) + " MiB of memory");

  ossl::Kdf kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return ossl::crypto_failure("scrypt unavailable");
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return ossl::crypto_failure("scrypt context");
  std::uint64_t n_param = n;
  std::uint32_t r_param = params.r;
  std::uint32_t p_param = params.p;
  std::uint64_t maxmem = max_mem_bytes;
  static const unsigned char kEmpty = 0;
  OSSL_PARAM ps[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD,
          password.empty() ? const_cast<unsigned char*>(&kEmpty) : mutable_ptr(password),
          password.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_SALT, salt.empty() ? const_cast<unsigned char*>(&kEmpty) : mutable_ptr(salt),
          salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r_param),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p_param),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  SecretBytes out(out_len);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), ps) != 1)
    return ossl::crypto_failure("scrypt failed (parameters rejected by OpenSSL)");
  return out;
}

Result<SecretBytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, std::size_t out_len) {
  if (out_len < 1 || out_len > 255 * 32)
    return fail(Errc::invalid_argument,
                "HKDF-SHA-256 output length must be 1 to 8160 bytes, got " + std::to_string(out_len));
  ossl::Kdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return ossl::crypto_failure("HKDF unavailable");
  ossl::KdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return ossl::crypto_failure("HKDF context");

  // OpenSSL refuses an empty HKDF key, but RFC 5869 allows an empty IKM: in that case do the
  // extract step with HMAC (PRK = HMAC-SHA-256(salt, IKM)) and let EVP_KDF expand.
  int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
  Bytes prk;
  ByteView key = ikm;
  if (ikm.empty()) {
    prk = hash::hmac_sha256(salt, ikm);
    key = prk;
    mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  }
  char digest[] = "SHA256";
  OSSL_PARAM ps[6];
  std::size_t i = 0;
  ps[i++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
  ps[i++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  ps[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_ptr(key), key.size());
  // An absent salt is HashLen zero bytes (RFC 5869 §2.2), which is what OpenSSL uses.
  if (!salt.empty() && mode == EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND)
    ps[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, mutable_ptr(salt),
                                                salt.size());
  if (!info.empty())
    ps[i++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, mutable_ptr(info),
                                                info.size());
  ps[i] = OSSL_PARAM_construct_end();

  SecretBytes out(out_len);
  const int rc = EVP_KDF_derive(ctx.get(), out.data(), out.size(), ps);
  secure_wipe(prk.data(), prk.size());
  if (rc != 1) return ossl::crypto_failure("HKDF-SHA-256 failed");
  return out;
}

}  // namespace keyward::kdf

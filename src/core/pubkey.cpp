// X25519 and Ed25519 through libsodium (crypto_scalarmult, crypto_sign_*).
#include "core/pubkey.h"

#include <sodium.h>

#include <string>

#include "core/random.h"

namespace keyward::pubkey {
namespace {

Status check_size(const char* what, ByteView v, std::size_t want) {
  if (v.size() != want)
    return fail(Errc::invalid_argument, std::string(what) + " must be " + std::to_string(want) +
                                            " bytes, got " + std::to_string(v.size()));
  return ok();
}

// The 64-byte libsodium signing key (seed || public) for a seed, in locked memory.
SecretBytes signing_key(ByteView seed32, Ed25519Public& pk) {
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed32.data());
  return sk;
}

}  // namespace

X25519KeyPair x25519_generate() {
  X25519KeyPair kp;
  kp.secret = random_secret(crypto_scalarmult_SCALARBYTES);
  crypto_scalarmult_base(kp.public_key.data(), kp.secret.data());
  return kp;
}

Result<X25519Public> x25519_public(ByteView secret) {
  KW_TRY_STATUS(check_size("X25519 secret key", secret, crypto_scalarmult_SCALARBYTES));
  crypto_init();
  X25519Public pub{};
  if (crypto_scalarmult_base(pub.data(), secret.data()) != 0)
    return fail(Errc::crypto, "X25519 public key derivation failed");
  return pub;
}

Result<SecretBytes> x25519(ByteView secret, ByteView peer_public) {
  KW_TRY_STATUS(check_size("X25519 secret key", secret, crypto_scalarmult_SCALARBYTES));
  KW_TRY_STATUS(check_size("X25519 public key", peer_public, crypto_scalarmult_BYTES));
  crypto_init();
  SecretBytes shared(crypto_scalarmult_BYTES);
  // libsodium returns -1 when the result is all zeros (a low-order peer point); check the
  // output too so the refusal does not depend on that detail.
  const int rc = crypto_scalarmult(shared.data(), secret.data(), peer_public.data());
  if (rc != 0 || sodium_is_zero(shared.data(), shared.size()) == 1)
    return fail(Errc::invalid_argument,
                "X25519 peer public key is a low-order point (shared secret would be all zeros)");
  return shared;
}

Ed25519KeyPair ed25519_generate() {
  Ed25519KeyPair kp;
  kp.seed = random_secret(crypto_sign_SEEDBYTES);
  signing_key(kp.seed, kp.public_key);
  return kp;
}

Result<Ed25519KeyPair> ed25519_from_seed(ByteView seed32) {
  KW_TRY_STATUS(check_size("Ed25519 private key (seed)", seed32, crypto_sign_SEEDBYTES));
  crypto_init();
  Ed25519KeyPair kp;
  kp.seed = SecretBytes::copy_of(seed32);
  signing_key(kp.seed, kp.public_key);
  return kp;
}

Result<Ed25519Signature> ed25519_sign(ByteView seed32, ByteView message) {
  KW_TRY_STATUS(check_size("Ed25519 private key (seed)", seed32, crypto_sign_SEEDBYTES));
  crypto_init();
  Ed25519Public pk{};
  const SecretBytes sk = signing_key(seed32, pk);
  Ed25519Signature sig{};
  if (crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data()) != 0)
    return fail(Errc::crypto, "Ed25519 signing failed");
  return sig;
}

bool ed25519_verify(ByteView public_key, ByteView message, ByteView signature) noexcept {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES)
    return false;
  crypto_init();
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

}  // namespace keyward::pubkey

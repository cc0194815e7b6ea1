// Seal+open of 64 KiB with the three AEADs, and Argon2id at the default parameters.
// Run: ./build/bench/keyward-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <sodium.h>

#include <cstdlib>

#include "core/aead.h"
#include "core/kdf.h"
#include "core/random.h"

using namespace keyward;

namespace {

constexpr std::size_t kPayload = 64 * 1024;

template <class Seal, class Open>
void seal_open(benchmark::State& state, std::size_t nonce_size, Seal seal, Open open) {
  const SecretBytes key = random_secret(aead::kKeySize);
  const Bytes nonce = random_bytes(nonce_size);
  const Bytes plaintext = random_bytes(kPayload);
  const Bytes aad = to_bytes("bench");
  for (auto _ : state) {
    auto sealed = seal(key, nonce, plaintext, aad);
    if (!sealed) std::abort();
    auto opened = open(key, nonce, *sealed, aad);
    if (!opened) std::abort();
    benchmark::DoNotOptimize(opened->data());
  }
  // Bytes processed: each iteration encrypts and decrypts the payload once.
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(2 * kPayload));
}

void BM_XChaCha20Poly1305_libsodium(benchmark::State& state) {
  seal_open(state, aead::kXNonceSize, aead::xchacha_seal, aead::xchacha_open);
}
void BM_ChaCha20Poly1305_OpenSSL(benchmark::State& state) {
  seal_open(state, aead::kNonceSize, aead::chacha_seal, aead::chacha_open);
}
void BM_AES256GCM_OpenSSL(benchmark::State& state) {
  seal_open(state, aead::kNonceSize, aead::aes256gcm_seal, aead::aes256gcm_open);
}

void BM_ChaCha20Poly1305_OpenSSL_into(benchmark::State& state) {
  const SecretBytes key = random_secret(aead::kKeySize);
  const Bytes nonce = random_bytes(aead::kNonceSize);
  const Bytes plaintext = random_bytes(kPayload);
  Bytes sealed(kPayload + aead::kTagSize);
  Bytes opened(kPayload);
  for (auto _ : state) {
    if (!aead::chacha_seal_into(key, nonce, plaintext, {}, sealed)) std::abort();
    if (!aead::chacha_open_into(key, nonce, sealed, {}, opened)) std::abort();
    benchmark::DoNotOptimize(opened.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(2 * kPayload));
}

// The same 64 KiB seal+open straight into preallocated buffers with libsodium, so the
// library-vs-library ChaCha comparison is not dominated by SecretBytes (sodium_malloc + mlock).
template <class Enc, class Dec>
void sodium_into(benchmark::State& state, std::size_t nonce_size, Enc enc, Dec dec) {
  crypto_init();
  const SecretBytes key = random_secret(aead::kKeySize);
  const Bytes nonce = random_bytes(nonce_size);
  const Bytes plaintext = random_bytes(kPayload);
  Bytes sealed(kPayload + aead::kTagSize);
  Bytes opened(kPayload);
  for (auto _ : state) {
    unsigned long long len = 0;
    if (enc(sealed.data(), &len, plaintext.data(), plaintext.size(), nullptr, 0, nullptr,
            nonce.data(), key.data()) != 0)
      std::abort();
    if (dec(opened.data(), &len, nullptr, sealed.data(), sealed.size(), nullptr, 0, nonce.data(),
            key.data()) != 0)
      std::abort();
    benchmark::DoNotOptimize(opened.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(2 * kPayload));
}

void BM_XChaCha20Poly1305_libsodium_into(benchmark::State& state) {
  sodium_into(state, aead::kXNonceSize, crypto_aead_xchacha20poly1305_ietf_encrypt,
              crypto_aead_xchacha20poly1305_ietf_decrypt);
}
void BM_ChaCha20Poly1305_libsodium_into(benchmark::State& state) {
  sodium_into(state, aead::kNonceSize, crypto_aead_chacha20poly1305_ietf_encrypt,
              crypto_aead_chacha20poly1305_ietf_decrypt);
}

void BM_Argon2id_default(benchmark::State& state) {
  const kdf::Argon2Params params;  // t=3, m=64 MiB, p=4
  const Bytes salt = random_bytes(16);
  for (auto _ : state) {
    auto key = kdf::argon2id(as_bytes("correct horse battery staple"), salt, params, 32);
    if (!key) std::abort();
    benchmark::DoNotOptimize(key->data());
  }
}

}  // namespace

BENCHMARK(BM_XChaCha20Poly1305_libsodium);
BENCHMARK(BM_ChaCha20Poly1305_OpenSSL);
BENCHMARK(BM_ChaCha20Poly1305_OpenSSL_into);
BENCHMARK(BM_AES256GCM_OpenSSL);
BENCHMARK(BM_XChaCha20Poly1305_libsodium_into);
BENCHMARK(BM_ChaCha20Poly1305_libsodium_into);
BENCHMARK(BM_Argon2id_default)->Unit(benchmark::kMillisecond)->UseRealTime();

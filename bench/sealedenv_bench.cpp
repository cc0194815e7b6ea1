// SEALED-ENV-V1: decrypting a sealed file at the spec's default Argon2id parameters (t=3,
// m=65536 KiB, p=4) against the bare KDF at the same parameters. Everything keyward adds on top
// of the KDF (parsing, HKDF, AAD digest, HMAC, GCM, dotenv parse) should be next to nothing; the
// p=4 lanes run on 4 threads inside libargon2.
// Run: ./build/bench/keyward-bench --benchmark_filter=SealedEnv --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "core/dotenv.h"
#include "core/kdf.h"
#include "core/random.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/seal.h"

using namespace keyward;

namespace {

const std::string& sealed_text(const SecretBytes& mk, const SecretBytes& sk) {
  static const std::string text = [&] {
    sealedenv::SealOptions o;
    o.mode = sealedenv::Mode::team;  // the HMAC path too
    std::string plain;
    for (int i = 0; i < 50; ++i) plain += "KEY_" + std::to_string(i) + "=value-" + std::to_string(i * 7919) + "\n";
    auto f = sealedenv::seal(as_bytes(plain), sealedenv::SealKeys{mk.view(), sk.view(), {}}, o);
    if (!f) std::abort();
    return sealedenv::write_file(*f).value();
  }();
  return text;
}

const SecretBytes& master() {
  static const SecretBytes k = random_secret(32);
  return k;
}
const SecretBytes& signing() {
  static const SecretBytes k = random_secret(32);
  return k;
}

void BM_SealedEnv_Decrypt_Argon2idDefault(benchmark::State& state) {
  const std::string& text = sealed_text(master(), signing());
  for (auto _ : state) {
    auto f = sealedenv::parse_for_decrypt(text);
    if (!f) std::abort();
    sealedenv::OpenKeys k;
    k.master = master().view();
    k.signing = signing().view();
    auto pt = sealedenv::open(*f, k);
    if (!pt) std::abort();
    auto entries = dotenv_parse(*pt, DotenvOptions::sealed_env_v1());
    if (!entries) std::abort();
    benchmark::DoNotOptimize(entries->data());
  }
}
BENCHMARK(BM_SealedEnv_Decrypt_Argon2idDefault)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SealedEnv_BareKdf_Argon2idDefault(benchmark::State& state) {
  const Bytes salt = random_bytes(16);
  for (auto _ : state) {
    auto dk = kdf::argon2id(master().view(), salt, kdf::Argon2Params{3, 65536, 4}, 32);
    if (!dk) std::abort();
    benchmark::DoNotOptimize(dk->data());
  }
}
BENCHMARK(BM_SealedEnv_BareKdf_Argon2idDefault)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same KDF on one lane (p=1, same memory): shows what the p=4 lanes in parallel buy.
void BM_SealedEnv_BareKdf_Argon2id_OneLane(benchmark::State& state) {
  const Bytes salt = random_bytes(16);
  for (auto _ : state) {
    auto dk = kdf::argon2id(master().view(), salt, kdf::Argon2Params{3, 65536, 1}, 32);
    if (!dk) std::abort();
    benchmark::DoNotOptimize(dk->data());
  }
}
BENCHMARK(BM_SealedEnv_BareKdf_Argon2id_OneLane)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

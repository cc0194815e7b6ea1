// Sealed packages (src/core/package), in process, X25519 recipient:
//   BM_PackageSeal/<entries>, BM_PackageOpen/<entries>: seal and open (envelope + payload parse +
//     high entries with the token) of an environment of N entries (10 and 10 000; values 32 B,
//     one in ten high);
//   BM_PackageOpen1KiB: open of a package of about 1 KiB (target < 2 ms; the age CLI takes about
//     4 ms for a 1 KiB file, most of it process start-up), next to BM_AgeOpen1KiB in age_bench.
// Run: ./build/bench/keyward-bench --benchmark_filter=Package
#include <benchmark/benchmark.h>

#include <string>

#include "core/age/x25519.h"
#include "core/package/package.h"

using namespace keyward;

namespace {

struct PackageKeys {
  age::X25519Identity id = age::X25519Identity::generate();
  age::X25519Recipient rcpt = id.recipient();
};
PackageKeys& pkeys() {
  static PackageKeys k;
  return k;
}

package::SealInput make_input(std::size_t n, std::size_t value_size) {
  package::SealInput in;
  in.env = "dev";
  for (std::size_t i = 0; i < n; ++i) {
    package::Entry e;
    e.coordinate = "dev/c" + std::to_string(i % 100) + "/KEY_" + std::to_string(i);
    e.tier = i % 10 == 9 ? vault::Tier::high : vault::Tier::normal;
    e.value = SecretBytes(value_size);
    for (std::size_t j = 0; j < value_size; ++j) e.value.data()[j] = static_cast<std::uint8_t>('a' + (i + j) % 26);
    in.entries.push_back(std::move(e));
  }
  in.created = 1'800'000'000;
  in.expires = in.created + 86400;
  in.token_expires = in.expires;
  in.recipients.push_back(&pkeys().rcpt);
  return in;
}

void BM_PackageSeal(benchmark::State& state) {
  auto in = make_input(static_cast<std::size_t>(state.range(0)), 32);
  for (auto _ : state) {
    auto s = package::seal(in);
    if (!s) {
      state.SkipWithError("seal failed");
      break;
    }
    benchmark::DoNotOptimize(s->file.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PackageSeal)->Arg(10)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_PackageOpen(benchmark::State& state) {
  auto in = make_input(static_cast<std::size_t>(state.range(0)), 32);
  auto sealed = package::seal(in);
  if (!sealed) {
    state.SkipWithError("seal failed");
    return;
  }
  // Each value lives in its own guarded allocation (SecretBytes: several mappings each); drop
  // the inputs so that one opened package at a time stays well below vm.max_map_count.
  in.entries.clear();
  age::Identity* ids[] = {&pkeys().id};
  for (auto _ : state) {
    auto p = package::open(ids, sealed->file);
    if (!p) {
      state.SkipWithError("open failed");
      break;
    }
    auto high = package::open_high_with_token(*p, sealed->token, in.created + 1);
    if (!high) {
      state.SkipWithError("token open failed");
      break;
    }
    benchmark::DoNotOptimize(high->data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PackageOpen)->Arg(10)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_PackageOpen1KiB(benchmark::State& state) {
  // 12 entries of 48-byte values, 2 of them high: about 1 KiB of package.
  auto in = make_input(12, 48);
  auto sealed = package::seal(in);
  if (!sealed) {
    state.SkipWithError("seal failed");
    return;
  }
  state.counters["package_bytes"] = static_cast<double>(sealed->file.size());
  age::Identity* ids[] = {&pkeys().id};
  for (auto _ : state) {
    auto p = package::open(ids, sealed->file);
    if (!p) {
      state.SkipWithError("open failed");
      break;
    }
    auto high = package::open_high_with_token(*p, sealed->token, in.created + 1);
    if (!high) {
      state.SkipWithError("token open failed");
      break;
    }
    benchmark::DoNotOptimize(high->data());
  }
}
BENCHMARK(BM_PackageOpen1KiB)->Unit(benchmark::kMicrosecond);

}  // namespace

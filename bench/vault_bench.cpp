// Vault benchmarks: get of one key and list on vaults of 10 / 10k / 100k records (unlock
// excluded), and slot add on a 10-record vs a 100k-record vault. Vaults live on tmpfs
// (/dev/shm) when available so the figures show keyward's work, not the disk's fsync latency;
// set KEYWARD_BENCH_DIR to measure a real disk.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/pubkey.h"
#include "core/vault/vault.h"

using namespace keyward;
using namespace keyward::vault;

namespace {

std::string bench_dir() {
  static std::string dir = [] {
    std::string base = "/tmp";
    if (const char* d = std::getenv("KEYWARD_BENCH_DIR")) base = d;
    else if (::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    std::string tmpl = base + "/kwbench-XXXXXX";
    std::string made = ::mkdtemp(tmpl.data());
    std::atexit([] { std::filesystem::remove_all(bench_dir()); });
    return made;
  }();
  return dir;
}

struct Fixture {
  std::unique_ptr<Vault> vault;
  std::string recipient;
};

// One vault per size, created once: N records dev/c<i%100>/K<i>, unlocked through a recipient
// slot (so no Argon2 in the setup either).
Fixture& fixture(int n) {
  static std::map<int, Fixture> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  auto kp = pubkey::x25519_generate();
  std::string recipient = *format_age_recipient(kp.public_key);
  std::string path = bench_dir() + "/v" + std::to_string(n) + ".db";
  VaultOptions opts{bench_dir() + "/pins"};
  auto v = Vault::create(
      path,
      [&](const VaultId&) -> Result<std::vector<Slot>> {
        KW_TRY(auto s, new_recipient_slot("bench", recipient));
        std::vector<Slot> out;
        out.push_back(std::move(s));
        return out;
      },
      opts);
  if (!v) std::abort();
  const int batch = 5000;
  for (int start = 0; start < n; start += batch) {
    std::vector<SetItem> items;
    for (int i = start; i < n && i < start + batch; ++i) {
      SetItem item;
      item.coordinate = "dev/c" + std::to_string(i % 100) + "/K" + std::to_string(i);
      item.value = SecretBytes::copy_of(std::string_view("value-of-a-typical-secret-0123456789"));
      items.push_back(std::move(item));
    }
    if (!v->set(items)) std::abort();
  }
  Fixture f;
  f.vault = std::make_unique<Vault>(std::move(*v));
  f.recipient = recipient;
  return cache.emplace(n, std::move(f)).first->second;
}

void BM_VaultGet(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto& f = fixture(n);
  std::string coord = "dev/c7/K" + std::to_string(n / 2 / 100 * 100 + 7);
  for (auto _ : state) {
    auto r = f.vault->get(coord);
    if (!r) state.SkipWithError("get failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["records"] = n;
}
BENCHMARK(BM_VaultGet)->Arg(10)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_VaultList(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto& f = fixture(n);
  for (auto _ : state) {
    auto r = f.vault->list();
    if (!r || r->size() != static_cast<std::size_t>(n)) state.SkipWithError("list failed");
    benchmark::DoNotOptimize(r);
  }
  state.counters["records"] = n;
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_VaultList)->Arg(10)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// Adds a recipient slot (one committed transaction, header rewrapped); the slot is removed again
// outside the timed region so every iteration sees the same vault.
void BM_VaultSlotAdd(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  auto& f = fixture(n);
  for (auto _ : state) {
    auto kp = pubkey::x25519_generate();
    auto slot = new_recipient_slot("", *format_age_recipient(kp.public_key));
    auto number = f.vault->add_slot(std::move(*slot));
    if (!number) state.SkipWithError("slot add failed");
    state.PauseTiming();
    if (number && !f.vault->remove_slot(*number, false)) state.SkipWithError("slot rm failed");
    state.ResumeTiming();
  }
  state.counters["records"] = n;
}
BENCHMARK(BM_VaultSlotAdd)->Arg(10)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace

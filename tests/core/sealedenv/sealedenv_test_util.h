// Helpers for the SEALED-ENV-V1 tests: vector JSON, an environment map, an in-memory replay cache
// (tests only: the spec has no local replay mode).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "core/sealedenv/credentials.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/replay_cache.h"
#include "test_util.h"

namespace keyward::test {

inline nlohmann::json json_vector(const std::string& rel) {
  return nlohmann::json::parse(read_vector(rel));
}

struct FakeEnv {
  std::map<std::string, std::string> vars;
  sealedenv::EnvLookup lookup() const {
    return [this](std::string_view n) -> std::optional<std::string> {
      auto it = vars.find(std::string(n));
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

class MemoryReplayCache final : public sealedenv::ReplayCache {
 public:
  std::set<std::string> seen;
  std::map<std::string, std::uint64_t> ttls;  // the lifetime asked for, per key
  int calls = 0;
  bool broken = false;
  Result<bool> check_and_set(std::string_view key, std::uint64_t ttl) override {
    ++calls;
    if (broken) return sealedenv::se_fail(sealedenv::kTokenInvalid, "replay-cache-unavailable", "test");
    bool first = seen.insert(std::string(key)).second;
    if (first) ttls[std::string(key)] = ttl;
    return first;
  }
};

inline std::string cause_of(const Error& e) { return sealedenv::class_cause(e).cause; }
inline std::string class_of(const Error& e) { return sealedenv::class_cause(e).klass; }

}  // namespace keyward::test

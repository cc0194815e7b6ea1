// Replay cache for deploy-token nonces (§12.8) and unseal-token ops_ids (§9): one atomic
// check-and-set. The only production backend is Redis (src/net/redis_replay_cache.cpp, SET NX
// EX, outside core: core links no network client);
// the spec has no local mode (`nonce_state_backend: null` means "TTL only"), so an in-memory
// cache exists only in the tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace keyward::sealedenv {

class ReplayCache {
 public:
  virtual ~ReplayCache() = default;
  // Records `key` for ttl_seconds (>= 1) unless already present, atomically. true: first use;
  // false: seen before. Backend errors: TOKEN_INVALID(replay-cache-unavailable) (fail closed).
  virtual Result<bool> check_and_set(std::string_view key, std::uint64_t ttl_seconds) = 0;
};

// The cache key of a deploy nonce, scoped by vault (§12.8 "keyed by (vault_id, nonce)").
std::string deploy_nonce_key(std::string_view vault_id_hex, std::string_view nonce_hex);
std::string unseal_ops_key(std::string_view vault_id_hex, std::string_view ops_id);

}  // namespace keyward::sealedenv

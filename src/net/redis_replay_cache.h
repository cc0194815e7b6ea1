// Network clients behind core interfaces. Core (src/core) defines sealedenv::ReplayCache and
// links no network library; the Redis backend lives here and the front ends pass it in
// (OpenContext::replay_factory).
#pragma once

#include <memory>
#include <string_view>

#include "core/error.h"
#include "core/sealedenv/replay_cache.h"

namespace keyward::net {

// Opens the backend named by a `nonce_state_backend` URI. `redis://host[:port][/db]` is
// supported (connect timeout 2 s); anything else fails closed with
// TOKEN_INVALID(replay-cache-unavailable).
Result<std::unique_ptr<sealedenv::ReplayCache>> open_replay_cache(std::string_view uri);

}  // namespace keyward::net

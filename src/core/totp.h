// RFC 6238 TOTP (and the RFC 4226 HOTP it is built on), with HMAC-SHA-1/256/512 from core/hash.
// Used by SEALED-ENV-V1 enterprise mode (SHA-1, 30 s, 6 digits, ±1 step).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::totp {

enum class Algorithm { sha1, sha256, sha512 };

struct Params {
  Algorithm algorithm = Algorithm::sha1;
  unsigned digits = 6;              // 6 or 8
  std::uint64_t step_seconds = 30;  // X, > 0
  std::int64_t t0 = 0;              // Unix time at which counting starts
};

inline constexpr std::size_t kMinKeySize = 16;  // RFC 4226 §4 R6: at least 128 bits
inline constexpr unsigned kMaxSkewSteps = 10;

// The time-step counter T = floor((unix_time - t0) / step). Invalid parameters or a time before
// t0 -> invalid_argument.
Result<std::uint64_t> counter(std::int64_t unix_time, const Params& params = {});

// HOTP (RFC 4226 §5.3, dynamic truncation) for an explicit counter, zero-padded to `digits`.
Result<std::string> hotp(ByteView key, std::uint64_t counter_value, const Params& params = {});

// The TOTP code for `unix_time`. Key shorter than 16 bytes, digits not 6/8, step 0, or time
// before t0 -> invalid_argument.
Result<std::string> generate(ByteView key, std::int64_t unix_time, const Params& params = {});

// Checks `code` against the codes of the steps T - skew_steps .. T + skew_steps (never before
// t0). Every candidate is computed and compared in constant time, with no early exit. Returns the
// matching step counter (callers use it to refuse a replayed code), or nullopt. A code that is
// not exactly `digits` ASCII digits simply does not match. Bad parameters or skew_steps >
// kMaxSkewSteps -> invalid_argument.
Result<std::optional<std::uint64_t>> verify_step(ByteView key, std::string_view code,
                                                 std::int64_t unix_time, const Params& params = {},
                                                 unsigned skew_steps = 1);

// verify_step(...) has a value.
Result<bool> verify(ByteView key, std::string_view code, std::int64_t unix_time,
                    const Params& params = {}, unsigned skew_steps = 1);

}  // namespace keyward::totp

// libFuzzer target for the strict deterministic CBOR decoder (src/core/cbor*.cpp).
// Invariants: never crash; anything accepted re-encodes to exactly the input (one accepted
// encoding per value); decode(encode(v)) == v; decode_prefix agrees with decode.
#include <cstdint>
#include <cstdlib>

#include "core/cbor.h"

using namespace keyward;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(data, size);
  const Bytes input(in.begin(), in.end());

  auto whole = cbor::decode(in);
  if (whole) {
    const Bytes again = cbor::encode(*whole);
    check(again == input);
    auto second = cbor::decode(again);
    check(second.has_value() && *second == *whole);
    (void)cbor::diagnostic(*whole);
  }

  auto prefix = cbor::decode_prefix(in);
  if (prefix) {
    check(prefix->second > 0 && prefix->second <= size);
    check(cbor::encode(prefix->first) == Bytes(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(prefix->second)));
    check(whole.has_value() == (prefix->second == size));
  } else {
    check(!whole.has_value());
  }

  // Tight limits must only ever turn a success into a failure, never crash.
  cbor::DecodeLimits tight;
  tight.max_depth = 3;
  tight.max_items = 8;
  auto limited = cbor::decode(in, tight);
  if (limited) check(whole.has_value() && *limited == *whole);
  return 0;
}

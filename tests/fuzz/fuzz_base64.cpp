// libFuzzer target for the strict hex and base64 decoders (padded, unpadded, URL-safe).
// Invariants: never crash; anything a decoder accepts re-encodes to exactly the input (hex:
// to its lower-case form, since decoding accepts either case); encoding the raw input and
// decoding it gives the input back.
#include <cstdint>
#include <string>

#include "core/base64.h"
#include "core/hex.h"

using namespace keyward;
using namespace keyward::encoding;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

template <class Enc, class Dec>
void roundtrip(std::string_view text, ByteView bytes, Enc enc, Dec dec) {
  auto d = dec(text);
  if (d) check(enc(*d) == text);
  auto back = dec(enc(bytes));
  check(back.has_value() && *back == Bytes(bytes.begin(), bytes.end()));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView bytes(data, size);
  const std::string_view text = as_chars(bytes);

  roundtrip(text, bytes, base64_encode, base64_decode);
  roundtrip(text, bytes, base64_raw_encode, base64_raw_decode);
  roundtrip(text, bytes, base64url_encode, base64url_decode);

  auto h = hex_decode(text);
  if (h) check(hex_encode(*h) == lower(text));
  auto hb = hex_decode(hex_encode(bytes));
  check(hb.has_value() && *hb == Bytes(bytes.begin(), bytes.end()));
  return 0;
}

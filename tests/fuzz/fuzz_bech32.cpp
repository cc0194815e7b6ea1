// libFuzzer target for the Bech32 (BIP-173) decoder.
// Invariants: never crash; anything accepted re-encodes to exactly the input (in the input's
// case); the public, secret and 5-bit-group decoders agree; encode->decode round-trips.
#include <cstdint>
#include <string>

#include "core/bech32.h"

using namespace keyward;
using namespace keyward::encoding;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView bytes(data, size);
  const std::string_view text = as_chars(bytes);

  auto d = bech32_decode(text);
  auto groups = bech32_decode_groups(text);
  auto secret = bech32_decode_secret(text);
  check(d.has_value() == secret.has_value());
  if (d) {
    check(groups.has_value() && groups->hrp == d->hrp);
    auto again = bech32_encode(d->hrp, d->data, has_upper(text));
    check(again.has_value() && *again == text);
    check(secret->hrp == d->hrp && secret->data.equals(d->data));
    auto again_secret = bech32_encode_secret(d->hrp, secret->data.view(), has_upper(text));
    check(again_secret.has_value() && again_secret->reveal_string() == text);
  }
  // The BIP-173 length limit only ever rejects more.
  if (bech32_decode(text, kBech32Bip173MaxLen)) check(d.has_value());

  // Encode direction: hrp from the first bytes (mapped into 33..126, lower-case), the rest as data.
  if (size > 0) {
    const std::size_t hlen = 1 + data[0] % 16;
    if (size > hlen) {
      std::string hrp;
      for (std::size_t i = 1; i <= hlen; ++i) {
        char c = static_cast<char>(33 + data[i] % 94);
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        hrp.push_back(c);
      }
      const ByteView payload = bytes.subspan(hlen + 1);
      auto enc = bech32_encode(hrp, payload);
      if (enc) {
        auto dec = bech32_decode(*enc);
        check(dec.has_value() && dec->hrp == hrp &&
              dec->data == Bytes(payload.begin(), payload.end()));
      } else {
        check(hrp.size() + 1 + (payload.size() * 8 + 4) / 5 + 6 > kBech32MaxLen);
      }
    }
  }
  return 0;
}

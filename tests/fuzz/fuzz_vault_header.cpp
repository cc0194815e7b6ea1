// libFuzzer target: the vault header body parser and the transition parser. Neither may crash,
// read out of bounds or accept a body that does not re-encode to the same bytes (the base alone,
// or the base with its extension: audit anchors and keyring).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/vault/format.h"
#include "core/vault/vault.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  keyward::ByteView in(data, size);
  if (auto h = keyward::vault::parse_header(in)) {
    // A 154-byte body (written before the extension existed) re-encodes as the base alone.
    auto again = size == keyward::vault::kHeaderBodySize ? keyward::vault::encode_header_base(*h)
                                                         : keyward::vault::encode_header(*h);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  }
  if (auto t = keyward::vault::parse_transition(in)) {
    (void)keyward::vault::verify_transition(*t, in);
  }
  return 0;
}

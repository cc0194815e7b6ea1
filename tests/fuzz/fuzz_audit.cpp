// libFuzzer target: the audit entry and head parsers (src/core/audit). Neither may crash or read
// out of bounds, and each accepts only the canonical form: whatever parses re-encodes to exactly
// the input bytes (so an entry has one byte string, and its chain hash and MAC are well defined).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/audit/entry.h"
#include "core/audit/log.h"
#include "core/hex.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto e = audit::parse_line(in)) {
    auto again = audit::encode_line(*e);
    if (!again || *again != in) std::abort();
    if (audit::line_body(in) != *audit::encode_body(*e)) std::abort();
  }
  if (auto h = audit::parse_head(in)) {
    auto body = audit::encode_head_body(*h);
    if (!body || *body + " mac=" + encoding::hex_encode(h->mac) != in) std::abort();
  }
  if (auto d = audit::pct_decode(in)) {
    if (audit::pct_encode(*d) != in) std::abort();
  }
  (void)audit::parse_since(in, 1796012707);
  return 0;
}

// libFuzzer target for the age ASCII armor decoder.
// Invariants: never crash; whatever the decoder accepts re-encodes (ArmorWriter) to a text that
// decodes to the same bytes, and an accepted input without CR, without surrounding whitespace
// and ending in one LF is byte-for-byte the canonical encoding.
#include <cstdint>
#include <string>

#include "core/age/armor.h"

using namespace keyward;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

Result<Bytes> decode(ByteView text) {
  age::MemoryReader mr(text);
  age::BufferedReader br(mr, 64);
  age::ArmorReader ar(br);
  Bytes out;
  std::uint8_t buf[97];
  for (;;) {
    KW_TRY(const std::size_t n, ar.read(MutableByteView(buf, sizeof buf)));
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  auto decoded = decode(input);
  if (!decoded) return 0;
  Bytes encoded;
  age::VectorWriter vw(encoded);
  age::ArmorWriter aw(vw);
  check(aw.write(*decoded).has_value() && aw.finish().has_value());
  auto again = decode(encoded);
  check(again.has_value() && *again == *decoded);
  const std::string_view text = as_chars(input);
  const bool plain_form = text.find('\r') == std::string_view::npos && !text.empty() &&
                          text.front() == '-' && text.size() >= 2 && text.back() == '\n' &&
                          text[text.size() - 2] != '\n' && text[text.size() - 2] != ' ' &&
                          text[text.size() - 2] != '\t';
  if (plain_form) check(as_chars(encoded) == text);
  return 0;
}

// libFuzzer target for the dotenv parser and writer (src/core/dotenv.cpp).
// Properties, for both dialects and both duplicate policies:
//   - parsing never crashes; a rejection is Errc::malformed with a "dotenv line N:" message
//     (or the size-limit message);
//   - for any accepted input x, the keyward writer accepts parse(x), its output parses back
//     to the same entries, and writing those again gives the same bytes;
//   - for the SEALED-ENV-V1 dialect, the SEALED-ENV-V1 writer also accepts parse(x) and its
//     output reads back to the same entries in both dialects.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/dotenv.h"

using namespace keyward;

namespace {

void check(bool cond) {
  if (!cond) std::abort();
}

void round_trip(ByteView input, const DotenvOptions& opt) {
  auto parsed = dotenv_parse(input, opt);
  if (!parsed) {
    check(parsed.error().code == Errc::malformed);
    const std::string& m = parsed.error().message;
    check(m.rfind("dotenv line ", 0) == 0 || m.rfind("dotenv document is larger", 0) == 0);
    return;
  }
  // keyward canonical form: always writable, reads back identically, idempotent.
  auto text = dotenv_write(*parsed);
  check(text.has_value());
  auto back = dotenv_parse(*text);
  check(back.has_value());
  check(dotenv_entries_equal(*back, *parsed));
  auto again = dotenv_write(*back);
  check(again.has_value() && again->equals(text->view()));

  if (opt.dialect == DotenvDialect::sealed_env_v1) {
    auto stext = dotenv_write(*parsed, opt);
    check(stext.has_value());
    for (const DotenvOptions& reader : {opt, DotenvOptions{}}) {
      auto sback = dotenv_parse(*stext, reader);
      check(sback.has_value());
      check(dotenv_entries_equal(*sback, *parsed));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  DotenvOptions keyward_opt;
  round_trip(input, keyward_opt);
  keyward_opt.duplicates = DotenvDuplicates::last_wins;
  round_trip(input, keyward_opt);
  DotenvOptions sealed_opt = DotenvOptions::sealed_env_v1();
  round_trip(input, sealed_opt);
  sealed_opt.duplicates = DotenvDuplicates::last_wins;
  round_trip(input, sealed_opt);
  return 0;
}

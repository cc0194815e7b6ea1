// libFuzzer target for the package payload parser (docs/format-package.md) and the access token
// parser. Invariants: never crash; a payload the parser accepts keeps every entry inside its
// environment and distinct; a token the parser accepts re-encodes (binary) to the same bytes.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "core/package/package.h"
#include "core/vault/format.h"

using namespace keyward;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  if (auto p = package::parse_payload(input)) {
    std::set<std::string> seen;
    for (const auto& e : p->entries) {
      auto c = vault::parse_coordinate(e.coordinate);
      check(c.has_value() && c->env == p->env);
      check(seen.insert(e.coordinate).second);
    }
    for (const auto& h : p->high) check(seen.insert(h.coordinate).second);
    check(p->expires > p->created && p->token_expires <= p->expires);
    (void)package::check_policy(*p, 1'800'000'000);
  }
  if (auto t = package::parse_token(input)) {
    check(t->secret.size() == package::kTokenSecretSize);
    if (size > 0 && data[0] != '-') {
      auto again = package::encode_token(*t, false);
      check(again.size() == size && std::equal(again.view().begin(), again.view().end(), data));
    }
  }
  return 0;
}

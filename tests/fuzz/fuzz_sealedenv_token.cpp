// libFuzzer target for the credential-token reader (§11.7), the usl_ unseal-token reader (§9) and
// the .sealed-env.config.json validator (§12.2) - and through them the strict CBOR decoder.
// Properties: no crash; every rejection carries a TOKEN_INVALID / CONFIG_ERROR class and cause;
// an accepted Tier A or deploy token re-encodes to exactly the input text (deterministic CBOR,
// unknown keys aside); an accepted token is at most 512 bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/sealedenv/config.h"
#include "core/sealedenv/credential_token.h"
#include "core/sealedenv/errors.h"
#include "core/sealedenv/unseal_token.h"

using namespace keyward;
using namespace keyward::sealedenv;

namespace {
void check(bool c) {
  if (!c) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = parse_token(text);
  if (!t) {
    auto cc = class_cause(t.error());
    check(cc.klass == "TOKEN_INVALID" && !cc.cause.empty());
  } else {
    check(text.size() <= kMaxTokenLength);
    std::optional<ByteView> s, tt;
    if (t->signing) s = t->signing->view();
    if (t->totp) tt = t->totp->view();
    if (t->mode == 'b' || t->mode == 't' || t->mode == 'e') {
      auto again = encode_tier_a(t->mode, *t->master, s, tt);
      check(again.has_value());
      // Equal unless the input carried unknown keys (ignored by the reader).
      if (again->size() == text.size()) check(again->reveal_string() == text);
    } else if (t->mode == 'd') {
      auto again = encode_deploy(*t->deploy);
      check(again.has_value());
      if (again->size() == text.size()) check(again->reveal_string() == text);
    } else {
      auto u = unseal_from_credential(*t);
      check(u.has_value());
    }
  }
  auto u = parse_unseal_jws(text);
  if (!u) check(class_cause(u.error()).klass == "TOKEN_INVALID");
  for (Mode m : {Mode::basic, Mode::enterprise}) {
    auto c = parse_config(text, m);
    if (!c) check(class_cause(c.error()).klass == "CONFIG_ERROR");
    else check(c->deploy_ttl_max_seconds >= 1 && c->deploy_ttl_max_seconds <= 600);
  }
  return 0;
}

// libFuzzer target for the JSON inside usl_ unseal tokens (§9): the input is
// "<header JSON>\n<payload JSON>"; the target wraps both (base64url) into
// usl_<header>.<payload>.<32-byte signature> and parses it, so the fuzzer explores the JSON
// itself rather than base64. Found before: {"alg":5} and {"typ":null} escaped as a
// nlohmann::json::type_error and ended the process (issue 17).
// Properties: no crash, no exception; every rejection is TOKEN_INVALID with a cause; an accepted
// token has the HS256 / sealed-env-unseal/v1 header, claims of the right types, and re-wraps
// losslessly into the u form and back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base64.h"
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
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto nl = in.find('\n');
  std::string_view header = in.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  std::string tok = "usl_" + encoding::base64url_encode(as_bytes(header)) + "." +
                    encoding::base64url_encode(as_bytes(payload)) + "." +
                    encoding::base64url_encode(as_bytes(std::string(32, 's')));
  auto u = parse_unseal_jws(tok);
  if (!u) {
    auto cc = class_cause(u.error());
    check(cc.klass == "TOKEN_INVALID" && !cc.cause.empty());
    return 0;
  }
  check(u->sig.size() == 32);
  check(u->signing_input == tok.substr(4, tok.rfind('.') - 4));
  auto cred = format_unseal_credential(*u);
  if (cred) {
    auto back = parse_unseal_any(std::string(cred->reveal_string()));
    // The u form re-serialises the claims (§11.6); it must parse back to the same claims.
    if (back) check(back->claims.exp == u->claims.exp && back->claims.iat == u->claims.iat &&
                    back->claims.ops_id == u->claims.ops_id);
  }
  return 0;
}

// Compiled by nodiscard_test.sh: as is it must compile; with -DKW_DISCARD=N, which drops one
// Result, it must not (src/core/error.h: Result and Status are [[nodiscard]]).
#include <functional>

#include "core/error.h"

namespace {

using keyward::Result;
using keyward::Status;

Status check() { return keyward::ok(); }
Result<int> parse() { return 1; }
struct Store {
  Status save() const { return keyward::fail(keyward::Errc::io, "disk full"); }
};

Result<int> twice() {  // the propagation macros use what they get
  KW_TRY_STATUS(check());
  KW_TRY(int x, parse());
  return 2 * x;
}

}  // namespace

int main() {
  Store store;
  std::function<Status()> later = check;
  (void)store.save();  // deliberately ignored: allowed
#if KW_DISCARD == 1
  check();
#elif KW_DISCARD == 2
  parse();
#elif KW_DISCARD == 3
  store.save();
#elif KW_DISCARD == 4
  later();
#endif
  auto r = twice();
  return r && *r == 2 && later() ? 0 : 1;
}

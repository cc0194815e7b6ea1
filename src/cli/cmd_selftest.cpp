// `keyward selftest`: known-answer checks of the primitives against the linked libraries, run at
// the user's request (like a power-on self-test). Prints one line per check, exit 0 if all pass.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/random.h"
#include "core/secret.h"

namespace keyward::cli {
namespace {

struct Check {
  const char* name;
  std::function<bool()> run;
};

std::vector<Check> checks() {
  return {
      {"csprng produces distinct 32-byte draws",
       [] { return !ct_equal(random_bytes(32), random_bytes(32)); }},
      {"constant-time compare",
       [] {
         Bytes a = to_bytes("keyward"), b = to_bytes("keyward"), c = to_bytes("keywarD");
         return ct_equal(a, b) && !ct_equal(a, c) && !ct_equal(a, Bytes{});
       }},
      {"locked secret memory round trip",
       [] {
         auto s = SecretBytes::copy_of(std::string_view("secret"));
         return s.size() == 6 && s.equals(as_bytes("secret"));
       }},
  };
}

int run_selftest(const Context& ctx) {
  int failed = 0;
  for (const auto& check : checks()) {
    bool passed = check.run();
    if (!passed) ++failed;
    if (!ctx.quiet || !passed) std::printf("%s  %s\n", passed ? "ok  " : "FAIL", check.name);
  }
  if (failed != 0) {
    return report(Error{Errc::crypto, std::to_string(failed) + " self-test check(s) failed"});
  }
  return 0;
}

void add_selftest_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("selftest", "Run known-answer checks of every primitive");
  cmd->callback([&ctx] { ctx.exit_code = run_selftest(ctx); });
}

}  // namespace

KEYWARD_COMMAND(900, add_selftest_command);

}  // namespace keyward::cli

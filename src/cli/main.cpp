// keyward: secrets behind hardware tokens. See docs/user-guide.md.
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"
#include "cli/usage.h"
#include "core/crypto_check.h"
#include "core/hardening.h"

int main(int argc, char** argv) {
  using namespace keyward;
  if (auto hardened = harden_process(); !hardened) return cli::report(hardened.error());
  // Every command hashes, and the hashes abort when OpenSSL cannot (docs/exit-codes.md, 17).
  if (!cli::invoked_command(argc, argv).empty()) {
    if (auto crypto = check_crypto_available(); !crypto) return cli::report(crypto.error());
  }

  CLI::App app;
  cli::Context ctx;
  cli::configure_app(app, ctx);
  cli::register_all(app, ctx, cli::invoked_command(argc, argv));

  // `keyward help [CMD...]`: the help of CMD (every parser was built: "help" is no command).
  if (cli::invoked_command(argc, argv) == "help") {
    std::vector<std::string> words;
    bool seen = false;
    for (int i = 1; i < argc; ++i) {
      std::string_view a(argv[i]);
      if (!seen) {
        seen = a == "help";
        continue;
      }
      if (!a.empty() && a[0] != '-') words.emplace_back(a);
    }
    return cli::run_help(app, words);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every real usage error exits 2, with
    // keyward's own message (what was meant, where the help is).
    if (e.get_exit_code() == 0) return app.exit(e);
    return cli::report_usage_error(app, e, argc, argv);
  }
  return ctx.exit_code;
}

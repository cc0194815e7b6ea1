// keyward: secrets behind hardware tokens. See docs/user-guide.md.
#include "cli/cli.h"
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every real usage error exits 2.
    return app.exit(e) == 0 ? 0 : exit_code(Errc::invalid_argument);
  }
  return ctx.exit_code;
}

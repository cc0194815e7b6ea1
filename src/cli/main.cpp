// keyward: secrets behind hardware tokens. See docs/user-guide.md.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <openssl/crypto.h>
#include <sodium.h>

#include "cli/cli.h"
#include "core/crypto_check.h"
#include "core/hardening.h"

namespace {

std::string version_text() {
  std::string v = "keyward " KEYWARD_VERSION "\n";
  v += std::string("libsodium ") + sodium_version_string() + ", " +
       OpenSSL_version(OPENSSL_VERSION);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace keyward;
  if (auto hardened = harden_process(); !hardened) return cli::report(hardened.error());
  // Every command hashes, and the hashes abort when OpenSSL cannot (docs/exit-codes.md, 17).
  if (!cli::invoked_command(argc, argv).empty()) {
    if (auto crypto = check_crypto_available(); !crypto) return cli::report(crypto.error());
  }

  CLI::App app{"keyward: a team's secrets behind hardware tokens (PIV smart cards, FIDO2, "
               "passphrases).\nSecrets are never read from the command line: values come from "
               "stdin, a no-echo prompt or a file.",
               "keyward"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.fallthrough();

  cli::Context ctx;
  if (const char* env = std::getenv("KEYWARD_VAULT")) ctx.vault_path = env;
  app.add_option("--vault", ctx.vault_path, "Vault file (default: $KEYWARD_VAULT, then "
                 "$XDG_DATA_HOME/keyward/vault.db)");
  app.add_flag("--json", ctx.json, "Machine-readable output where supported");
  app.add_flag("-q,--quiet", ctx.quiet, "No informational messages");
  app.add_flag("--no-agent", ctx.no_agent,
               "Do not use or start the unlock agent (also KEYWARD_NO_AGENT=1)");
  cli::register_all(app, ctx, cli::invoked_command(argc, argv));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every real usage error exits 2.
    return app.exit(e) == 0 ? 0 : exit_code(Errc::invalid_argument);
  }
  return ctx.exit_code;
}

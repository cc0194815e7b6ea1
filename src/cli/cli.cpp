#include "cli/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <sodium.h>

#include "core/bytes.h"

namespace keyward::cli {
namespace {

struct Entry {
  int order;
  Registrar registrar;
  const char* names;
};

std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}

bool names_contain(std::string_view names, std::string_view name) {
  while (!names.empty()) {
    auto sp = names.find(' ');
    if (names.substr(0, sp) == name) return true;
    if (sp == std::string_view::npos) break;
    names.remove_prefix(sp + 1);
  }
  return false;
}

std::string version_text() {
  std::string v = "keyward " KEYWARD_VERSION "\n";
  v += std::string("libsodium ") + sodium_version_string() + ", " +
       OpenSSL_version(OPENSSL_VERSION);
  return v;
}

}  // namespace

void configure_app(CLI::App& app, Context& ctx) {
  app.name("keyward");
  app.description("keyward: a team's secrets behind hardware tokens (PIV smart cards, FIDO2, "
                  "passphrases).\nSecrets are never read from the command line: values come from "
                  "stdin, a no-echo prompt or a file.");
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  app.fallthrough();

  if (const char* env = std::getenv("KEYWARD_VAULT")) ctx.vault_path = env;
  app.add_option("--vault", ctx.vault_path, "Vault file (default: $KEYWARD_VAULT, then "
                 "$XDG_DATA_HOME/keyward/vault.db)");
  app.add_flag("--json", ctx.json, "Machine-readable output where supported");
  app.add_flag("-q,--quiet", ctx.quiet, "No informational messages");
  app.add_flag("--no-agent", ctx.no_agent,
               "Do not use or start the unlock agent (also KEYWARD_NO_AGENT=1)");
}

CommandRegistration::CommandRegistration(int order, Registrar registrar, const char* names) {
  registry().push_back(Entry{order, registrar, names});
}

std::string_view invoked_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    if (a == "--vault") {
      ++i;  // its value
      continue;
    }
    if (a.rfind("--vault=", 0) == 0 || a == "--json" || a == "-q" || a == "--quiet" ||
        a == "--no-agent") {
      continue;
    }
    if (a.empty() || a[0] == '-') return {};  // --help, --version, anything else: build all
    return a;
  }
  return {};
}

void register_all(CLI::App& app, Context& ctx, std::string_view only) {
  auto commands = registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const Entry& a, const Entry& b) { return a.order < b.order; });
  bool known = !only.empty() && std::any_of(commands.begin(), commands.end(), [&](const Entry& e) {
    return names_contain(e.names, only);
  });
  for (const auto& e : commands) {
    if (!known || names_contain(e.names, only)) e.registrar(app, ctx);
  }
}

int report(const Error& error) {
  std::fprintf(stderr, "keyward: %s\n", error.message.c_str());
  return exit_code(error.code);
}

void info(const Context& ctx, std::string_view line) {
  if (ctx.quiet) return;
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

void print_json_with_secret(std::string json_text, std::string_view key, std::string& secret) {
  if (!secret.empty() && json_text.size() >= 2 && json_text.compare(json_text.size() - 2, 2, "\n}") == 0) {
    json_text.reserve(json_text.size() + key.size() + secret.size() + 16);
    json_text.resize(json_text.size() - 2);
    json_text.append(",\n  \"").append(key).append("\": \"");
    json_text.append(secret);
    json_text.append("\"\n}");
  }
  std::fwrite(json_text.data(), 1, json_text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  secure_wipe(json_text.data(), json_text.size());
  secure_wipe(secret.data(), secret.size());
}

}  // namespace keyward::cli

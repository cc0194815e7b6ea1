// Shared plumbing for the keyward command. Each subcommand lives in its own file and registers
// itself with KEYWARD_COMMAND; main.cpp only builds the app and runs it.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/error.h"

namespace keyward::cli {

// Options shared by every subcommand, and the exit code the chosen subcommand produced.
struct Context {
  std::string vault_path;  // --vault / KEYWARD_VAULT; empty means the default location
  bool json = false;       // --json: machine-readable output where a command supports it
  bool quiet = false;      // -q: no informational lines on stderr
  bool no_agent = false;   // --no-agent: never use or start the unlock agent
  int exit_code = 0;
};

using Registrar = void (*)(CLI::App& app, Context& ctx);

struct CommandRegistration {
  CommandRegistration(int order, Registrar registrar, const char* names);
};

// Registers a subcommand: `KEYWARD_COMMAND(20, add_get_command, "get");` The order fixes where it
// is listed in --help; `names` lists, space-separated, the top-level subcommands the registrar
// adds (so that a command line naming one builds only its registrar: see register_all).
#define KEYWARD_COMMAND(order, fn, names) \
  static const ::keyward::cli::CommandRegistration kw_command_##fn((order), (fn), (names))

// The top-level subcommand a command line names: the first argument that is not a global
// option (--vault takes a value), or empty (none, or anything this scan does not understand).
std::string_view invoked_command(int argc, char** argv);

// Calls the registrars in order: only the one that adds `only` when a registrar declares it
// (building the parser for every subcommand was a large part of keyward's start-up, which
// every `keyward run` pays), else every one (--help, an unknown name: CLI11 then lists or
// refuses them as usual).
void register_all(CLI::App& app, Context& ctx, std::string_view only = {});

// Sets up the top-level app: name, description, --version and the global options above.
// main.cpp then registers the invoked subcommand; the man-page and completion generators
// (cli/cli_doc.h) register every one, so both describe the parser that actually runs.
void configure_app(CLI::App& app, Context& ctx);

// Prints "keyward: <message>" to stderr and returns the error's exit code.
int report(const Error& error);
// Informational line on stderr (suppressed by -q).
void info(const Context& ctx, std::string_view line);

// Prints a JSON object's text (`--json` output: "{...}", as nlohmann::json::dump(2) makes it) on
// stdout, with the string member `key` set to `secret` added last when `secret` is not empty
// (a recovery code: [A-Z0-9-], nothing to escape). The secret is appended only into a buffer
// reserved up front, which is wiped after printing, and `secret` is wiped too.
void print_json_with_secret(std::string json_text, std::string_view key, std::string& secret);

}  // namespace keyward::cli

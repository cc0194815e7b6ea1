// `keyward export --env E [--component C]`: print an environment as a .env document on stdout.
// Refuses the vault's high environments (default prod and production: their secrets never
// leave the vault in plaintext files; core policy). High secrets of
// other environments are released by one pass of the presence gate showing their list.
// The same KEY in two components is refused; choose one with --component.
#include <cstdio>
#include <set>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"
#include "core/dotenv.h"

namespace keyward::cli {
namespace {

struct ExportOptions {
  std::string env;
  std::string component;
  bool allow_empty = false;
  UnlockOptions unlock;
};

Status write_out(const SecretBytes& text);

Status run_export(const Context& ctx, const ExportOptions& o) {
  if (!vault::valid_env_name(o.env)) {
    return fail(Errc::invalid_argument, "--env must be an environment name like dev");
  }
  KW_TRY_STATUS(refuse_reserved_env(o.env));
  std::vector<DotenvEntry> entries;
  std::set<std::string> keys;
  auto add = [&](const vault::RecordMeta& meta, SecretBytes value) -> Status {
    KW_TRY(auto c, vault::parse_coordinate(meta.coordinate));
    if (!keys.insert(c.key).second) {
      return fail(Errc::policy, "the variable " + c.key + " exists in several components of " +
                                    o.env + "; choose one with --component");
    }
    entries.push_back(DotenvEntry{c.key, std::move(value)});
    return ok();
  };
  // Core refuses high environments (their secrets never go to a plaintext file) before any
  // gate, and releases the high records of the selection through one pass of the gate.
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY(auto read, vault->read_env(access::EnvQuery{o.env, access::components_of(o.component),
                                                     vault::ReadPurpose::exporting, {},
                                                     o.allow_empty}));
  for (auto& r : read.records) KW_TRY_STATUS(add(r.meta, std::move(r.value)));
  KW_TRY(auto text, dotenv_write(entries));
  return write_out(text);
}

Status write_out(const SecretBytes& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  return ok();
}

void add_export_command(CLI::App& app, Context& ctx) {
  static ExportOptions o;
  auto* cmd = app.add_subcommand("export", "Print an environment as .env (refuses high environments such as prod)");
  cmd->add_option("--env", o.env, "Environment, e.g. dev")->required();
  cmd->add_option("--component", o.component, "Only this component");
  cmd->add_flag("--allow-empty", o.allow_empty,
                "Print an empty document if the environment (or component) has no secrets; "
                "without it that is an error naming the known ones");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_export(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(70, add_export_command, "export");

}  // namespace keyward::cli

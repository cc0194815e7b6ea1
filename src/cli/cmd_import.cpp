// `keyward import --env E [--component C] FILE`: store every KEY=value of a .env file as
// E/C/KEY (component default "default") in one transaction. FILE "-" reads stdin.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/cli.h"
#include "cli/presence.h"
#include "cli/prompt.h"
#include "cli/audit_hook.h"
#include "cli/vault_open.h"
#include "core/dotenv.h"

namespace keyward::cli {
namespace {

struct ImportOptions {
  std::string env;
  std::string component = "default";
  std::string file;
  std::string tier;
  UnlockOptions unlock;
};

Result<SecretBytes> read_input(const std::string& file) {
  if (file == "-") return read_fd_secret(0, 16u << 20);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                "cannot read " + file + ": " + std::strerror(errno));
  }
  auto r = read_fd_secret(fd, 16u << 20);
  ::close(fd);
  return r;
}

Status run_import(const Context& ctx, const ImportOptions& o) {
  if (!vault::valid_env_name(o.env)) {
    return fail(Errc::invalid_argument, "--env must be an environment name like dev");
  }
  KW_TRY_STATUS(refuse_reserved_env(o.env));
  if (!vault::valid_env_name(o.component)) {
    return fail(Errc::invalid_argument, "--component must be a component name like api");
  }
  vault::Tier tier = vault::Tier::normal;  // no --tier: the vault's policy decides (below)
  if (o.tier == "normal") tier = vault::Tier::normal;
  else if (o.tier == "high") tier = vault::Tier::high;
  else if (!o.tier.empty()) return fail(Errc::invalid_argument, "--tier is normal or high");

  KW_TRY(auto text, read_input(o.file));
  KW_TRY(auto entries, dotenv_parse(text));
  std::vector<vault::SetItem> items;
  for (auto& e : entries) {
    vault::SetItem item;
    item.coordinate = o.env + "/" + o.component + "/" + e.key;
    KW_TRY_STATUS(vault::parse_coordinate(item.coordinate));
    item.tier = tier;
    item.value = std::move(e.value);
    items.push_back(std::move(item));
  }
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  KW_TRY(bool high_env, v.is_high_env(o.env));
  if (o.tier.empty() && high_env) {
    tier = vault::Tier::high;
    for (auto& i : items) i.tier = tier;
  }
  if (tier == vault::Tier::high && !v.has_presence_slot()) {
    return fail(Errc::policy, "importing into " + o.env + " makes high secrets" +
                                  (o.tier.empty() ? " (" + o.env + " is a high environment)" : "") +
                                  ", which need a presence-capable slot: enrol one with "
                                  "`keyward slot add piv` or `keyward slot add fido2`");
  }
  // The policy (core) says which entries need the presence gate (high ones, those replacing a
  // high record, any in a high environment) and refuses loader variables there: one gate pass
  // for the whole list.
  auto need = v.grant_needed(items);
  if (!need) return audited(v, "import", Status(tl::unexpected(need.error())), audit_items(items));
  std::optional<gate::Grant> grant;
  if (!need->empty()) {
    KW_TRY(grant, vault_gate(ctx, v, "import", *need, gate::Level::touch));
  }
  KW_TRY_STATUS(audited(v, "import", v.set(items, grant ? &*grant : nullptr), audit_items(items)));
  info(ctx, "Imported " + std::to_string(items.size()) + " secret(s) into " + o.env + "/" +
                o.component);
  return ok();
}

void add_import_command(CLI::App& app, Context& ctx) {
  static ImportOptions o;
  auto* cmd = app.add_subcommand("import", "Import a .env file into an environment");
  cmd->add_option("--env", o.env, "Environment, e.g. dev")->required();
  cmd->add_option("--component", o.component, "Component (default 'default')");
  cmd->add_option("--tier", o.tier, "normal or high (prod defaults to high)");
  cmd->add_option("file", o.file, ".env file, or - for stdin")->required();
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_import(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(60, add_import_command, "import");

}  // namespace keyward::cli

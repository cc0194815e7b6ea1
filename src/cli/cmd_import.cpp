// `keyward import --env E [--component C] FILE`: store every KEY=value of a .env file as
// E/C/KEY (component default "default") in one transaction. FILE "-" reads stdin.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/prompt.h"
#include "cli/vault_open.h"
#include "core/dotenv.h"

namespace keyward::cli {
namespace {

struct ImportOptions {
  std::string env;
  std::string component = "default";
  std::string file;
  std::string tier;
  bool overwrite = false;
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
  // No --tier: core resolves each item's tier with the vault's high environments, refuses what
  // no grant lifts (loader variables in a high environment, high records without a presence-
  // capable slot), and asks ONE pass of the presence gate for every entry that needs it.
  for (auto& i : items) i.default_tier = o.tier.empty();
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  if (!o.overwrite) {
    // Replacing what is there is a choice (--overwrite or a yes on the terminal), as for unpack.
    KW_TRY(auto metas, vault->list());
    std::set<std::string> have;
    for (const auto& m : metas) have.insert(m.coordinate);
    std::vector<std::string> existing;
    for (const auto& i : items) {
      if (have.count(i.coordinate) != 0) existing.push_back(i.coordinate);
    }
    if (!existing.empty()) {
      std::string names;
      for (std::size_t k = 0; k < existing.size() && k < 5; ++k) names += (k ? ", " : "") + existing[k];
      if (existing.size() > 5) names += ", ...";
      const std::string what = std::to_string(existing.size()) + " of these secrets already " +
                               (existing.size() == 1 ? "exists" : "exist") + " (" + names + ")";
      if (!have_tty()) {
        return fail(Errc::already_exists, what + "; pass --overwrite to replace them; nothing imported");
      }
      if (!prompt_yes_no(what + ". Overwrite?")) {
        return fail(Errc::cancelled, "not overwriting; nothing imported");
      }
    }
  }
  KW_TRY_STATUS(vault->set(items, "import"));
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
  cmd->add_flag("--overwrite", o.overwrite,
                "Replace secrets that already exist (otherwise asked on a terminal, refused without one)");
  cmd->add_option("file", o.file, ".env file, or - for stdin")->required();
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_import(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(60, add_import_command, "import");

}  // namespace keyward::cli

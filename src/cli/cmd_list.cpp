// `keyward list [--env E]`: coordinates, tier, kind, last update and an 8-hex-character value
// fingerprint. Never values. `--json` prints an array of objects.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "core/access/serve.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct ListOptions {
  std::string env;
  bool allow_empty = false;
  UnlockOptions unlock;
};

std::string iso_time(std::uint64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Status run_list(const Context& ctx, const ListOptions& o) {
  // One rule for names everywhere: --env is an environment name as in coordinates.
  if (!o.env.empty() && !vault::valid_env_name(o.env)) {
    return fail(Errc::invalid_argument, "--env must be an environment name like dev (lower-case "
                                        "letters, digits, '.', '_' or '-')");
  }
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY(auto metas, vault->list());  // keyward's own records are not listed (core)
  if (!o.env.empty() && !o.allow_empty) {
    KW_TRY_STATUS(access::selection_exists(metas, o.env, "", "; --allow-empty lists nothing instead"));
  }
  nlohmann::json arr = nlohmann::json::array();
  // A header for people (on a terminal); pipes and scripts get the rows only, as before.
  bool header = !ctx.json && ::isatty(1) != 0;
  for (const auto& m : metas) {
    if (header && (o.env.empty() || m.coordinate.rfind(o.env + "/", 0) == 0)) {
      std::printf("%-40s %-6s %-9s %-20s %s\n", "COORDINATE", "TIER", "KIND", "UPDATED", "FINGERPRINT");
      header = false;
    }
    if (!o.env.empty() && m.coordinate.rfind(o.env + "/", 0) != 0) continue;
    std::string fp = encoding::hex_encode(m.fingerprint);
    if (ctx.json) {
      arr.push_back({{"coordinate", m.coordinate},
                     {"tier", vault::tier_name(m.tier)},
                     {"kind", vault::kind_name(m.kind)},
                     {"created", iso_time(m.created)},
                     {"updated", iso_time(m.updated)},
                     {"fingerprint", fp}});
    } else {
      std::printf("%-40s %-6s %-9s %s %s\n", m.coordinate.c_str(),
                  std::string(vault::tier_name(m.tier)).c_str(),
                  std::string(vault::kind_name(m.kind)).c_str(), iso_time(m.updated).c_str(),
                  fp.c_str());
    }
  }
  if (ctx.json) std::printf("%s\n", arr.dump(2).c_str());
  std::fflush(stdout);
  return ok();
}

void add_list_command(CLI::App& app, Context& ctx) {
  static ListOptions o;
  auto* cmd = app.add_subcommand("list", "List secrets (never values); --json for machines");
  cmd->add_option("--env", o.env, "Only this environment");
  cmd->add_flag("--allow-empty", o.allow_empty,
                "With --env: list nothing (exit 0) if the environment has no secrets; without it "
                "that is an error naming the known ones");
  cmd->add_flag("--json", ctx.json, "JSON output");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_list(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(40, add_list_command, "list");

}  // namespace keyward::cli

// `keyward list [--env E]`: coordinates, tier, kind, last update and an 8-hex-character value
// fingerprint. Never values. `--json` prints an array of objects.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct ListOptions {
  std::string env;
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
  std::vector<vault::RecordMeta> metas;
  agent::Request req;
  req.op = agent::Op::list;
  KW_TRY(auto answer, ask_agent(ctx, o.unlock, req));
  if (answer) {
    metas = std::move(answer->metas);
  } else {
    KW_TRY(auto v, open_vault(ctx, o.unlock));
    KW_TRY(metas, v.list());
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& m : metas) {
    if (!o.env.empty() && m.coordinate.rfind(o.env + "/", 0) != 0) continue;
    if (m.coordinate.rfind(std::string(kReservedEnv) + "/", 0) == 0) continue;  // keyward's own keys
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
  cmd->add_flag("--json", ctx.json, "JSON output");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_list(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(40, add_list_command, "list");

}  // namespace keyward::cli

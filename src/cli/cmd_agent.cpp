// `keyward agent start|stop|status` and `keyward lock [--all]`: the unlock agent (docs/agent.md).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "agent/client.h"
#include "agent/server.h"
#include "agent/socket.h"
#include "cli/agent_access.h"
#include "cli/cli.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct AgentStartOptions {
  std::string idle_ttl = "15m";
  std::string max_ttl = "8h";
  bool foreground = false;
  bool idle_given = false, max_given = false;  // named on the command line
};

std::string human(std::uint64_t s) {
  if (s >= 3600 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

Result<agent::Response> ask(agent::Request req) {
  KW_TRY(auto sock, agent::socket_path(false));
  KW_TRY(auto r, agent::call(sock, req, agent::client_timeout_ms()));
  if (!r.ok) return fail(r.locked ? Errc::unavailable : r.code, r.locked ? "refused" : r.message);
  return r;
}

Status run_start(const Context& ctx, const AgentStartOptions& o) {
  KW_TRY(auto idle, agent::parse_duration(o.idle_ttl));
  KW_TRY(auto max, agent::parse_duration(o.max_ttl));
  if (o.foreground) {
    agent::AgentOptions opts;
    opts.idle_ttl_s = idle;
    opts.max_ttl_s = max;
    opts.vault_options = vault_options();
    return agent::serve(opts);
  }
  KW_TRY(auto sock, agent::socket_path(true));
  if (auto r = agent::call(sock, agent::Request{}, agent::client_timeout_ms()); r && r->ok) {
    // A running agent keeps its limits; asking for other ones is refused, never ignored.
    const bool idle_differs = o.idle_given && idle != r->idle_ttl_s;
    const bool max_differs = o.max_given && max != r->max_ttl_s;
    if (idle_differs || max_differs) {
      return fail(Errc::already_exists,
                  "the keyward agent is already running (pid " + std::to_string(r->pid) +
                      ") with --idle-ttl " + human(r->idle_ttl_s) + " and --max-ttl " +
                      human(r->max_ttl_s) + "; its limits cannot change while it runs: "
                      "`keyward agent stop` (it forgets every vault), then start it again with "
                      "the new ones");
    }
    info(ctx, "The keyward agent is already running (pid " + std::to_string(r->pid) + ", idle " +
                  human(r->idle_ttl_s) + ", at most " + human(r->max_ttl_s) + ")");
    return ok();
  }
  KW_TRY(auto pid, start_agent(sock, idle, max));
  info(ctx, "Started the keyward agent (pid " + std::to_string(pid) + ") on " + sock +
                ": vaults stay unlocked " + human(idle) + " idle, " + human(max) + " at most");
  return ok();
}

Status run_stop(const Context& ctx) {
  agent::Request req;
  req.op = agent::Op::stop;
  auto r = ask(std::move(req));
  if (!r && r.error().code == Errc::not_found) {
    info(ctx, "The keyward agent is not running");
    return ok();
  }
  if (!r) return tl::unexpected(r.error());
  info(ctx, "Stopped the keyward agent; every vault it held is wiped");
  return ok();
}

Status run_status(const Context& ctx) {
  auto r = ask(agent::Request{});
  if (!r) {
    if (r.error().code == Errc::not_found) {
      return fail(Errc::unavailable, "the keyward agent is not running");
    }
    return tl::unexpected(r.error());
  }
  if (ctx.json) {
    nlohmann::json vaults = nlohmann::json::array();
    for (const auto& v : r->vaults) {
      vaults.push_back({{"path", v.path},
                        {"vault_id", encoding::hex_encode(v.id)},
                        {"idle_left_s", v.idle_left_s},
                        {"max_left_s", v.max_left_s}});
    }
    nlohmann::json j = {{"running", true},        {"pid", r->pid},
                        {"idle_ttl_s", r->idle_ttl_s}, {"max_ttl_s", r->max_ttl_s},
                        {"vaults", vaults}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("keyward agent running (pid %llu), idle TTL %s, max TTL %s\n",
                static_cast<unsigned long long>(r->pid), human(r->idle_ttl_s).c_str(),
                human(r->max_ttl_s).c_str());
    if (r->vaults.empty()) std::printf("no vault unlocked\n");
    for (const auto& v : r->vaults) {
      std::printf("unlocked: %s (id %s), locks in %llus (idle) / %llus (max)\n", v.path.c_str(),
                  encoding::hex_encode(v.id).c_str(),
                  static_cast<unsigned long long>(v.idle_left_s),
                  static_cast<unsigned long long>(v.max_left_s));
    }
  }
  std::fflush(stdout);
  return ok();
}

Status run_lock(const Context& ctx, bool all) {
  agent::Request req;
  req.op = agent::Op::lock;
  req.all = all;
  if (!all) {
    KW_TRY(auto path, vault_path(ctx));
    req.vault = vault::absolute_vault_path(path);
  }
  const std::string which = req.vault;
  auto r = ask(std::move(req));
  if (!r && r.error().code == Errc::not_found) {
    info(ctx, "The keyward agent is not running; nothing is unlocked");
    return ok();
  }
  if (!r) return tl::unexpected(r.error());
  info(ctx, all ? "Locked every vault in the agent" : "Locked " + which);
  return ok();
}

void add_agent_command(CLI::App& app, Context& ctx) {
  static AgentStartOptions so;
  auto* cmd = app.add_subcommand(
      "agent", "The unlock agent: keeps unlocked vaults for this user's session (docs/agent.md)");
  cmd->require_subcommand(1);
  auto* start = cmd->add_subcommand("start", "Start the agent (in the background)");
  start->add_option("--idle-ttl", so.idle_ttl, "Lock a vault after this long unused (default 15m)")
      ->each([](const std::string&) { so.idle_given = true; });
  start->add_option("--max-ttl", so.max_ttl, "Lock a vault this long after unlock (default 8h)")
      ->each([](const std::string&) { so.max_given = true; });
  start->add_flag("--foreground", so.foreground,
                  "Run in the foreground (systemd; accepts a socket passed by systemd)");
  start->callback([&ctx] {
    if (auto r = run_start(ctx, so); !r) fail_command(ctx, r.error());
  });
  cmd->add_subcommand("stop", "Stop the agent; it wipes every vault it holds")->callback([&ctx] {
    if (auto r = run_stop(ctx); !r) fail_command(ctx, r.error());
  });
  auto* status = cmd->add_subcommand("status", "Is the agent running, which vaults it holds");
  status->add_flag("--json", ctx.json, "JSON output");
  status->callback([&ctx] {
    if (auto r = run_status(ctx); !r) fail_command(ctx, r.error());
  });

  static bool all = false;
  auto* lock = app.add_subcommand("lock", "Make the agent forget the vault (--all: every vault)");
  lock->add_flag("--all", all, "Every vault the agent holds");
  lock->callback([&ctx] {
    if (auto r = run_lock(ctx, all); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(90, add_agent_command, "agent lock");

}  // namespace keyward::cli

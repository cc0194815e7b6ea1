// `keyward audit [--verify] [--since TIME] [--json]`: print or verify the vault's audit log
// (docs/format-audit.md). Unlocks the vault (the MAC key comes from the master key), records
// that unlock, then checks the whole log: chain, MACs and head. A log that fails verification
// exits with the integrity code and says what was found, whatever else was asked.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/audit_hook.h"
#include "cli/cli.h"
#include "cli/vault_open.h"
#include "core/audit/log.h"
#include "core/hex.h"

namespace keyward::cli {
namespace {

struct AuditOptions {
  bool verify = false;
  bool new_log = false;
  std::string since;
  UnlockOptions unlock;
};

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// Control characters from the log never reach the terminal raw.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

nlohmann::json entry_json(const audit::Entry& e) {
  const audit::Event& ev = e.event;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& it : ev.items) items.push_back({{"name", it.name}, {"tier", it.tier}});
  nlohmann::json j = {
      {"seq", e.seq},
      {"time", audit::format_time(e.time)},
      {"op", ev.op},
      {"outcome", std::string(audit::outcome_name(ev.outcome))},
      {"items", items},
      {"key", e.key},
      {"requester",
       {{"argv", ev.requester.argv},
        {"pid", ev.requester.pid},
        {"ppid", ev.requester.ppid},
        {"parent", ev.requester.parent},
        {"tty", ev.requester.tty}}},
      {"detail", ev.detail},
  };
  if (ev.slot != 0) {
    j["slot"] = {{"number", ev.slot}, {"type", ev.slot_type}, {"label", ev.slot_label}};
  } else {
    j["slot"] = nullptr;
  }
  return j;
}

void print_entry(const audit::Entry& e) {
  const audit::Event& ev = e.event;
  std::string items;
  for (const auto& it : ev.items) {
    if (!items.empty()) items += ' ';
    items += it.name + (it.tier == "unknown" ? "" : " (" + it.tier + ")");
  }
  std::string line = audit::format_time(e.time) + "  #" + std::to_string(e.seq) + "  " + ev.op +
                     "  " + std::string(audit::outcome_name(ev.outcome));
  if (!items.empty()) line += "  " + items;
  if (ev.slot != 0) {
    line += "  [slot " + std::to_string(ev.slot) + " " + ev.slot_type +
            (ev.slot_label.empty() ? "" : " '" + printable(ev.slot_label) + "'") + "]";
  }
  line += "  by '" + printable(joined(ev.requester.argv)) + "' pid " +
          std::to_string(ev.requester.pid) + ", parent " + printable(ev.requester.parent) + " (" +
          std::to_string(ev.requester.ppid) + ")";
  if (!ev.requester.tty.empty()) line += ", " + printable(ev.requester.tty);
  if (!ev.detail.empty()) line += "  -- " + printable(ev.detail);
  std::printf("%s\n", line.c_str());
}

Status run_audit(Context& ctx, const AuditOptions& o) {
  std::uint64_t since = 0;
  if (!o.since.empty()) {
    KW_TRY(since, audit::parse_since(o.since, static_cast<std::uint64_t>(std::time(nullptr))));
  }
  if (o.new_log) {
    // Deliberate: the old log is kept aside, this machine's anchor is reset (a vault write that
    // needs the unlocked vault, always unlocked here with its credential), and the new log
    // starts with this command's entry.
    KW_TRY(auto v, open_vault_unaudited(ctx, o.unlock));
    KW_TRY(auto kept, v.start_new_audit_log());
    KW_TRY_STATUS(audit_event(v, "audit-new-log", {}, ok(),
                              kept.empty() ? std::string("no previous log")
                                           : "previous log kept at " + kept));
    KW_TRY(auto file, v.audit_log_file());
    info(ctx, "started a new audit log " + file +
                  (kept.empty() ? std::string() : "; the previous one is kept at " + kept));
    return ok();
  }
  // Through the unlock agent when it holds the vault (it holds the audit key), else directly.
  // Verified first, by core: a log that verifies gets this read's entry before anything is
  // shown; nothing is appended to one that does not.
  KW_TRY(auto access, open_access(ctx, o.unlock, /*audited_unlock=*/false));
  KW_TRY(auto review, access->review_audit(since, o.verify));
  const audit::Report& report = review.report;
  const std::string& file = review.file;
  const auto dump = [](const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (o.verify) {
    if (ctx.json) {
      nlohmann::json j = {{"ok", report.ok()},
                          {"file", file},
                          {"entries", review.total},
                          {"head", report.head_seq},
                          {"mac_verified", report.mac_verified},
                          {"earlier_keys_verified", report.earlier_keys},
                          {"anchor", report.anchor_seq},
                          {"problems", report.problems},
                          {"notes", report.notes}};
      std::printf("%s\n", dump(j).c_str());
    } else if (report.ok()) {
      std::printf("audit log %s: %zu entries verified (%zu by MAC under the current master key",
                  file.c_str(), review.total, report.mac_verified);
      if (report.earlier_keys > 0) {
        std::printf(", %zu by MAC under earlier master keys", report.earlier_keys);
      }
      std::printf("); head at entry %llu, anchored in the vault at entry %llu\n",
                  static_cast<unsigned long long>(report.head_seq),
                  static_cast<unsigned long long>(report.anchor_seq));
    }
  } else {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : report.entries) {  // those at or after --since
      if (ctx.json) {
        arr.push_back(entry_json(e));
      } else {
        print_entry(e);
      }
    }
    if (ctx.json) std::printf("%s\n", dump(arr).c_str());
  }
  if (std::fflush(stdout) != 0) return fail(Errc::io, "cannot write to stdout");
  for (const auto& n : report.notes) info(ctx, "note: " + n);
  if (!report.ok()) {
    for (const auto& p : report.problems) std::fprintf(stderr, "keyward: audit: %s\n", p.c_str());
    return fail(Errc::integrity, "the audit log " + file + " FAILED verification: it was "
                                 "tampered with or damaged (" +
                                     std::to_string(report.problems.size()) +
                                     " problem(s) above)");
  }
  return ok();
}

void add_audit_command(CLI::App& app, Context& ctx) {
  static AuditOptions o;
  auto* cmd = app.add_subcommand(
      "audit", "Print the vault's audit log (never values); --verify checks it for tampering");
  cmd->add_flag("--verify", o.verify,
                "Verify the hash chain, MACs and head; print a summary; exit 8 on tampering");
  cmd->add_flag("--new-log", o.new_log,
                "Keep the current log aside and start a new one (after a failed --verify; "
                "needs the unlocked vault)");
  cmd->add_option("--since", o.since,
                  "Only entries at or after TIME: 2026-01-31T12:00:00Z, 2026-01-31, or an age "
                  "such as 30m, 12h, 7d");
  cmd->add_flag("--json", ctx.json, "JSON output");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_audit(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(115, add_audit_command, "audit");

}  // namespace keyward::cli

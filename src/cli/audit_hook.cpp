#include "cli/audit_hook.h"

#include <unistd.h>

#include <cstdio>

namespace keyward::cli {
namespace {

// Operations refused outright when their entry cannot be written (nothing handed out yet; the
// entry is written before the release). Every other audited operation is a committed change.
bool is_release(std::string_view op) {
  return op == "get" || op == "run" || op == "export" || op == "unlock" || op == "package" ||
         op == "mint-deploy" || op == "presence";
}

}  // namespace

audit::Item audit_item(std::string_view coordinate) {
  return audit::Item{std::string(coordinate), "unknown"};
}

audit::Item audit_item(std::string_view coordinate, vault::Tier tier) {
  return audit::Item{std::string(coordinate), std::string(vault::tier_name(tier))};
}

std::vector<audit::Item> audit_items(const std::vector<vault::Record>& records) {
  std::vector<audit::Item> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(audit_item(r.meta.coordinate, r.meta.tier));
  return out;
}

std::vector<audit::Item> audit_items(const std::vector<vault::SetItem>& items) {
  std::vector<audit::Item> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back(audit_item(i.coordinate, i.tier));
  return out;
}

Status audit_event(vault::Vault& v, std::string_view op, std::vector<audit::Item> items,
                   const Status& result, std::string detail) {
  audit::Event ev;
  ev.op = std::string(op);
  // followup_failed: the change itself was made (only the pin after it failed), so it is
  // recorded as done, with the reason in the detail.
  const bool made = result || result.error().code == Errc::followup_failed;
  ev.outcome = made ? audit::Outcome::ok : audit::outcome_of(result.error().code);
  // Only names that fit the log's grammar: a malformed coordinate never reached the vault.
  for (auto& it : items) {
    if (audit::valid_item_name(it.name)) ev.items.push_back(std::move(it));
  }
  ev.requester = audit::describe_process(::getpid());
  if (!result) detail = detail.empty() ? result.error().message : detail + ": " + result.error().message;
  if (detail.size() > audit::kMaxDetail) detail.resize(audit::kMaxDetail);
  ev.detail = std::move(detail);
  auto written = v.audit(std::move(ev));
  if (!result) {
    if (!written) {
      std::fprintf(stderr, "keyward: warning: this failure could not be recorded in the audit "
                           "log: %s\n", written.error().message.c_str());
    }
    return result;
  }
  if (written) return ok();
  const Error& e = written.error();
  if (is_release(op)) {
    return fail(e.code, "refused (nothing was released): the audit log could not record this " +
                            std::string(op) + ": " + e.message);
  }
  // The change is committed: say so with the exit code that means "applied, follow-up failed"
  // (docs/exit-codes.md), never the code of a change that did not happen.
  return fail(Errc::followup_failed, "the " + std::string(op) + " was done but could not be "
                                     "recorded in the audit log: " + e.message);
}

}  // namespace keyward::cli

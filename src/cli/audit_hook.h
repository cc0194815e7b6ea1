// How the CLI records the operations it runs on a vault directly (slot, vault, package, ...) in
// the vault's audit log (docs/format-audit.md), through core's access::record; the secret
// commands are recorded by core itself (core/access).
// Each call site wraps the operation's result:
//     KW_TRY(auto rec, audited(v, "get", v.get(coord), {audit_item(coord)}));
// The entry names this process as the requester, the slot that unlocked the vault, the items
// (coordinates with their tiers; taken from the result when it holds records) and the outcome.
// Policy (docs/format-audit.md section 7):
//   * the operation failed: its error is returned unchanged; if even the failure cannot be
//     recorded, a warning goes to stderr;
//   * it succeeded but the entry cannot be written: an error is returned. For releases (get,
//     run, export) the caller has not handed anything out yet, so nothing is released; for
//     changes the message says the change was made but is not in the log.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/access/serve.h"
#include "core/audit/entry.h"
#include "core/vault/vault.h"

namespace keyward::cli {

// This process as the requester, entries durable at once.
access::Caller self_caller();

audit::Item audit_item(std::string_view coordinate);  // tier unknown
audit::Item audit_item(std::string_view coordinate, vault::Tier tier);
std::vector<audit::Item> audit_items(const std::vector<vault::Record>& records);
std::vector<audit::Item> audit_items(const std::vector<vault::SetItem>& items);

// Records `op` with `result`'s outcome and returns the status to continue with (see above).
Status audit_event(vault::Vault& v, std::string_view op, std::vector<audit::Item> items,
                   const Status& result, std::string detail = {});

namespace detail {
inline std::vector<audit::Item> items_from(const vault::Record& r) {
  return {audit_item(r.meta.coordinate, r.meta.tier)};
}
inline std::vector<audit::Item> items_from(const std::vector<vault::Record>& r) {
  return audit_items(r);
}
template <class T>
std::vector<audit::Item> items_from(const T&) {
  return {};
}
}  // namespace detail

// Wraps an operation's Result: records it, then returns it (or the audit error).
template <class T>
Result<T> audited(vault::Vault& v, std::string_view op, Result<T> result,
                  std::vector<audit::Item> items = {}, std::string detail = {}) {
  if (result) {
    auto from = detail::items_from(*result);
    if (!from.empty()) items = std::move(from);
    KW_TRY_STATUS(audit_event(v, op, std::move(items), ok(), std::move(detail)));
    return result;
  }
  Status failed = tl::unexpected(result.error());
  (void)audit_event(v, op, std::move(items), failed, std::move(detail));
  return result;
}
inline Status audited(vault::Vault& v, std::string_view op, Status result,
                      std::vector<audit::Item> items = {}, std::string detail = {}) {
  return audit_event(v, op, std::move(items), result, std::move(detail));
}

}  // namespace keyward::cli

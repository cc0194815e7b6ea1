#include "cli/audit_hook.h"

#include <unistd.h>

#include <cstdio>

namespace keyward::cli {

access::Caller self_caller() { return access::Caller{static_cast<int>(::getpid()), false, true}; }

audit::Item audit_item(std::string_view coordinate) { return access::item(coordinate); }

audit::Item audit_item(std::string_view coordinate, vault::Tier tier) {
  return access::item(coordinate, tier);
}

std::vector<audit::Item> audit_items(const std::vector<vault::Record>& records) {
  return access::items_of(records);
}

std::vector<audit::Item> audit_items(const std::vector<vault::SetItem>& items) {
  return access::items_of(items);
}

Status audit_event(vault::Vault& v, std::string_view op, std::vector<audit::Item> items,
                   const Status& result, std::string detail) {
  Error unrecorded{Errc::internal, ""};
  Status r = access::record(v, op, std::move(items), result, std::move(detail), self_caller(),
                            &unrecorded);
  if (!result && !unrecorded.message.empty()) {
    std::fprintf(stderr, "keyward: warning: this failure could not be recorded in the audit "
                         "log: %s\n", unrecorded.message.c_str());
  }
  return r;
}

}  // namespace keyward::cli

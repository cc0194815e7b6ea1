// The vault's side of the audit log: K_audit comes from the master key the Vault holds
// (docs/format-audit.md section 2), so only a holder of an unlocked vault can append or verify.
#include <ctime>

#include "core/vault/vault.h"

namespace keyward::vault {
namespace {

// `audit` next to the pin directory when one is given (tests, embedders), else the default.
std::string audit_dir_of(const VaultOptions& opts) {
  if (opts.state_dir.empty()) return {};
  std::string d = opts.state_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  auto slash = d.rfind('/');
  return (slash == std::string::npos ? std::string(".") : d.substr(0, slash)) + "/audit";
}

}  // namespace

Result<std::string> Vault::audit_log_file() const {
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  return audit::Log(dir, header_.vault_id).log_file();
}

Result<audit::Entry> Vault::audit(audit::Event event, bool durable) {
  if (!keys_) return fail(Errc::internal, "audit append on a locked vault");
  if (event.slot == 0 && unlocked_slot_ != 0) {
    event.slot = unlocked_slot_;
    for (const auto& s : slots_) {
      if (s.number != unlocked_slot_) continue;
      event.slot_type = std::string(slot_type_name(s.type));
      event.slot_label = s.label;
    }
  }
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  audit::Log log(dir, header_.vault_id);
  audit::MacKey current{&keys_->audit, audit::key_prefix(keys_->key_id)};
  audit::MacKey previous{prev_audit_ ? &*prev_audit_ : nullptr, prev_audit_id_};
  // A head left by an earlier master (the vault was re-keyed on another machine) is accepted
  // only if the vault's signed transitions lead from that key to ours.
  auto is_ancestor = [this](std::string_view tag) -> bool {
    if (!storage_.begin_read()) return false;
    bool found = false;
    if (auto bodies = storage_.read_transitions()) {
      for (const auto& body : *bodies) {
        auto t = parse_transition(body);
        if (!t || t->vault_id != header_.vault_id || audit::key_prefix(t->old_key_id) != tag ||
            !verify_transition(*t, body)) {
          continue;
        }
        if (verify_transitions(t->old_key_id, keys_->key_id)) found = true;
      }
    }
    storage_.rollback();
    return found;
  };
  const std::time_t t = std::time(nullptr);  // a clock before 1970 counts as 0
  auto entry = log.append(std::move(event), t > 0 ? static_cast<std::uint64_t>(t) : 0,
                          current, prev_audit_ ? &previous : nullptr, is_ancestor, durable);
  if (entry) {
    if (!durable) unsettled_audit_ = *entry;
    else unsettled_audit_.reset();  // a durable append synced the file and moved the head past it
  }
  if (!entry && entry.error().code == Errc::integrity) {
    // A head written under a newer key means this object is stale (another process re-keyed
    // the vault): say that rather than blame the log.
    if (storage_.begin_read()) {
      auto fresh = reload();
      storage_.rollback();
      if (!fresh) return tl::unexpected(fresh.error());
    }
  }
  return entry;
}

Status Vault::settle_audit() {
  if (!unsettled_audit_) return ok();
  if (!keys_) return fail(Errc::internal, "audit settle on a locked vault");
  audit::Entry e = std::move(*unsettled_audit_);
  unsettled_audit_.reset();
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  audit::Log log(dir, header_.vault_id);
  // Under the key that wrote it: a re-key since then leaves the head to the next append.
  if (audit::key_prefix(keys_->key_id) != e.key) return ok();
  return log.settle(e, audit::MacKey{&keys_->audit, e.key});
}

Result<audit::Report> Vault::verify_audit() {
  if (!keys_) return fail(Errc::internal, "audit verify on a locked vault");
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  audit::Log log(dir, header_.vault_id);
  return log.verify(audit::MacKey{&keys_->audit, audit::key_prefix(keys_->key_id)});
}

}  // namespace keyward::vault

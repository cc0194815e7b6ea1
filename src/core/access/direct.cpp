#include "core/access/direct.h"

#include <unistd.h>

#include <algorithm>

namespace keyward::access {

Direct::Direct(vault::Vault vault, Presence& presence)
    : vault_(std::move(vault)), presence_(presence), self_{static_cast<int>(::getpid()), false, true} {}

Result<std::vector<vault::Record>> Direct::open(const std::string& purpose,
                                                const std::vector<vault::SealedHigh>& sealed,
                                                const std::vector<std::string>& also) {
  return open_sealed(
      vault_.path(), vault_.header().vault_id, purpose, sealed, also,
      [&](const gate::Request& req) { return pass_gate(vault_, presence_, req); },
      [&](const GateOutcome& g) { return record_gate(vault_, g, self_); });
}

Result<std::vector<vault::RecordMeta>> Direct::list() { return serve_list(vault_); }

Result<vault::Record> Direct::get(std::string_view coordinate) {
  KW_TRY(auto served, serve_get(vault_, coordinate, self_));
  if (!served.sealed.empty()) {
    KW_TRY(auto opened, open("get", served.sealed, {}));
    if (opened.size() != 1) return vault::opaque();
    return std::move(opened[0]);
  }
  if (served.records.size() != 1) return vault::opaque();
  return std::move(served.records[0]);
}

Result<EnvRelease> Direct::read_env(const EnvQuery& query) {
  const std::string purpose(purpose_name(query.purpose));
  KW_TRY(auto served, serve_env(vault_, query, self_));
  EnvRelease out;
  out.withheld = std::move(served.withheld);
  if (!served.sealed.empty()) {
    std::vector<std::string> also;
    for (const auto& r : served.records) also.push_back(r.meta.coordinate);
    KW_TRY(auto opened, open(purpose, served.sealed, also));
    for (auto& r : opened) served.records.push_back(std::move(r));
    std::sort(served.records.begin(), served.records.end(),
              [](const vault::Record& a, const vault::Record& b) { return a.meta.coordinate < b.meta.coordinate; });
  }
  out.records = std::move(served.records);
  return out;
}

Status Direct::set(std::vector<vault::SetItem>& items, std::string_view op) {
  KW_TRY(auto need, needs_for_set(vault_, items, op, self_));
  std::optional<gate::Grant> grant;
  if (!need.empty()) {
    KW_TRY(grant, recorded_gate(vault_, presence_, std::string(op), need, gate::Level::touch, {}, self_));
  }
  return apply_set(vault_, items, op, grant ? &*grant : nullptr, self_);
}

Result<SlotListing> Direct::slots() { return serve_slots(vault_); }

Result<package::OwnPublicKey> Direct::own_public_key(bool signer) {
  return package::own_public_key(vault_, signer);
}

Result<package::BodySignature> Direct::sign_package(ByteView body) {
  return package::sign_package_body(vault_, body);
}

Result<AuditReview> Direct::review_audit(std::uint64_t since, bool summary_only) {
  return serve_audit(vault_, since, summary_only, self_);
}

Result<std::optional<SecretBytes>> Direct::unwrap_package_key(std::span<const age::Stanza> stanzas) {
  return package::unwrap_with_vault_identity(vault_, stanzas);
}

Result<std::optional<std::uint64_t>> Direct::newest_seen(const pubkey::Ed25519Public& signer) {
  return access::newest_seen(vault_, signer);
}

Status Direct::unpack(UnpackImport& in) {
  KW_TRY(auto need, needs_for_unpack(vault_, in, self_));
  std::optional<gate::Grant> grant;
  if (!need.empty()) {
    KW_TRY(grant, recorded_gate(vault_, presence_, "unpack", need, gate::Level::touch, {}, self_));
  }
  return apply_unpack(vault_, in, grant ? &*grant : nullptr, self_);
}

Status Direct::remove(std::string_view coordinate) {
  KW_TRY(auto need, needs_for_remove(vault_, coordinate, self_));
  std::optional<gate::Grant> grant;
  if (!need.empty()) {
    KW_TRY(grant, recorded_gate(vault_, presence_, "rm", need, gate::Level::touch, {}, self_));
  }
  return apply_remove(vault_, coordinate, grant ? &*grant : nullptr, self_);
}

}  // namespace keyward::access

#include "core/access/serve.h"

#include <algorithm>

#include "core/hex.h"
#include "core/package/package.h"
#include "core/suggest.h"
#include "core/vault/policy.h"

namespace keyward::access {

bool has_presence_slot(const SlotListing& listing) {
  return std::any_of(listing.slots.begin(), listing.slots.end(), [](const vault::Slot& s) {
    const auto* h = vault::slot_handler(s.type);
    return h != nullptr && h->presence_capable(s);
  });
}

SlotListing listing_of(const vault::Vault& v) {
  SlotListing l;
  l.vault_id = v.header().vault_id;
  l.header = v.header();
  l.slots = v.slots();
  l.unlocked_slot = v.unlocked_slot();
  return l;
}
Result<SlotListing> serve_slots(vault::Vault& v) {
  KW_TRY_STATUS(v.refresh());
  return listing_of(v);
}

namespace {

// Operations refused outright when their entry cannot be written (nothing is handed out yet:
// the entry is written before the release). Every other recorded operation is a committed change.
bool is_release(std::string_view op) {
  return op == "get" || op == "run" || op == "export" || op == "unlock" || op == "package" ||
         op == "mint-deploy" || op == "presence";
}

bool is_change(const std::string& purpose) {
  return purpose == "set" || purpose == "import" || purpose == "rm" || purpose == "unpack" ||
         purpose == "vault high-envs";
}

std::string prompt_text(const gate::Request& req, const std::vector<std::string>& also) {
  std::string what;
  if (!req.coordinates.empty() && is_change(req.purpose)) {
    what = "authorise `" + req.purpose + "` of " + std::to_string(req.coordinates.size()) +
           " gated record(s)";
  } else if (!req.coordinates.empty()) {
    what = "release " + std::to_string(req.coordinates.size()) + " high secret(s)";
  } else {
    what = "authorise `" + req.purpose + "`";
  }
  what += " for `" + req.command_line + "` (parent: " + req.parent + ", terminal: " +
          req.terminal + ")";
  if (req.coordinates.empty()) return what;
  what += ":";
  for (const auto& c : req.coordinates) what += "\n    " + c;
  if (!also.empty()) {
    what += "\n  and, without a touch, " + std::to_string(also.size()) + " normal secret(s):";
    for (const auto& c : also) what += "\n    " + c;
  }
  return what;
}

std::string clip(std::string s, std::size_t n) {
  if (s.size() > n) s.resize(n);
  return s;
}

// The detail of a release entry: who served it, and whether high records went out sealed.
std::string release_detail(const Caller& who, bool sealed) {
  if (!who.agent) {
    return sealed ? "the high records served sealed: released only through the presence gate"
                  : std::string();
  }
  return sealed ? "served sealed by the agent: the high records released only through the "
                  "client's presence gate"
                : "served by the agent";
}

// Writes the release entry of a served read: every record served, sealed ones included.
Status record_release(vault::Vault& v, const std::string& op, const Served& s, const Caller& who) {
  std::vector<audit::Item> items = items_of(s.records);
  for (const auto& sh : s.sealed) items.push_back(item(sh.meta.coordinate, vault::Tier::high));
  return record(v, op, std::move(items), ok(), release_detail(who, !s.sealed.empty()), who);
}

// A refused or failed gate whose outcome could not be recorded either: the gate's own error,
// saying so.
Error unrecorded_failure(Error e, const Status& recorded) {
  if (!recorded) {
    e.message += " (this failure could not be recorded in the audit log: " +
                 recorded.error().message + ")";
  }
  return e;
}

bool withheld(const EnvQuery& q, std::string_view coordinate) {
  std::string_view key = coordinate.substr(coordinate.rfind('/') + 1);
  if (!vault::policy::is_loader_variable(key)) return false;
  return std::find(q.allow_vars.begin(), q.allow_vars.end(), key) == q.allow_vars.end();
}

}  // namespace

Result<AuditReview> serve_audit(vault::Vault& v, std::uint64_t since, bool summary_only,
                                const Caller& who) {
  // Verify first: nothing is appended to a log that does not verify (appending would re-MAC the
  // head over whatever was found).
  KW_TRY(auto report, v.verify_audit());
  AuditReview r;
  KW_TRY(r.file, v.audit_log_file());
  r.total = report.entries.size();
  if (report.ok()) {
    KW_TRY_STATUS(record(v, "audit", {}, ok(), summary_only ? "verified the log" : "read the log", who));
  }
  if (summary_only) {
    report.entries.clear();
  } else {
    std::erase_if(report.entries, [since](const audit::Entry& e) { return e.time < since; });
  }
  r.report = std::move(report);
  return r;
}

audit::Item item(std::string_view coordinate) { return audit::Item{std::string(coordinate), "unknown"}; }

audit::Item item(std::string_view coordinate, vault::Tier tier) {
  return audit::Item{std::string(coordinate), std::string(vault::tier_name(tier))};
}

std::vector<audit::Item> items_of(const std::vector<vault::Record>& records) {
  std::vector<audit::Item> out;
  out.reserve(records.size());
  for (const auto& r : records) out.push_back(item(r.meta.coordinate, r.meta.tier));
  return out;
}

std::vector<audit::Item> items_of(const std::vector<vault::SetItem>& items) {
  std::vector<audit::Item> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back(item(i.coordinate, i.tier));
  return out;
}

Status record(vault::Vault& v, std::string_view op, std::vector<audit::Item> items,
              const Status& result, std::string detail, const Caller& who, Error* unrecorded) {
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
  if (who.pid > 0) ev.requester = audit::describe_process(who.pid);
  if (!result) detail = detail.empty() ? result.error().message : detail + ": " + result.error().message;
  ev.detail = clip(std::move(detail), audit::kMaxDetail);
  auto written = v.audit(std::move(ev), who.durable);
  if (!result) {
    if (!written && unrecorded != nullptr) *unrecorded = written.error();
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

gate::Request gate_request(const std::string& vault_label, const vault::VaultId& vault_id,
                           const std::string& purpose, const std::vector<std::string>& coordinates,
                           gate::Level level, const std::vector<std::string>& also) {
  gate::Request req;
  req.vault_label = vault_label;
  req.vault_id = vault_id;
  req.purpose = purpose;
  req.coordinates = coordinates;
  req.level = level;
  gate::describe_requester(req);
  req.prompt = prompt_text(req, also);
  return req;
}

GateOutcome outcome_of(const gate::Request& req, const Result<gate::Grant>& grant) {
  GateOutcome g;
  g.purpose = req.purpose;
  g.coordinates = req.coordinates;
  std::sort(g.coordinates.begin(), g.coordinates.end());
  g.coordinates.erase(std::unique(g.coordinates.begin(), g.coordinates.end()), g.coordinates.end());
  g.level = req.level;
  g.passed = grant.has_value();
  if (grant) {
    g.slot = grant->slot();
    g.device = grant->device().empty() ? std::string("a device") : grant->device();
  } else {
    g.error = grant.error();
    if (g.error.message.empty()) g.error.message = "refused";
  }
  return g;
}

namespace {
const vault::Slot* gate_slot(const vault::Vault& v, const GateOutcome& g, const Caller& who) {
  for (const auto& s : v.slots()) {
    if (s.number != g.slot) continue;
    const bool recovery = s.type == vault::SlotType::recovery && v.unlocked_with_recovery() && !who.agent;
    if (s.type == vault::SlotType::fido2 || s.type == vault::SlotType::piv || recovery) return &s;
  }
  return nullptr;
}
}  // namespace

Status check_gate(const vault::Vault& v, const GateOutcome& g, const Caller& who) {
  if (g.passed && gate_slot(v, g, who) == nullptr) {
    return fail(Errc::malformed, "slot " + std::to_string(g.slot) +
                                     " is not a presence-capable slot of this vault");
  }
  return ok();
}

Status record_gate(vault::Vault& v, const GateOutcome& g, const Caller& who) {
  KW_TRY_STATUS(check_gate(v, g, who));
  audit::Event ev;
  ev.op = "presence";
  ev.outcome = g.passed ? audit::Outcome::ok : audit::outcome_of(g.error.code);
  for (const auto& c : g.coordinates) {
    if (audit::valid_item_name(c)) ev.items.push_back(item(c, vault::Tier::high));
  }
  if (who.pid > 0) ev.requester = audit::describe_process(who.pid);
  ev.detail = clip(g.purpose, 64) + (g.level == gate::Level::verify ? " (verify)" : " (touch)");
  if (g.passed) {
    const vault::Slot* slot = gate_slot(v, g, who);
    ev.slot = slot->number;
    ev.slot_type = std::string(vault::slot_type_name(slot->type));
    ev.slot_label = slot->label;
    ev.detail += " by " + clip(g.device, 256);
  } else {
    ev.detail += ": " + clip(g.error.message, 640);  // the suffix below must fit (kMaxDetail)
  }
  if (who.agent) ev.detail += "; gate run by the client, recorded by the agent";
  ev.detail = clip(std::move(ev.detail), audit::kMaxDetail);
  auto written = v.audit(std::move(ev), who.durable);
  if (!written) {
    return fail(written.error().code, "the audit log could not record the presence gate: " +
                                          written.error().message);
  }
  return ok();
}

Result<gate::Grant> pass_gate(vault::Vault& v, Presence& presence, const gate::Request& req) {
  if (v.unlocked_with_recovery()) {
    presence.notice("keyward: the recovery code was used to unlock: it releases, without a "
                    "device, " + req.prompt);
    return v.recovery_grant(req);
  }
  return presence.pass(req, v.header(), v.slots(), v.unlocked_slot());
}

Result<gate::Grant> recorded_gate(vault::Vault& v, Presence& presence, const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const std::vector<std::string>& also, const Caller& who) {
  gate::Request req = gate_request(v.path(), v.header().vault_id, purpose, coordinates, level, also);
  auto grant = pass_gate(v, presence, req);
  Status recorded = record_gate(v, outcome_of(req, grant), who);
  if (!grant) return tl::unexpected(unrecorded_failure(grant.error(), recorded));
  if (!recorded) {
    return fail(recorded.error().code, "refused (nothing was changed or released): " +
                                           recorded.error().message);
  }
  return grant;
}

Status selection_exists(const std::vector<vault::RecordMeta>& metas, std::string_view env,
                        std::string_view component, std::string_view hint) {
  std::vector<std::string> envs, components;
  for (const auto& m : metas) {
    auto c = vault::parse_coordinate(m.coordinate);
    if (!c || vault::policy::is_reserved_env(c->env)) continue;
    if (c->env == env && (component.empty() || c->component == component)) return ok();
    if (std::find(envs.begin(), envs.end(), c->env) == envs.end()) envs.push_back(c->env);
    if (c->env == env && std::find(components.begin(), components.end(), c->component) == components.end()) {
      components.push_back(c->component);
    }
  }
  std::sort(envs.begin(), envs.end());
  std::sort(components.begin(), components.end());
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  std::string msg;
  if (!components.empty()) {
    msg = "no secrets in " + std::string(env) + "/" + std::string(component) + " (components of " +
          std::string(env) + ": " + join(components) + ")";
    if (auto c = closest(component, components); !c.empty()) msg += "; did you mean `" + c + "`?";
  } else {
    msg = "no secrets in environment '" + std::string(env) + "' (" +
          (envs.empty() ? std::string("the vault holds none yet") : "known: " + join(envs)) + ")";
    if (auto c = closest(env, envs); !c.empty()) msg += "; did you mean `" + c + "`?";
  }
  return fail(Errc::not_found, msg + std::string(hint));
}

Result<Served> serve_get(vault::Vault& v, std::string_view coordinate, const Caller& who) {
  auto r = v.get_split(coordinate);
  if (!r) {
    (void)record(v, "get", {item(coordinate)}, tl::unexpected(r.error()), {}, who);
    return tl::unexpected(r.error());
  }
  Served s{std::move(r->records), std::move(r->sealed_high), {}};
  KW_TRY_STATUS(record_release(v, "get", s, who));
  return s;
}

std::string_view purpose_name(vault::ReadPurpose purpose) {
  switch (purpose) {
    case vault::ReadPurpose::run: return "run";
    case vault::ReadPurpose::exporting: return "export";
    case vault::ReadPurpose::packaging: return "package";
  }
  return "run";
}

Result<Served> serve_env(vault::Vault& v, const EnvQuery& q, const Caller& who) {
  const std::string op(purpose_name(q.purpose));
  auto refuse = [&](const Error& e) -> Result<Served> {
    (void)record(v, op, {}, tl::unexpected(e), {}, who);
    return tl::unexpected(e);
  };
  if (q.purpose == vault::ReadPurpose::packaging) {
    // Policy, whatever front end asks: production and keyward's own keys never travel.
    if (auto m = package::may_package(q.env); !m) return refuse(m.error());
  }
  // One read per component (each refuses a high environment when exporting or packaging, and
  // the reserved one), merged: one release, one gate.
  std::vector<std::string> parts = q.components;
  if (parts.empty()) parts.emplace_back();
  std::sort(parts.begin(), parts.end());
  if (std::adjacent_find(parts.begin(), parts.end()) != parts.end()) {
    return refuse(Error{Errc::invalid_argument, "a component is named twice"});
  }
  vault::SplitRead r;
  for (const auto& part : parts) {
    auto one = v.read_env_split(q.env, part, nullptr, q.purpose);
    if (!one) return refuse(one.error());
    if (one->records.empty() && one->sealed_high.empty() && !q.allow_empty) {
      // Probably a typo: say what there is instead of releasing nothing with success.
      auto metas = serve_list(v);
      if (!metas) return tl::unexpected(metas.error());
      Status there = selection_exists(
          *metas, q.env, part,
          q.purpose == vault::ReadPurpose::packaging ? ": nothing to package"
                                                     : "; --allow-empty accepts an empty selection");
      if (!there) return refuse(there.error());
    }
    for (auto& rec : one->records) r.records.push_back(std::move(rec));
    for (auto& sh : one->sealed_high) r.sealed_high.push_back(std::move(sh));
  }
  std::sort(r.records.begin(), r.records.end(),
            [](const vault::Record& a, const vault::Record& b) { return a.meta.coordinate < b.meta.coordinate; });
  std::sort(r.sealed_high.begin(), r.sealed_high.end(),
            [](const vault::SealedHigh& a, const vault::SealedHigh& b) {
              return a.meta.coordinate < b.meta.coordinate;
            });
  Served s;
  // Withheld variables are dropped before anything is released or recorded: the entry lists
  // exactly what the command receives.
  for (auto& rec : r.records) {
    if (q.purpose == vault::ReadPurpose::run && withheld(q, rec.meta.coordinate)) {
      s.withheld.push_back(rec.meta.coordinate);
    } else {
      s.records.push_back(std::move(rec));
    }
  }
  for (auto& sh : r.sealed_high) {
    if (q.purpose == vault::ReadPurpose::run && withheld(q, sh.meta.coordinate)) {
      s.withheld.push_back(sh.meta.coordinate);
    } else {
      s.sealed.push_back(std::move(sh));
    }
  }
  std::sort(s.withheld.begin(), s.withheld.end());
  KW_TRY_STATUS(record_release(v, op, s, who));
  return s;
}

Result<std::vector<vault::RecordMeta>> serve_list(vault::Vault& v) {
  KW_TRY(auto metas, v.list());
  std::erase_if(metas, [](const vault::RecordMeta& m) {
    return vault::policy::is_reserved_coordinate(m.coordinate);  // keyward's own keys
  });
  return metas;
}

Result<std::vector<vault::Record>> open_sealed(const std::string& vault_label,
                                               const vault::VaultId& vault_id,
                                               const std::string& purpose,
                                               const std::vector<vault::SealedHigh>& sealed,
                                               const std::vector<std::string>& also,
                                               const GateRunner& gate, const GateReporter& report) {
  std::vector<std::string> coords;
  for (const auto& s : sealed) coords.push_back(s.meta.coordinate);
  gate::Request req = gate_request(vault_label, vault_id, purpose, coords, gate::Level::touch, also);
  auto grant = gate(req);
  // Every outcome is recorded; a pass that cannot be recorded releases nothing.
  Status recorded = report(outcome_of(req, grant));
  if (!grant) return tl::unexpected(unrecorded_failure(grant.error(), recorded));
  if (!recorded) {
    return fail(recorded.error().code, "refused (nothing was released): " + recorded.error().message);
  }
  std::vector<vault::Record> out;
  for (const auto& s : sealed) {
    KW_TRY(auto rec, gate::open_high_row(s.row, vault_id, *grant));
    if (rec.meta.coordinate != s.meta.coordinate) return vault::opaque();
    rec.meta.fingerprint = s.meta.fingerprint;
    out.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<std::string>> needs_for_set(vault::Vault& v, std::vector<vault::SetItem>& items,
                                               std::string_view op, const Caller& who) {
  auto refuse = [&](const Error& e) -> Result<std::vector<std::string>> {
    (void)record(v, op, items_of(items), tl::unexpected(e), {}, who);
    return tl::unexpected(e);
  };
  for (const auto& i : items) {
    auto c = vault::parse_coordinate(i.coordinate);
    if (!c) return tl::unexpected(c.error());
    if (auto r = vault::policy::refuse_reserved(c->env); !r) return refuse(r.error());
  }
  // A high record nobody could release later: the vault needs a presence-capable slot first.
  for (auto& i : items) {
    vault::Tier tier = i.tier;
    bool by_env = false;
    if (i.default_tier) {
      auto c = vault::parse_coordinate(i.coordinate);
      auto high_env = v.is_high_env(c->env);
      if (!high_env) return refuse(high_env.error());
      by_env = *high_env;
      tier = by_env ? vault::Tier::high : vault::Tier::normal;
    }
    if (tier == vault::Tier::high && !v.has_presence_slot()) {
      auto c = vault::parse_coordinate(i.coordinate);
      std::string why = by_env ? " (" + c->env + " is a high environment: its records are high "
                                 "by default)" : "";
      return refuse(Error{Errc::policy,
                          i.coordinate + " would be a high secret" + why +
                              ", and high secrets need a presence-capable slot that this vault "
                              "does not have yet: enrol one with `keyward slot add piv` or "
                              "`keyward slot add fido2`" +
                              (by_env ? ", or store it with --tier normal" : "")});
    }
  }
  auto need = v.grant_needed(items);
  if (!need) return refuse(need.error());
  return need;
}

Status apply_set(vault::Vault& v, std::vector<vault::SetItem>& items, std::string_view op,
                 const gate::Grant* grant, const Caller& who) {
  Status r = v.set(items, grant);
  return record(v, op, items_of(items), r, who.agent ? "served by the agent" : "", who);
}

Result<std::vector<std::string>> needs_for_remove(vault::Vault& v, std::string_view coordinate,
                                                  const Caller& who) {
  auto need = v.grant_needed_remove(coordinate);
  if (!need) {
    (void)record(v, "rm", {item(coordinate)}, tl::unexpected(need.error()), {}, who);
    return tl::unexpected(need.error());
  }
  return need;
}

Status apply_remove(vault::Vault& v, std::string_view coordinate, const gate::Grant* grant,
                    const Caller& who) {
  Status r = v.remove(coordinate, grant);
  return record(v, "rm", {item(coordinate)}, r, who.agent ? "served by the agent" : "", who);
}

Error needs_gate_error(const std::vector<std::string>& coordinates) {
  return Error{Errc::policy, (coordinates.empty() ? std::string("the change") : coordinates.front()) +
                                 " needs the presence gate; nothing was applied"};
}

namespace {

std::string unpack_detail(const UnpackImport& in, const Caller& who) {
  return "package=" + encoding::hex_encode(ByteView(in.package_id)) +
         " created=" + std::to_string(in.created) + " signer=" +
         (in.signer ? package::signer_to_string(*in.signer) : std::string("none")) +
         " trusted=" + (in.trusted ? "yes" : "no") + (who.agent ? " served by the agent" : "");
}

Status check_replay(vault::Vault& v, const UnpackImport& in) {
  if (!in.signer || in.allow_older) return ok();
  KW_TRY(auto seen, newest_seen(v, *in.signer));
  if (seen && in.created < *seen) {
    return fail(Errc::policy, "this package is older than one already imported from the same "
                              "sender: it may be a replay that puts old values back. Pass "
                              "--allow-older to import it anyway; nothing imported");
  }
  return ok();
}

}  // namespace

Result<std::optional<std::uint64_t>> newest_seen(vault::Vault& v, const pubkey::Ed25519Public& signer) {
  KW_TRY(auto rec, v.get_internal(package::seen_coordinate(signer)));
  if (!rec) return std::optional<std::uint64_t>();
  std::string_view text = rec->reveal_string();
  std::uint64_t t = 0;
  if (text.empty() || text.size() > 20) return fail(Errc::integrity, "a package bookkeeping record is damaged");
  for (char c : text) {
    if (c < '0' || c > '9' || t > (UINT64_MAX - 9) / 10) {
      return fail(Errc::integrity, "a package bookkeeping record is damaged");
    }
    t = t * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return std::optional<std::uint64_t>(t);
}

Result<std::vector<std::string>> needs_for_unpack(vault::Vault& v, UnpackImport& in, const Caller& who) {
  auto refuse = [&](const Error& e) -> Result<std::vector<std::string>> {
    (void)record(v, "unpack", items_of(in.items), tl::unexpected(e), unpack_detail(in, who), who);
    return tl::unexpected(e);
  };
  if (in.items.empty()) return refuse(Error{Errc::invalid_argument, "nothing to import"});
  for (const auto& i : in.items) {
    auto c = vault::parse_coordinate(i.coordinate);
    if (!c) return refuse(c.error());
    if (auto r = vault::policy::refuse_reserved(c->env); !r) return refuse(r.error());
  }
  if (auto r = check_replay(v, in); !r) return refuse(r.error());
  std::size_t high = 0;
  for (const auto& i : in.items) high += i.tier == vault::Tier::high;
  if (high > 0 && !v.has_presence_slot()) {
    return refuse(Error{Errc::policy,
                        "this package carries " + std::to_string(high) + " high secret(s); storing "
                        "them needs this vault's high key, which only a presence-capable slot "
                        "gives: enrol one with `keyward slot add piv` or `keyward slot add fido2` "
                        "and retry; nothing imported"});
  }
  auto need = v.grant_needed(in.items);
  if (!need) return refuse(need.error());
  if (!need->empty() && !v.has_presence_slot() && !v.unlocked_with_recovery()) {
    return refuse(Error{Errc::policy, need->front() + " is a high secret in this vault: a package "
                                      "never replaces it without the presence gate, and this "
                                      "vault has no presence-capable slot; nothing imported"});
  }
  return need;
}

Status apply_unpack(vault::Vault& v, UnpackImport& in, const gate::Grant* grant, const Caller& who) {
  const std::string detail = unpack_detail(in, who);
  std::vector<vault::SetItem> bookkeeping;
  Status checked = [&]() -> Status {
    KW_TRY_STATUS(check_replay(v, in));
    if (!in.signer) return ok();
    KW_TRY(auto seen, newest_seen(v, *in.signer));
    if (!seen || in.created > *seen) {
      vault::SetItem it;
      it.coordinate = package::seen_coordinate(*in.signer);
      it.tier = vault::Tier::normal;
      it.value = SecretBytes::copy_of(std::string_view(std::to_string(in.created)));
      bookkeeping.push_back(std::move(it));
    }
    return ok();
  }();
  if (!checked) return record(v, "unpack", items_of(in.items), checked, detail, who);
  Status r = v.set_with_bookkeeping(in.items, std::move(bookkeeping), grant);
  return record(v, "unpack", items_of(in.items), r, detail, who);
}

}  // namespace keyward::access

#include "agent/access_client.h"

#include <algorithm>

#include "agent/client.h"
#include "core/access/serve.h"

namespace keyward::agent {

AgentAccess::AgentAccess(std::string socket, std::string vault, access::Presence& presence,
                         Opener direct, Say say)
    : socket_(std::move(socket)),
      vault_(std::move(vault)),
      presence_(presence),
      open_direct_(std::move(direct)),
      say_(std::move(say)) {}

Result<access::Access*> AgentAccess::direct() {
  if (!direct_) {
    KW_TRY(direct_, open_direct_());
  }
  return direct_.get();
}

Result<std::optional<Response>> AgentAccess::ask(Request& req) {
  if (direct_) return std::nullopt;  // this command already unlocked directly
  req.vault = vault_;
  bool delivered = false;
  auto resp = call(socket_, req, client_timeout_ms(), &delivered);
  // pubkey and sign may make the key on first use: redone directly, a second key could be made.
  const bool changes = req.op == Op::set || req.op == Op::rm || req.op == Op::pubkey ||
                       req.op == Op::sign || req.op == Op::unpack;
  if (!resp) {
    if (changes && delivered) {
      // The agent has the request and may still apply it (it applies nothing after the
      // request's deadline, but it may have started before). Doing the change directly now
      // could be overtaken by it: say so instead.
      return fail(Errc::unavailable,
                  "the agent did not answer in time (" + resp.error().message +
                      "); the change may or may not have been applied: check with `keyward get` "
                      "or `keyward list` before trying again");
    }
    if (resp.error().code != Errc::not_found) {
      say_("keyward: the agent did not answer (" + resp.error().message + "); unlocking directly");
    }
    return std::nullopt;
  }
  if (!resp->ok) {
    if (resp->locked) return std::nullopt;
    if (resp->needs_grant) return std::nullopt;  // nothing applied; the gate runs directly
    return tl::unexpected(Error{resp->code, resp->message});
  }
  return std::optional<Response>(std::move(*resp));
}

Result<std::vector<vault::Record>> AgentAccess::open_high(const std::string& purpose,
                                                          const HighWire& high,
                                                          const std::vector<std::string>& also) {
  KW_TRY(auto header, vault::parse_header(high.header));
  std::vector<vault::Slot> slots;
  for (const auto& row : high.slots) {
    KW_TRY(auto s, vault::parse_slot(row.body));
    s.number = row.number;
    slots.push_back(std::move(s));
  }
  auto gate = [&](const gate::Request& req) { return presence_.pass(req, header, slots, 0); };
  // The outcome is recorded by the agent (it holds the audit key); every failure to record is
  // an error: no agent, a locked vault, a refusal, an unwritable log.
  auto report = [&](const access::GateOutcome& g) -> Status {
    Request req;
    req.op = Op::presence;
    req.vault = vault_;
    GateReport r;
    r.purpose = g.purpose;
    r.coordinates = g.coordinates;
    r.passed = g.passed;
    r.slot = g.slot;
    r.device = g.device;
    r.code = g.error.code;
    r.message = g.error.message;
    req.gate = std::move(r);
    auto resp = call(socket_, req, client_timeout_ms());
    if (!resp) {
      return fail(Errc::unavailable, resp.error().code == Errc::not_found
                                         ? "the agent is no longer running"
                                         : resp.error().message);
    }
    if (!resp->ok) {
      if (resp->locked) {
        return fail(Errc::unavailable, "the agent no longer holds the vault (locked or expired)");
      }
      return tl::unexpected(Error{resp->code, resp->message});
    }
    return ok();
  };
  return access::open_sealed(vault_, header.vault_id, purpose, high.rows, also, gate, report);
}

namespace {
// The records of an answer, copied out of its secret part (locked memory to locked memory).
std::vector<vault::Record> records_of(const Response& r) {
  std::vector<vault::Record> out;
  for (const auto& rec : r.records) {
    vault::Record x;
    x.meta = rec.meta;
    x.value = SecretBytes::copy_of(r.secret.view().subspan(rec.offset, rec.len));
    out.push_back(std::move(x));
  }
  return out;
}
}  // namespace

Result<access::SlotListing> AgentAccess::slots() {
  Request req;
  req.op = Op::slots;
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->slots();
  }
  if (!answer->slot_list) {
    return fail(Errc::unavailable, "the agent did not answer with the slots; run `keyward agent "
                                   "stop` and try again");
  }
  access::SlotListing l;
  KW_TRY(auto header, vault::parse_header(answer->slot_list->header));
  l.vault_id = header.vault_id;
  l.header = header;
  for (const auto& row : answer->slot_list->slots) {
    KW_TRY(auto s, vault::parse_slot(row.body));
    s.number = row.number;
    l.slots.push_back(std::move(s));
  }
  l.unlocked_slot = answer->slot_list->unlocked;
  return l;
}

Result<package::OwnPublicKey> AgentAccess::own_public_key(bool signer) {
  Request req;
  req.op = Op::pubkey;
  req.signer = signer;
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->own_public_key(signer);
  }
  if (!answer->own_key) {
    return fail(Errc::unavailable, "the agent did not answer with the key; run `keyward agent "
                                   "stop` and try again");
  }
  return std::move(*answer->own_key);
}

Result<package::BodySignature> AgentAccess::sign_package(ByteView body) {
  Request req;
  req.op = Op::sign;
  req.secret = SecretBytes::copy_of(body);
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->sign_package(body);
  }
  if (!answer->signature) {
    return fail(Errc::unavailable, "the agent did not answer with a signature; run `keyward "
                                   "agent stop` and try again");
  }
  return *answer->signature;
}

Result<access::AuditReview> AgentAccess::review_audit(std::uint64_t since, bool summary_only) {
  Request req;
  req.op = Op::audit;
  req.since = summary_only ? 0 : since;
  req.summary = summary_only;
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->review_audit(since, summary_only);
  }
  if (!answer->audit) {
    return fail(Errc::unavailable, "the agent did not answer with the audit log; run `keyward "
                                   "agent stop` and try again");
  }
  AuditWire& aw = *answer->audit;
  access::AuditReview r;
  r.file = std::move(aw.file);
  r.total = aw.total;
  r.report.exists = aw.exists;
  r.report.head_seq = aw.head;
  r.report.anchor_seq = aw.anchor;
  r.report.mac_verified = aw.mac_verified;
  r.report.earlier_keys = aw.earlier_keys;
  r.report.problems = std::move(aw.problems);
  r.report.notes = std::move(aw.notes);
  for (const auto& line : aw.lines) {
    auto e = audit::parse_line(line);
    if (!e) {
      return fail(Errc::unavailable, "the agent answered with a malformed audit entry (" +
                                         e.error().message + "); run `keyward agent stop` and try again");
    }
    r.report.entries.push_back(std::move(*e));
  }
  return r;
}

Result<std::optional<SecretBytes>> AgentAccess::unwrap_package_key(std::span<const age::Stanza> stanzas) {
  // Only the stanzas the package identity could open travel (X25519); none: not addressed to it.
  Request req;
  req.op = Op::unwrap;
  for (const auto& s : stanzas) {
    if (s.type == "X25519") req.stanzas.push_back(s);
  }
  if (req.stanzas.empty()) return std::optional<SecretBytes>();
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->unwrap_package_key(stanzas);
  }
  if (!answer->file_key) return std::optional<SecretBytes>();
  if (answer->secret.size() != 16) {
    return fail(Errc::unavailable, "the agent answered with a malformed file key; run `keyward "
                                   "agent stop` and try again");
  }
  return std::optional<SecretBytes>(std::move(answer->secret));
}

Result<std::optional<std::uint64_t>> AgentAccess::newest_seen(const pubkey::Ed25519Public& signer) {
  Request req;
  req.op = Op::seen;
  req.sender = signer;
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->newest_seen(signer);
  }
  return answer->seen;
}

Status AgentAccess::unpack(access::UnpackImport& in) {
  // High entries need the high key and a grant: their values never go to the agent.
  const bool high = std::any_of(in.items.begin(), in.items.end(),
                                [](const vault::SetItem& i) { return i.tier == vault::Tier::high; });
  if (high) {
    KW_TRY(auto d, direct());
    return d->unpack(in);
  }
  Request req;
  req.op = Op::unpack;
  std::size_t total = 0;
  for (const auto& i : in.items) total += i.value.size();
  SecretBytes values(total);
  std::size_t off = 0;
  for (const auto& i : in.items) {
    req.items.push_back(ItemWire{i.coordinate, i.tier, i.kind, i.value.size()});
    if (!i.value.empty()) std::copy(i.value.data(), i.value.data() + i.value.size(), values.data() + off);
    off += i.value.size();
  }
  req.secret = std::move(values);
  req.package_id = in.package_id;
  req.sender = in.signer;
  req.trusted = in.trusted;
  req.created = in.created;
  req.allow_older = in.allow_older;
  KW_TRY(auto answer, ask(req));
  if (answer) return ok();
  // Not held, or it needs the presence gate (nothing applied): directly, with the gate.
  KW_TRY(auto d, direct());
  return d->unpack(in);
}

Result<std::vector<vault::RecordMeta>> AgentAccess::list() {
  Request req;
  req.op = Op::list;
  KW_TRY(auto answer, ask(req));
  if (answer) return std::move(answer->metas);
  KW_TRY(auto d, direct());
  return d->list();
}

Result<vault::Record> AgentAccess::get(std::string_view coordinate) {
  Request req;
  req.op = Op::get;
  req.coordinate = std::string(coordinate);
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->get(coordinate);
  }
  const std::size_t n = answer->records.size() + (answer->high ? answer->high->rows.size() : 0);
  if (n != 1) {
    return fail(Errc::unavailable, "the agent answered for another record; run `keyward agent "
                                   "stop` and try again");
  }
  std::vector<vault::Record> recs;
  if (answer->high) {
    KW_TRY(recs, open_high("get", *answer->high, {}));
  } else {
    recs = records_of(*answer);
  }
  if (recs.size() != 1 || recs[0].meta.coordinate != coordinate) {
    return fail(Errc::unavailable, "the agent answered for another record; run `keyward agent "
                                   "stop` and try again");
  }
  return std::move(recs[0]);
}

Result<access::EnvRelease> AgentAccess::read_env(const access::EnvQuery& query) {
  Request req;
  req.op = Op::env;
  req.env = query.env;
  req.components = query.components;
  std::sort(req.components.begin(), req.components.end());
  req.exporting = query.purpose == vault::ReadPurpose::exporting;
  req.packaging = query.purpose == vault::ReadPurpose::packaging;
  if (query.purpose == vault::ReadPurpose::run) req.allow_vars = query.allow_vars;
  req.allow_empty = query.allow_empty;
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->read_env(query);
  }
  access::EnvRelease out;
  out.records = records_of(*answer);
  out.withheld = std::move(answer->withheld);
  answer->secret.clear();
  if (answer->high) {
    std::vector<std::string> also;
    for (const auto& r : out.records) also.push_back(r.meta.coordinate);
    KW_TRY(auto high, open_high(std::string(access::purpose_name(query.purpose)), *answer->high, also));
    for (auto& r : high) out.records.push_back(std::move(r));
    std::sort(out.records.begin(), out.records.end(),
              [](const vault::Record& a, const vault::Record& b) { return a.meta.coordinate < b.meta.coordinate; });
  }
  return out;
}

Status AgentAccess::set(std::vector<vault::SetItem>& items, std::string_view op) {
  // A record the user made high can never be written by the agent (it needs a grant and the
  // high key): its value does not go there at all.
  const bool high = std::any_of(items.begin(), items.end(), [](const vault::SetItem& i) {
    return !i.default_tier && i.tier == vault::Tier::high;
  });
  if (high) {
    KW_TRY(auto d, direct());
    return d->set(items, op);
  }
  Request req;
  req.op = Op::set;
  req.importing = op == "import";
  std::size_t total = 0;
  for (const auto& i : items) total += i.value.size();
  req.secret = SecretBytes(total);
  std::size_t off = 0;
  for (const auto& i : items) {
    ItemWire w{i.coordinate, i.tier, i.kind, i.value.size()};
    w.default_tier = i.default_tier;
    req.items.push_back(std::move(w));
    if (!i.value.empty()) std::copy(i.value.data(), i.value.data() + i.value.size(), req.secret.data() + off);
    off += i.value.size();
  }
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->set(items, op);
  }
  // The agent resolved default tiers with the vault's policy; a change it applied needed no
  // grant, so nothing it stored is high.
  for (auto& i : items) {
    if (i.default_tier) i.tier = vault::Tier::normal;
    i.default_tier = false;
  }
  return ok();
}

Status AgentAccess::remove(std::string_view coordinate) {
  Request req;
  req.op = Op::rm;
  req.coordinate = std::string(coordinate);
  KW_TRY(auto answer, ask(req));
  if (!answer) {
    KW_TRY(auto d, direct());
    return d->remove(coordinate);
  }
  return ok();
}

}  // namespace keyward::agent

#include "agent/proto.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

#include "core/cbor.h"

namespace keyward::agent {
namespace {

using cbor::Value;

constexpr std::string_view kOps[] = {"status", "add",  "get",  "list",     "env",  "set",
                                     "rm",     "lock", "stop", "presence", "slots", "pubkey",
                                     "sign",   "audit", "unwrap", "seen", "unpack"};
constexpr std::size_t kMaxGateText = 4096;

tl::unexpected<Error> bad(const std::string& what) {
  return fail(Errc::malformed, "agent protocol: " + what);
}

Value text(std::string_view s) { return Value::text(s); }

Value map_of(cbor::Map m) {
  auto v = Value::map(std::move(m));
  return v ? std::move(*v) : Value::null();  // keys are distinct literals: cannot fail
}

// Walks a CBOR map whose keys are all text, dispatching each key to its handler; an unknown key
// or a non-text key is refused (the strict decoder already refused duplicates).
using Handlers = std::map<std::string_view, std::function<Status(const Value&)>>;
Status walk(const Value& v, const Handlers& h, const char* what) {
  if (!v.is_map()) return bad(std::string(what) + " is not a map");
  for (const auto& [k, val] : v.as_map()) {
    if (!k.is_text()) return bad(std::string(what) + " has a non-text key");
    auto it = h.find(k.as_text());
    if (it == h.end()) return bad(std::string(what) + " has an unknown key '" + k.as_text() + "'");
    KW_TRY_STATUS(it->second(val));
  }
  return ok();
}

auto want_text(std::string& out, const char* name) {
  return [&out, name](const Value& v) -> Status {
    if (!v.is_text() || v.as_text().empty()) return bad(std::string(name) + " must be non-empty text");
    if (v.as_text().find('\0') != std::string::npos) return bad(std::string(name) + " contains NUL");
    out = v.as_text();
    return ok();
  };
}
auto want_uint(std::uint64_t& out, const char* name, std::uint64_t max) {
  return [&out, name, max](const Value& v) -> Status {
    if (!v.is_uint() || v.as_uint() > max) return bad(std::string(name) + " out of range");
    out = v.as_uint();
    return ok();
  };
}
// Flags are only ever sent as true (absent = false), so each message has one encoding.
auto want_true(bool& out, const char* name) {
  return [&out, name](const Value& v) -> Status {
    if (!v.is_bool() || !v.as_bool()) return bad(std::string(name) + " must be true when present");
    out = v.as_bool();
    return ok();
  };
}
auto want_bytes(Bytes& out, const char* name, std::size_t max) {
  return [&out, name, max](const Value& v) -> Status {
    if (!v.is_bytes() || v.as_bytes().size() > max) return bad(std::string(name) + " bad bytes");
    out = v.as_bytes();
    return ok();
  };
}

Value meta_value(const vault::RecordMeta& m, std::optional<std::size_t> len) {
  cbor::Map mm;
  mm.emplace_back(text("c"), text(m.coordinate));
  mm.emplace_back(text("t"), Value::uint(static_cast<std::uint8_t>(m.tier)));
  mm.emplace_back(text("k"), Value::uint(static_cast<std::uint8_t>(m.kind)));
  mm.emplace_back(text("cr"), Value::uint(m.created));
  mm.emplace_back(text("up"), Value::uint(m.updated));
  mm.emplace_back(text("fp"), Value::bytes(ByteView(m.fingerprint)));
  if (len) mm.emplace_back(text("n"), Value::uint(*len));
  return map_of(std::move(mm));
}

// Decodes a record meta map; `len` must be given exactly when `n` is expected. Called once per
// record of a response (200 for a typical `run`), so the keys are matched directly rather than
// through a table of handlers. Exactly the expected number of entries, each a known key (the
// strict decoder already refused duplicates): so every field is present.
Status decode_meta(const Value& v, vault::RecordMeta& m, std::uint64_t* len) {
  std::uint64_t tier = 0, kind = 0;
  Bytes fp;
  std::string coord;
  if (!v.is_map() || v.as_map().size() != (len != nullptr ? 7u : 6u)) {
    return bad("a record has exactly its fields");
  }
  for (const auto& [k, val] : v.as_map()) {
    if (!k.is_text()) return bad("record has a non-text key");
    const std::string& key = k.as_text();
    Status st;
    if (key == "c") st = want_text(coord, "c")(val);
    else if (key == "t") st = want_uint(tier, "t", 1)(val);
    else if (key == "k") st = want_uint(kind, "k", 1)(val);
    else if (key == "cr") st = want_uint(m.created, "cr", UINT64_MAX)(val);
    else if (key == "up") st = want_uint(m.updated, "up", UINT64_MAX)(val);
    else if (key == "fp") st = want_bytes(fp, "fp", 4)(val);
    else if (key == "n" && len != nullptr) st = want_uint(*len, "n", vault::kMaxValueSize)(val);
    else return bad("record has an unknown key '" + key + "'");
    if (!st) return st;
  }
  if (fp.size() != 4) return bad("fingerprint is 4 bytes");
  KW_TRY_STATUS(vault::parse_coordinate(coord));
  m.coordinate = std::move(coord);
  m.tier = static_cast<vault::Tier>(tier);
  m.kind = static_cast<vault::Kind>(kind);
  std::memcpy(m.fingerprint.data(), fp.data(), 4);
  return ok();
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// [[number, slot bytes], ...] (high, slotl); the slot bytes are parsed by the client.
Value slot_rows_value(const std::vector<vault::SlotRow>& rows) {
  cbor::Array out;
  for (const auto& s : rows) {
    out.push_back(Value::array({Value::uint(s.number), Value::bytes(ByteView(s.body))}));
  }
  return Value::array(std::move(out));
}

Status decode_slot_rows(const Value& a, std::vector<vault::SlotRow>& out, bool non_empty) {
  if (!a.is_array() || (non_empty && a.as_array().empty())) return bad("bad slots array");
  for (const auto& s : a.as_array()) {
    if (!s.is_array() || s.as_array().size() != 2 || !s.as_array()[0].is_uint() ||
        s.as_array()[0].as_uint() > UINT32_MAX || !s.as_array()[1].is_bytes()) {
      return bad("bad slot");
    }
    out.push_back(vault::SlotRow{static_cast<std::uint32_t>(s.as_array()[0].as_uint()),
                                 s.as_array()[1].as_bytes()});
  }
  return ok();
}

cbor::DecodeLimits limits() {
  cbor::DecodeLimits l;
  l.max_depth = 6;
  l.max_items = 1u << 22;
  return l;
}

}  // namespace

std::string_view op_name(Op op) noexcept { return kOps[static_cast<int>(op)]; }

Response error_response(const Error& e) {
  Response r;
  r.ok = false;
  r.code = e.code;
  r.message = e.message;
  return r;
}

Response locked_response() {
  Response r;
  r.ok = false;
  r.locked = true;
  return r;
}

// ---------------------------------------------------------------- requests

Bytes encode_request(const Request& r) { return encode_request(r, r.id, r.deadline_ms); }

Bytes encode_request(const Request& r, std::uint64_t id, std::uint64_t deadline_ms) {
  cbor::Map m;
  m.emplace_back(text("v"), Value::uint(kProtocolVersion));
  m.emplace_back(text("op"), text(op_name(r.op)));
  if (!r.vault.empty()) m.emplace_back(text("vault"), text(r.vault));
  if (!r.coordinate.empty()) m.emplace_back(text("coord"), text(r.coordinate));
  if (!r.env.empty()) m.emplace_back(text("env"), text(r.env));
  if (!r.components.empty()) {
    cbor::Array comps;
    for (const auto& c : r.components) comps.push_back(text(c));
    m.emplace_back(text("comp"), Value::array(std::move(comps)));
  }
  if (r.all) m.emplace_back(text("all"), Value::boolean(true));
  if (r.slot != 0) m.emplace_back(text("slot"), Value::uint(r.slot));
  if (r.since != 0) m.emplace_back(text("since"), Value::uint(r.since));
  if (r.summary) m.emplace_back(text("sum"), Value::boolean(true));
  if (id != 0) m.emplace_back(text("id"), Value::uint(id));
  if (deadline_ms != 0) m.emplace_back(text("dl"), Value::uint(deadline_ms));
  if (r.exporting) m.emplace_back(text("exp"), Value::boolean(true));
  if (r.packaging) m.emplace_back(text("pkg"), Value::boolean(true));
  if (r.importing) m.emplace_back(text("imp"), Value::boolean(true));
  if (r.allow_empty) m.emplace_back(text("empty"), Value::boolean(true));
  if (r.signer) m.emplace_back(text("signer"), Value::boolean(true));
  if (!r.allow_vars.empty()) {
    cbor::Array allow;
    for (const auto& a : r.allow_vars) allow.push_back(text(a));
    m.emplace_back(text("allow"), Value::array(std::move(allow)));
  }
  if (!r.stanzas.empty()) {
    cbor::Array st;
    for (const auto& s : r.stanzas) {
      cbor::Array args;
      for (const auto& a : s.args) args.push_back(text(a));
      st.push_back(Value::array({text(s.type), Value::array(std::move(args)), Value::bytes(ByteView(s.body))}));
    }
    m.emplace_back(text("stz"), Value::array(std::move(st)));
  }
  if (r.sender) m.emplace_back(text("spk"), Value::bytes(ByteView(*r.sender)));
  if (r.op == Op::unpack) {
    m.emplace_back(text("pkid"), Value::bytes(ByteView(r.package_id)));
    m.emplace_back(text("pcr"), Value::uint(r.created));
  }
  if (r.trusted) m.emplace_back(text("trust"), Value::boolean(true));
  if (r.allow_older) m.emplace_back(text("older"), Value::boolean(true));
  if (r.op == Op::set || r.op == Op::unpack) {
    cbor::Array items;
    for (const auto& i : r.items) {
      cbor::Map im;
      im.emplace_back(text("c"), text(i.coordinate));
      im.emplace_back(text("t"), Value::uint(static_cast<std::uint8_t>(i.tier)));
      im.emplace_back(text("k"), Value::uint(static_cast<std::uint8_t>(i.kind)));
      im.emplace_back(text("n"), Value::uint(i.len));
      if (i.default_tier) im.emplace_back(text("dt"), Value::boolean(true));
      items.push_back(map_of(std::move(im)));
    }
    m.emplace_back(text("items"), Value::array(std::move(items)));
  }
  if (r.gate) {
    const GateReport& g = *r.gate;
    cbor::Array coords;
    for (const auto& c : g.coordinates) coords.push_back(text(c));
    cbor::Map gm;
    gm.emplace_back(text("p"), text(g.purpose));
    gm.emplace_back(text("c"), Value::array(std::move(coords)));
    if (g.passed) {
      gm.emplace_back(text("s"), Value::uint(g.slot));
      gm.emplace_back(text("d"), text(g.device));
    } else {
      gm.emplace_back(text("e"), Value::uint(static_cast<std::uint64_t>(g.code)));
      gm.emplace_back(text("m"), text(g.message));
    }
    m.emplace_back(text("gate"), map_of(std::move(gm)));
  }
  return cbor::encode(map_of(std::move(m)));
}

Result<Request> decode_request(ByteView data, SecretBytes secret) {
  KW_TRY(auto v, cbor::decode(data, limits()));
  Request r;
  std::uint64_t version = 0;
  std::string op;
  bool has_items = false, has_pkid = false;
  Handlers h{
      {"v", want_uint(version, "v", UINT64_MAX)},
      {"op", want_text(op, "op")},
      {"vault", want_text(r.vault, "vault")},
      {"coord", want_text(r.coordinate, "coord")},
      {"env", want_text(r.env, "env")},
      {"comp",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty() || x.as_array().size() > 256) {
           return bad("comp must be a non-empty array");
         }
         for (const auto& cv : x.as_array()) {
           std::string c;
           KW_TRY_STATUS(want_text(c, "comp")(cv));
           if (!vault::valid_env_name(c)) return bad("bad component");
           // Sorted and distinct: one encoding per selection.
           if (!r.components.empty() && !(r.components.back() < c)) {
             return bad("components must be sorted and distinct");
           }
           r.components.push_back(std::move(c));
         }
         return ok();
       }},
      {"all", want_true(r.all, "all")},
      {"slot",
       [&](const Value& x) -> Status {
         KW_TRY_STATUS(want_uint(r.slot, "slot", UINT32_MAX)(x));
         if (r.slot == 0) return bad("slot is sent only when known (1 ..)");
         return ok();
       }},
      {"since",
       [&](const Value& x) -> Status {
         KW_TRY_STATUS(want_uint(r.since, "since", UINT64_MAX)(x));
         if (r.since == 0) return bad("since is sent only when given");
         return ok();
       }},
      {"sum", want_true(r.summary, "sum")},
      {"stz",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty() || x.as_array().size() > 64) {
           return bad("stz must be an array of 1 to 64 stanzas");
         }
         for (const auto& sv : x.as_array()) {
           if (!sv.is_array() || sv.as_array().size() != 3) return bad("a stanza is [type, args, body]");
           const auto& f = sv.as_array();
           age::Stanza s;
           KW_TRY_STATUS(want_text(s.type, "stanza type")(f[0]));
           if (!f[1].is_array() || f[1].as_array().size() > 16) return bad("stanza args must be an array");
           for (const auto& a : f[1].as_array()) {
             std::string arg;
             KW_TRY_STATUS(want_text(arg, "stanza arg")(a));
             s.args.push_back(std::move(arg));
           }
           if (!f[2].is_bytes() || f[2].as_bytes().size() > 4096) return bad("bad stanza body");
           s.body = f[2].as_bytes();
           r.stanzas.push_back(std::move(s));
         }
         return ok();
       }},
      {"spk",
       [&](const Value& x) -> Status {
         if (!x.is_bytes() || x.as_bytes().size() != 32) return bad("spk is a 32-byte key");
         pubkey::Ed25519Public k{};
         std::copy(x.as_bytes().begin(), x.as_bytes().end(), k.begin());
         r.sender = k;
         return ok();
       }},
      {"pkid",
       [&](const Value& x) -> Status {
         has_pkid = true;
         if (!x.is_bytes() || x.as_bytes().size() != r.package_id.size()) return bad("bad pkid");
         std::copy(x.as_bytes().begin(), x.as_bytes().end(), r.package_id.begin());
         return ok();
       }},
      {"pcr",
       [&](const Value& x) -> Status {
         KW_TRY_STATUS(want_uint(r.created, "pcr", UINT64_MAX)(x));
         if (r.created == 0) return bad("pcr must be a creation time");
         return ok();
       }},
      {"trust", want_true(r.trusted, "trust")},
      {"older", want_true(r.allow_older, "older")},
      {"id", want_uint(r.id, "id", UINT64_MAX)},
      {"dl", want_uint(r.deadline_ms, "dl", UINT64_MAX)},
      {"exp", want_true(r.exporting, "exp")},
      {"pkg", want_true(r.packaging, "pkg")},
      {"imp", want_true(r.importing, "imp")},
      {"empty", want_true(r.allow_empty, "empty")},
      {"signer", want_true(r.signer, "signer")},
      {"allow",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty() || x.as_array().size() > 256) {
           return bad("allow must be a non-empty array");
         }
         for (const auto& a : x.as_array()) {
           std::string name;
           KW_TRY_STATUS(want_text(name, "allow")(a));
           if (name.empty() || name.size() > 255) return bad("bad allow name");
           r.allow_vars.push_back(std::move(name));
         }
         return ok();
       }},
      {"items",
       [&](const Value& x) -> Status {
         has_items = true;
         if (!x.is_array() || x.as_array().size() > 10000) return bad("items must be an array");
         for (const auto& iv : x.as_array()) {
           ItemWire item;
           std::uint64_t tier = 0, kind = 0, len = 0;
           if (!iv.is_map() || iv.as_map().size() < 4 || iv.as_map().size() > 5) {
             return bad("an item has exactly c, t, k, n (and dt)");
           }
           KW_TRY_STATUS(walk(iv, Handlers{
               {"c", want_text(item.coordinate, "c")},
               {"t", want_uint(tier, "t", 1)},
               {"k", want_uint(kind, "k", 1)},
               {"n", want_uint(len, "n", vault::kMaxValueSize)},
               {"dt", want_true(item.default_tier, "dt")},
           }, "item"));
           if (iv.as_map().size() == 5 && !item.default_tier) return bad("an item has c, t, k, n, dt");
           KW_TRY_STATUS(vault::parse_coordinate(item.coordinate));
           item.tier = static_cast<vault::Tier>(tier);
           item.kind = static_cast<vault::Kind>(kind);
           item.len = len;
           r.items.push_back(std::move(item));
         }
         return ok();
       }},
  };
  h.emplace("gate", [&](const Value& x) -> Status {
    GateReport g;
    std::uint64_t slot = 0, code = 0;
    bool seen_p = false, seen_c = false, seen_s = false, seen_d = false, seen_e = false, seen_m = false;
    if (!x.is_map() || x.as_map().size() != 4) return bad("gate has exactly p, c and s, d or e, m");
    Handlers gh{
        {"p", [&](const Value& y) { seen_p = true; return want_text(g.purpose, "p")(y); }},
        {"c",
         [&](const Value& y) -> Status {
           seen_c = true;
           if (!y.is_array() || y.as_array().empty() || y.as_array().size() > 10000) {
             return bad("gate coordinates must be a non-empty array");
           }
           for (const auto& cv : y.as_array()) {
             std::string c;
             KW_TRY_STATUS(want_text(c, "gate coordinate")(cv));
             KW_TRY_STATUS(vault::parse_coordinate(c));
             // Sorted and distinct: one encoding per list.
             if (!g.coordinates.empty() && !(g.coordinates.back() < c)) {
               return bad("gate coordinates must be sorted and distinct");
             }
             g.coordinates.push_back(std::move(c));
           }
           return ok();
         }},
        {"s", [&](const Value& y) { seen_s = true; return want_uint(slot, "s", UINT32_MAX)(y); }},
        {"d", [&](const Value& y) { seen_d = true; return want_text(g.device, "d")(y); }},
        {"e", [&](const Value& y) { seen_e = true; return want_uint(code, "e", static_cast<std::uint64_t>(Errc::internal))(y); }},
        {"m", [&](const Value& y) { seen_m = true; return want_text(g.message, "m")(y); }},
    };
    KW_TRY_STATUS(walk(x, gh, "gate"));
    if (!seen_p || !seen_c) return bad("gate is missing fields");
    if (g.purpose != "get" && g.purpose != "run" && g.purpose != "export" && g.purpose != "package") {
      return bad("gate purpose must be get, run, export or package");
    }
    g.passed = seen_s;
    if (g.passed ? !(seen_s && seen_d) : !(seen_e && seen_m)) return bad("gate is either s, d or e, m");
    if (g.passed && slot == 0) return bad("gate slot must be >= 1");
    if (!g.passed && code == 0) return bad("gate error class must be >= 1");
    if (g.device.size() > kMaxGateText || g.message.size() > kMaxGateText) return bad("gate text too long");
    g.slot = static_cast<std::uint32_t>(slot);
    g.code = static_cast<Errc>(code);
    r.gate = std::move(g);
    return ok();
  });
  KW_TRY_STATUS(walk(v, h, "request"));
  if (version != kProtocolVersion) {
    return fail(Errc::unsupported, "agent protocol: version " + std::to_string(version) +
                                       " is not supported (this keyward speaks 1); restart the "
                                       "agent with `keyward agent stop`");
  }
  bool found = false;
  for (std::size_t i = 0; i < std::size(kOps); ++i) {
    if (op == kOps[i]) {
      r.op = static_cast<Op>(i);
      found = true;
    }
  }
  if (!found) return bad("unknown operation");
  // What each operation needs, and nothing else.
  const bool needs_vault = r.op != Op::status && r.op != Op::stop && !(r.op == Op::lock && r.all);
  if (needs_vault != !r.vault.empty()) return bad("vault given or missing");
  if (!r.vault.empty() && r.vault[0] != '/') return bad("vault path must be absolute");
  const bool needs_coord = r.op == Op::get || r.op == Op::rm;
  if (needs_coord != !r.coordinate.empty()) return bad("coordinate given or missing");
  if (needs_coord) KW_TRY_STATUS(vault::parse_coordinate(r.coordinate));
  if ((r.op == Op::env) != !r.env.empty()) return bad("env given or missing");
  if (r.op == Op::env && !vault::valid_env_name(r.env)) return bad("bad env name");
  if (!r.components.empty() && r.op != Op::env) return bad("'comp' only applies to env");
  if (r.all && r.op != Op::lock) return bad("'all' only applies to lock");
  if (r.slot != 0 && r.op != Op::add) return bad("'slot' only applies to add");
  if ((r.since != 0 || r.summary) && r.op != Op::audit) return bad("'since' and 'sum' only apply to audit");
  if (r.since != 0 && r.summary) return bad("'since' lists entries; 'sum' lists none");
  if (r.exporting && r.op != Op::env) return bad("'exp' only applies to env");
  if (r.packaging && (r.op != Op::env || r.exporting)) return bad("'pkg' only applies to env");
  if (r.packaging && !r.allow_vars.empty()) return bad("'allow' only applies to env (run)");
  if (r.importing && r.op != Op::set) return bad("'imp' only applies to set");
  if (r.allow_empty && r.op != Op::env) return bad("'empty' only applies to env");
  if (r.signer && r.op != Op::pubkey) return bad("'signer' only applies to pubkey");
  if (!r.allow_vars.empty() && (r.op != Op::env || r.exporting)) return bad("'allow' only applies to env (run)");
  const bool writes_items = r.op == Op::set || r.op == Op::unpack;
  if (writes_items != has_items) return bad("items given or missing");
  if (writes_items && r.items.empty()) return bad("set and unpack need at least one item");
  if (r.op == Op::unpack) {
    for (const auto& i : r.items) {
      if (i.default_tier) return bad("unpack items carry their tier");
    }
    if (r.created == 0 || !has_pkid) return bad("unpack needs pcr and pkid");
  } else if (r.created != 0 || has_pkid || r.trusted || r.allow_older) {
    return bad("'pcr', 'pkid', 'trust' and 'older' only apply to unpack");
  }
  if ((r.op == Op::unwrap) != !r.stanzas.empty()) return bad("stz given or missing");
  if (r.op == Op::seen && !r.sender) return bad("seen needs spk");
  if (r.sender && r.op != Op::seen && r.op != Op::unpack) return bad("'spk' only applies to seen and unpack");
  if (r.trusted && !r.sender) return bad("'trust' needs spk");
  if ((r.op == Op::presence) != r.gate.has_value()) return bad("gate given or missing");
  std::size_t want_secret = 0;
  if (r.op == Op::add) want_secret = vault::kKeySize;
  for (const auto& i : r.items) want_secret += i.len;
  if (r.op == Op::sign) {
    if (secret.empty()) return bad("sign needs the body in the secret part");
    want_secret = secret.size();
  }
  if (secret.size() != want_secret) return bad("secret part has the wrong size");
  r.secret = std::move(secret);
  return r;
}

// ---------------------------------------------------------------- responses

Bytes encode_response(const Response& r) {
  cbor::Map m;
  m.emplace_back(text("v"), Value::uint(kProtocolVersion));
  m.emplace_back(text("ok"), Value::boolean(r.ok));
  if (r.id != 0) m.emplace_back(text("id"), Value::uint(r.id));
  if (!r.ok) {
    if (r.locked) {
      m.emplace_back(text("locked"), Value::boolean(true));
    } else {
      m.emplace_back(text("code"), Value::uint(static_cast<std::uint64_t>(r.code)));
      m.emplace_back(text("msg"), text(r.message));
      if (r.needs_grant) m.emplace_back(text("grant"), Value::boolean(true));
    }
    return cbor::encode(map_of(std::move(m)));
  }
  if (!r.records.empty()) {
    cbor::Array recs;
    for (const auto& rec : r.records) recs.push_back(meta_value(rec.meta, rec.len));
    m.emplace_back(text("recs"), Value::array(std::move(recs)));
  }
  if (!r.metas.empty()) {
    cbor::Array metas;
    for (const auto& meta : r.metas) metas.push_back(meta_value(meta, std::nullopt));
    m.emplace_back(text("metas"), Value::array(std::move(metas)));
  }
  if (!r.withheld.empty()) {
    cbor::Array wh;
    for (const auto& c : r.withheld) wh.push_back(text(c));
    m.emplace_back(text("wh"), Value::array(std::move(wh)));
  }
  if (r.high) {
    cbor::Array rows;
    for (const auto& row : r.high->rows) {
      rows.push_back(Value::array({meta_value(row.meta, std::nullopt),
                                   Value::bytes(ByteView(row.row.id)),
                                   Value::bytes(ByteView(row.row.idx)),
                                   Value::bytes(ByteView(row.row.body))}));
    }
    cbor::Map hm;
    hm.emplace_back(text("hdr"), Value::bytes(ByteView(r.high->header)));
    hm.emplace_back(text("slots"), slot_rows_value(r.high->slots));
    hm.emplace_back(text("rows"), Value::array(std::move(rows)));
    m.emplace_back(text("high"), map_of(std::move(hm)));
  }
  if (r.slot_list) {
    cbor::Map sm;
    sm.emplace_back(text("hdr"), Value::bytes(ByteView(r.slot_list->header)));
    sm.emplace_back(text("slots"), slot_rows_value(r.slot_list->slots));
    sm.emplace_back(text("used"), Value::uint(r.slot_list->unlocked));
    m.emplace_back(text("slotl"), map_of(std::move(sm)));
  }
  if (r.file_key) m.emplace_back(text("fk"), Value::boolean(true));
  if (r.seen) m.emplace_back(text("seen"), Value::uint(*r.seen));
  if (r.audit) {
    const auto texts = [](const std::vector<std::string>& l) {
      cbor::Array a;
      for (const auto& t : l) a.push_back(text(t));
      return Value::array(std::move(a));
    };
    cbor::Map am;
    am.emplace_back(text("f"), text(r.audit->file));
    am.emplace_back(text("ex"), Value::boolean(r.audit->exists));
    am.emplace_back(text("n"), Value::uint(r.audit->total));
    am.emplace_back(text("head"), Value::uint(r.audit->head));
    am.emplace_back(text("anc"), Value::uint(r.audit->anchor));
    am.emplace_back(text("mac"), Value::uint(r.audit->mac_verified));
    am.emplace_back(text("old"), Value::uint(r.audit->earlier_keys));
    am.emplace_back(text("pr"), texts(r.audit->problems));
    am.emplace_back(text("nt"), texts(r.audit->notes));
    am.emplace_back(text("ln"), texts(r.audit->lines));
    m.emplace_back(text("aud"), map_of(std::move(am)));
  }
  if (r.signature) {
    cbor::Map sm;
    sm.emplace_back(text("pk"), Value::bytes(ByteView(r.signature->signer)));
    sm.emplace_back(text("s"), Value::bytes(ByteView(r.signature->signature)));
    sm.emplace_back(text("new"), Value::boolean(r.signature->created));
    m.emplace_back(text("sig"), map_of(std::move(sm)));
  }
  if (r.own_key) {
    cbor::Map pm;
    pm.emplace_back(text("k"), text(r.own_key->text));
    pm.emplace_back(text("new"), Value::boolean(r.own_key->created));
    m.emplace_back(text("pub"), map_of(std::move(pm)));
  }
  if (r.pid != 0) {
    m.emplace_back(text("pid"), Value::uint(r.pid));
    m.emplace_back(text("idle"), Value::uint(r.idle_ttl_s));
    m.emplace_back(text("max"), Value::uint(r.max_ttl_s));
    cbor::Array vs;
    for (const auto& s : r.vaults) {
      cbor::Map sm;
      sm.emplace_back(text("path"), text(s.path));
      sm.emplace_back(text("id"), Value::bytes(ByteView(s.id)));
      sm.emplace_back(text("idle"), Value::uint(s.idle_left_s));
      sm.emplace_back(text("max"), Value::uint(s.max_left_s));
      vs.push_back(map_of(std::move(sm)));
    }
    m.emplace_back(text("vaults"), Value::array(std::move(vs)));
  }
  return cbor::encode(map_of(std::move(m)));
}

Result<Response> decode_response(ByteView data, SecretBytes secret) {
  KW_TRY(auto v, cbor::decode(data, limits()));
  Response r;
  std::uint64_t version = 0, code = 0;
  bool seen_ok = false, seen_code = false, seen_msg = false, seen_status = false;
  int status_fields = 0;
  std::size_t total = 0;
  Handlers h{
      {"v", want_uint(version, "v", UINT64_MAX)},
      {"ok",
       [&](const Value& x) -> Status {
         if (!x.is_bool()) return bad("ok must be a boolean");
         seen_ok = true;
         r.ok = x.as_bool();
         return ok();
       }},
      {"locked", want_true(r.locked, "locked")},
      {"grant", want_true(r.needs_grant, "grant")},
      {"id", want_uint(r.id, "id", UINT64_MAX)},
      {"code", [&](const Value& x) { seen_code = true; return want_uint(code, "code", static_cast<std::uint64_t>(Errc::internal))(x); }},
      {"msg", [&](const Value& x) { seen_msg = true; return want_text(r.message, "msg")(x); }},
      {"recs",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty()) return bad("recs must be a non-empty array");
         for (const auto& rv : x.as_array()) {
           RecordWire rec;
           std::uint64_t len = 0;
           KW_TRY_STATUS(decode_meta(rv, rec.meta, &len));
           rec.offset = total;
           rec.len = len;
           total += len;
           r.records.push_back(std::move(rec));
         }
         return ok();
       }},
      {"metas",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty()) return bad("metas must be a non-empty array");
         for (const auto& mv : x.as_array()) {
           vault::RecordMeta meta;
           KW_TRY_STATUS(decode_meta(mv, meta, nullptr));
           r.metas.push_back(std::move(meta));
         }
         return ok();
       }},
      {"wh",
       [&](const Value& x) -> Status {
         if (!x.is_array() || x.as_array().empty() || x.as_array().size() > 10000) {
           return bad("wh must be a non-empty array");
         }
         for (const auto& cv : x.as_array()) {
           std::string c;
           KW_TRY_STATUS(want_text(c, "wh")(cv));
           KW_TRY_STATUS(vault::parse_coordinate(c));
           r.withheld.push_back(std::move(c));
         }
         return ok();
       }},
      {"high",
       [&](const Value& x) -> Status {
         HighWire hw;
         bool seen_hdr = false, seen_rows = false, seen_slots = false;
         if (!x.is_map() || x.as_map().size() != 3) return bad("high has exactly hdr, slots, rows");
         Handlers hh{
             {"hdr", [&](const Value& b) { seen_hdr = true; return want_bytes(hw.header, "hdr", vault::kHeaderBodySize)(b); }},
             {"slots",
              [&](const Value& a) -> Status {
                seen_slots = true;
                return decode_slot_rows(a, hw.slots, false);
              }},
             {"rows",
              [&](const Value& a) -> Status {
                seen_rows = true;
                if (!a.is_array() || a.as_array().empty()) return bad("rows must be a non-empty array");
                for (const auto& rw : a.as_array()) {
                  if (!rw.is_array() || rw.as_array().size() != 4) return bad("bad row");
                  const auto& f = rw.as_array();
                  vault::SealedHigh sh;
                  KW_TRY_STATUS(decode_meta(f[0], sh.meta, nullptr));
                  if (sh.meta.tier != vault::Tier::high) return bad("a sealed row must be high");
                  if (!f[1].is_bytes() || f[1].as_bytes().size() != 32 || !f[2].is_bytes() ||
                      !f[3].is_bytes()) {
                    return bad("bad row");
                  }
                  sh.row.id = vault::to_array<32>(f[1].as_bytes());
                  sh.row.tier = vault::Tier::high;
                  sh.row.idx = f[2].as_bytes();
                  sh.row.body = f[3].as_bytes();
                  hw.rows.push_back(std::move(sh));
                }
                return ok();
              }},
         };
         KW_TRY_STATUS(walk(x, hh, "high"));
         if (!seen_hdr || !seen_rows || !seen_slots || hw.header.size() != vault::kHeaderBodySize) {
           return bad("high is missing fields");
         }
         r.high = std::move(hw);
         return ok();
       }},
      {"slotl",
       [&](const Value& x) -> Status {
         SlotsWire sw;
         bool seen_hdr = false, seen_slots = false, seen_used = false;
         if (!x.is_map() || x.as_map().size() != 3) return bad("slotl has exactly hdr, slots, used");
         std::uint64_t used = 0;
         Handlers sh{
             {"hdr", [&](const Value& b) { seen_hdr = true; return want_bytes(sw.header, "hdr", vault::kHeaderBodySize)(b); }},
             {"slots",
              [&](const Value& a) -> Status {
                seen_slots = true;
                return decode_slot_rows(a, sw.slots, true);
              }},
             {"used", [&](const Value& u) { seen_used = true; return want_uint(used, "used", UINT32_MAX)(u); }},
         };
         KW_TRY_STATUS(walk(x, sh, "slotl"));
         if (!seen_hdr || !seen_slots || !seen_used || sw.header.size() != vault::kHeaderBodySize) {
           return bad("slotl is missing fields");
         }
         sw.unlocked = static_cast<std::uint32_t>(used);
         r.slot_list = std::move(sw);
         return ok();
       }},
      {"pub",
       [&](const Value& x) -> Status {
         package::OwnPublicKey k;
         bool seen_k = false, seen_new = false;
         if (!x.is_map() || x.as_map().size() != 2) return bad("pub has exactly k, new");
         Handlers ph{
             {"k", [&](const Value& t) { seen_k = true; return want_text(k.text, "k")(t); }},
             {"new",
              [&](const Value& b) -> Status {
                seen_new = true;
                if (!b.is_bool()) return bad("new must be a bool");
                k.created = b.as_bool();
                return ok();
              }},
         };
         KW_TRY_STATUS(walk(x, ph, "pub"));
         if (!seen_k || !seen_new || k.text.empty() || k.text.size() > 1024) return bad("bad pub");
         r.own_key = std::move(k);
         return ok();
       }},
      {"fk",
       [&](const Value& x) -> Status {
         KW_TRY_STATUS(want_true(r.file_key, "fk")(x));
         total += 16;
         return ok();
       }},
      {"seen",
       [&](const Value& x) -> Status {
         std::uint64_t t = 0;
         KW_TRY_STATUS(want_uint(t, "seen", UINT64_MAX)(x));
         r.seen = t;
         return ok();
       }},
      {"aud",
       [&](const Value& x) -> Status {
         AuditWire aw;
         if (!x.is_map() || x.as_map().size() != 10) return bad("aud has exactly 10 fields");
         auto texts = [](std::vector<std::string>& out, const char* what) {
           return [&out, what](const Value& a) -> Status {
             if (!a.is_array()) return bad(std::string(what) + " must be an array");
             for (const auto& t : a.as_array()) {
               std::string s;
               KW_TRY_STATUS(want_text(s, what)(t));
               out.push_back(std::move(s));
             }
             return ok();
           };
         };
         int seen = 0;
         auto counted = [&seen](auto handler) {
           return [&seen, handler](const Value& val) -> Status {
             ++seen;
             return handler(val);
           };
         };
         Handlers ah{
             {"f", counted(want_text(aw.file, "f"))},
             {"ex", counted([&](const Value& b) -> Status {
                if (!b.is_bool()) return bad("ex must be a bool");
                aw.exists = b.as_bool();
                return ok();
              })},
             {"n", counted(want_uint(aw.total, "n", UINT64_MAX))},
             {"head", counted(want_uint(aw.head, "head", UINT64_MAX))},
             {"anc", counted(want_uint(aw.anchor, "anc", UINT64_MAX))},
             {"mac", counted(want_uint(aw.mac_verified, "mac", UINT64_MAX))},
             {"old", counted(want_uint(aw.earlier_keys, "old", UINT64_MAX))},
             {"pr", counted(texts(aw.problems, "pr"))},
             {"nt", counted(texts(aw.notes, "nt"))},
             {"ln", counted(texts(aw.lines, "ln"))},
         };
         KW_TRY_STATUS(walk(x, ah, "aud"));
         if (seen != 10) return bad("aud is missing fields");
         if (aw.lines.size() > aw.total) return bad("aud has more lines than entries");
         r.audit = std::move(aw);
         return ok();
       }},
      {"sig",
       [&](const Value& x) -> Status {
         package::BodySignature sg;
         bool seen_pk = false, seen_s = false, seen_new = false;
         if (!x.is_map() || x.as_map().size() != 3) return bad("sig has exactly pk, s, new");
         auto fixed = [](auto& out, const Value& b, const char* what) -> Status {
           if (!b.is_bytes() || b.as_bytes().size() != out.size()) return bad(std::string(what) + " has the wrong size");
           std::copy(b.as_bytes().begin(), b.as_bytes().end(), out.begin());
           return ok();
         };
         Handlers sh{
             {"pk", [&](const Value& b) { seen_pk = true; return fixed(sg.signer, b, "pk"); }},
             {"s", [&](const Value& b) { seen_s = true; return fixed(sg.signature, b, "s"); }},
             {"new",
              [&](const Value& b) -> Status {
                seen_new = true;
                if (!b.is_bool()) return bad("new must be a bool");
                sg.created = b.as_bool();
                return ok();
              }},
         };
         KW_TRY_STATUS(walk(x, sh, "sig"));
         if (!seen_pk || !seen_s || !seen_new) return bad("bad sig");
         r.signature = sg;
         return ok();
       }},
      {"pid", [&](const Value& x) { seen_status = true; return want_uint(r.pid, "pid", UINT32_MAX)(x); }},
      {"idle", [&](const Value& x) { ++status_fields; return want_uint(r.idle_ttl_s, "idle", UINT64_MAX)(x); }},
      {"max", [&](const Value& x) { ++status_fields; return want_uint(r.max_ttl_s, "max", UINT64_MAX)(x); }},
      {"vaults",
       [&](const Value& x) -> Status {
         ++status_fields;
         if (!x.is_array()) return bad("vaults must be an array");
         for (const auto& sv : x.as_array()) {
           VaultStatus s;
           Bytes id;
           if (!sv.is_map() || sv.as_map().size() != 4) return bad("bad vault status");
           KW_TRY_STATUS(walk(sv, Handlers{
               {"path", want_text(s.path, "path")},
               {"id", want_bytes(id, "id", vault::kVaultIdSize)},
               {"idle", want_uint(s.idle_left_s, "idle", UINT64_MAX)},
               {"max", want_uint(s.max_left_s, "max", UINT64_MAX)},
           }, "vault status"));
           if (id.size() != vault::kVaultIdSize || s.path.empty()) return bad("bad vault status");
           s.id = vault::to_array<vault::kVaultIdSize>(id);
           r.vaults.push_back(std::move(s));
         }
         return ok();
       }},
  };
  KW_TRY_STATUS(walk(v, h, "response"));
  if (version != kProtocolVersion) return bad("unsupported version");
  if (!seen_ok) return bad("ok missing");
  if (r.ok) {
    if (r.locked || seen_code || seen_msg || r.needs_grant) return bad("error fields in a success");
  } else {
    if (r.locked == (seen_code || seen_msg)) return bad("an error is either locked or code+msg");
    if (!r.locked && (!seen_code || !seen_msg || code == 0)) return bad("error without code");
    if (r.locked && r.needs_grant) return bad("grant only in a code+msg error");
    if (!r.records.empty() || !r.metas.empty() || r.high || r.slot_list || r.own_key || r.signature || r.audit || r.file_key || r.seen || seen_status ||
        !r.withheld.empty()) {
      return bad("data in an error");
    }
    r.code = static_cast<Errc>(code);
  }
  if (seen_status != (r.pid != 0)) return bad("pid must be non-zero");
  if (status_fields != (seen_status ? 3 : 0)) return bad("status fields come together");
  if (secret.size() != total) return bad("secret part has the wrong size");
  r.secret = std::move(secret);
  return r;
}

// ---------------------------------------------------------------- frames

Bytes frame_header(std::size_t cbor_size, std::size_t secret_size) {
  Bytes h(kFrameHeaderSize);
  for (int i = 0; i < 4; ++i) {
    h[i] = static_cast<std::uint8_t>(cbor_size >> (24 - 8 * i));
    h[4 + i] = static_cast<std::uint8_t>(secret_size >> (24 - 8 * i));
  }
  return h;
}

Result<std::pair<std::size_t, std::size_t>> parse_frame_header(ByteView header) {
  if (header.size() != kFrameHeaderSize) return bad("short frame header");
  std::size_t c = be32(header.data()), s = be32(header.data() + 4);
  if (c == 0 || c > kMaxCborSize) return bad("message size out of range");
  if (s > kMaxSecretSize) return bad("secret size out of range");
  return std::make_pair(c, s);
}

Result<Frame> parse_frame(ByteView data) {
  if (data.size() < kFrameHeaderSize) return bad("short frame");
  KW_TRY(auto sizes, parse_frame_header(data.first(kFrameHeaderSize)));
  if (data.size() != kFrameHeaderSize + sizes.first + sizes.second) return bad("frame size mismatch");
  Frame f;
  auto c = data.subspan(kFrameHeaderSize, sizes.first);
  f.cbor.assign(c.begin(), c.end());
  f.secret = SecretBytes::copy_of(data.subspan(kFrameHeaderSize + sizes.first));
  return f;
}

Status write_frame(int fd, ByteView cbor, ByteView secret) {
  if (cbor.size() > kMaxCborSize || secret.size() > kMaxSecretSize) {
    return fail(Errc::invalid_argument, "agent message too large");
  }
  Bytes head = frame_header(cbor.size(), secret.size());
  struct iovec iov[3] = {
      {head.data(), head.size()},
      {const_cast<std::uint8_t*>(cbor.data()), cbor.size()},
      {const_cast<std::uint8_t*>(secret.data()), secret.size()},
  };
  int n = secret.empty() ? 2 : 3;
  struct iovec* cur = iov;
  while (n > 0) {
    struct msghdr msg {};
    msg.msg_iov = cur;
    msg.msg_iovlen = static_cast<std::size_t>(n);
    ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(Errc::unavailable, "the agent connection timed out");
      return fail(Errc::unavailable, std::string("the agent connection broke: ") + std::strerror(errno));
    }
    auto left = static_cast<std::size_t>(w);
    while (n > 0 && left >= cur->iov_len) {
      left -= cur->iov_len;
      ++cur;
      --n;
    }
    if (n > 0) {
      cur->iov_base = static_cast<std::uint8_t*>(cur->iov_base) + left;
      cur->iov_len -= left;
    }
  }
  return ok();
}

namespace {
Status read_exact(int fd, std::uint8_t* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r == 0) return fail(Errc::unavailable, "the agent connection closed early");
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return fail(Errc::unavailable, "the agent connection timed out");
      return fail(Errc::unavailable, std::string("the agent connection broke: ") + std::strerror(errno));
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return ok();
}
}  // namespace

Result<Frame> read_frame(int fd) {
  std::uint8_t head[kFrameHeaderSize];
  KW_TRY_STATUS(read_exact(fd, head, sizeof head));
  KW_TRY(auto sizes, parse_frame_header(ByteView(head, sizeof head)));
  Frame f;
  f.cbor.resize(sizes.first);
  KW_TRY_STATUS(read_exact(fd, f.cbor.data(), f.cbor.size()));
  if (sizes.second != 0) {
    f.secret = SecretBytes(sizes.second);
    KW_TRY_STATUS(read_exact(fd, f.secret.data(), f.secret.size()));
  }
  return f;
}

Result<bool> FrameReader::read_some(int fd) {
  for (;;) {
    std::uint8_t* dst = nullptr;
    std::size_t want = 0;
    switch (part_) {
      case 0: dst = head_ + got_; want = kFrameHeaderSize - got_; break;
      case 1: dst = frame_.cbor.data() + got_; want = frame_.cbor.size() - got_; break;
      case 2: dst = frame_.secret.data() + got_; want = frame_.secret.size() - got_; break;
      default: return true;
    }
    if (want > 0) {
      ssize_t r = ::recv(fd, dst, want, MSG_DONTWAIT);
      if (r == 0) return fail(Errc::unavailable, "the agent connection closed early");
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        return fail(Errc::unavailable, std::string("the agent connection broke: ") + std::strerror(errno));
      }
      got_ += static_cast<std::size_t>(r);
      if (static_cast<std::size_t>(r) < want) continue;
    }
    // The current part is complete.
    got_ = 0;
    if (part_ == 0) {
      KW_TRY(auto sizes, parse_frame_header(ByteView(head_, sizeof head_)));
      frame_.cbor.resize(sizes.first);
      if (sizes.second != 0) frame_.secret = SecretBytes(sizes.second);
      part_ = 1;
    } else if (part_ == 1) {
      part_ = frame_.secret.empty() ? 3 : 2;
    } else {
      part_ = 3;
    }
  }
}

Result<Frame> read_frame_until(int fd, std::uint64_t deadline_ms) {
  FrameReader reader;
  for (;;) {
    KW_TRY(bool done, reader.read_some(fd));
    if (done) return reader.take();
    struct timespec ts {};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    std::uint64_t now = static_cast<std::uint64_t>(ts.tv_sec) * 1000 +
                        static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
    if (now >= deadline_ms) return fail(Errc::unavailable, "the agent did not answer in time");
    struct pollfd p {fd, POLLIN, 0};
    std::uint64_t wait = deadline_ms - now;
    int n = ::poll(&p, 1, static_cast<int>(std::min<std::uint64_t>(wait, 60000)));
    if (n < 0 && errno != EINTR) {
      return fail(Errc::unavailable, std::string("poll: ") + std::strerror(errno));
    }
  }
}

}  // namespace keyward::agent

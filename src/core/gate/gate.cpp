// The presence gate (docs/presence-gate.md). One pass = one fresh device answer, proven by the
// slot type's own file (presence_fido2.cpp, presence_piv.cpp), which opens the slot secret; here
// it unwraps H and the grant is made.
// H is accepted only if derive_high_keys(H).check equals the header's C_high.
#include "core/gate/gate.h"

#include <unistd.h>

#include <algorithm>

#include "core/file_io.h"
#include "core/gate/presence.h"
#include "core/hash.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/xdg.h"

namespace keyward::gate {
namespace {

using vault::Writer;

constexpr std::string_view kRequestLabel = "keyward/gate/v1/request";
constexpr std::string_view kClientDataLabel = "keyward/gate/v1/client-data";

void put_str(Writer& w, std::string_view s) {
  w.u32(static_cast<std::uint32_t>(s.size()));
  w.raw(s);
}

std::string prompt_purpose(const Request& req) {
  if (!req.prompt.empty()) return req.prompt;
  std::string what;
  if (!req.coordinates.empty()) {
    what = "release " + std::to_string(req.coordinates.size()) + " high secret(s)";
  } else {
    what = "authorise " + req.purpose;
  }
  if (!req.command_line.empty()) what += " for `" + req.command_line + "`";
  return what;
}

Result<SecretBytes> check_high(const vault::Slot& slot, const vault::VaultId& vid,
                               const SecretBytes& slot_secret, const vault::HeaderBody& header) {
  const vault::SlotHandler* h = vault::slot_handler(slot.type);
  if (h == nullptr || slot.wrapped_high.empty()) return vault::opaque();
  KW_TRY(auto high, h->unwrap(slot, vid, vault::Which::high, slot.wrapped_high, slot_secret));
  KW_TRY(auto keys, vault::derive_high_keys(high, vid));
  if (!ct_equal(keys.check, header.high_check)) {
    return fail(Errc::integrity, "the high key unwrapped by slot '" + slot.label +
                                     "' does not match the vault header's commitment: the slot "
                                     "was tampered with; refused");
  }
  return high;
}

}  // namespace

// The only code that makes a Grant (gate.h declares it a friend).
class Issuer {
 public:
  static Grant make(const Request& req, SecretBytes high, std::uint32_t slot, std::string device,
                    std::uint32_t counter) {
    Grant g;
    g.high_ = std::move(high);
    g.slot_ = slot;
    g.device_ = std::move(device);
    g.vault_id_ = req.vault_id;
    g.purpose_ = req.purpose;
    g.coordinates_ = req.coordinates;
    g.level_ = req.level;
    g.counter_ = counter;
    return g;
  }
};

bool Grant::covers(std::string_view coordinate) const {
  return std::find(coordinates_.begin(), coordinates_.end(), coordinate) != coordinates_.end();
}

Bytes request_digest(const Request& req) {
  Writer w;
  w.raw(kRequestLabel);
  w.raw(req.vault_id);
  w.u8(static_cast<std::uint8_t>(req.level));
  put_str(w, req.purpose);
  w.u32(static_cast<std::uint32_t>(req.coordinates.size()));
  for (const auto& c : req.coordinates) put_str(w, c);
  put_str(w, req.command_line);
  put_str(w, req.parent);
  put_str(w, req.terminal);
  auto d = hash::sha256(w.bytes());
  return Bytes(d.begin(), d.end());
}

Bytes client_data_hash(ByteView nonce, const Request& req) {
  Writer w;
  w.raw(kClientDataLabel);
  w.raw(nonce);
  w.raw(request_digest(req));
  auto d = hash::sha256(w.bytes());
  return Bytes(d.begin(), d.end());
}

Result<std::string> state_directory(const std::string& state_dir) {
  if (!state_dir.empty()) return state_dir;
  return xdg_state_dir("gate");
}

void describe_requester(Request& r) {
  // Command line: /proc/self/cmdline, arguments separated by spaces (keyward never takes
  // secrets on argv, so showing it is safe).
  std::string raw = read_file_or_empty("/proc/self/cmdline");
  std::string cmd;
  std::size_t start = 0;
  while (start < raw.size()) {
    auto end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    std::string arg = raw.substr(start, end - start);
    if (start == 0) {
      auto slash = arg.rfind('/');
      if (slash != std::string::npos) arg = arg.substr(slash + 1);
    }
    for (char& c : arg) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    if (!cmd.empty()) cmd += ' ';
    cmd += arg.find(' ') == std::string::npos && !arg.empty() ? arg : "'" + arg + "'";
    start = end + 1;
  }
  r.command_line = cmd;
  pid_t pp = ::getppid();
  std::string comm = read_file_or_empty("/proc/" + std::to_string(pp) + "/comm");
  while (!comm.empty() && (comm.back() == '\n' || comm.back() == '\0')) comm.pop_back();
  for (char& c : comm) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  r.parent = (comm.empty() ? std::string("?") : comm) + " (pid " + std::to_string(pp) + ")";
  r.terminal = "none";
  for (int fd : {0, 2, 1}) {
    if (::isatty(fd)) {
      if (const char* t = ::ttyname(fd)) {
        r.terminal = t;
        break;
      }
    }
  }
}

Result<Grant> pass(const Request& req, const vault::HeaderBody& header,
                   const std::vector<vault::Slot>& slots, const vault::Devices& devices,
                   const std::string& state_dir, std::uint32_t prefer_slot) {
  if (req.vault_id != header.vault_id) {
    return fail(Errc::invalid_argument, "presence gate request for another vault");
  }
  if (!header.has_high) {
    return fail(Errc::policy, "this vault has no presence-capable slot, so nothing can pass the "
                              "presence gate: enrol one with `keyward slot add fido2` or "
                              "`keyward slot add piv`");
  }
  // Candidates: presence-capable FIDO2/PIV slots that hold the high key.
  auto candidate = [](const vault::Slot& s) {
    return (s.type == vault::SlotType::fido2 || s.type == vault::SlotType::piv) &&
           !s.wrapped_high.empty() && s.presence_capable();
  };
  std::vector<const vault::Slot*> order;
  for (const auto& s : slots) {
    if (prefer_slot != 0 && s.number == prefer_slot && candidate(s)) order.push_back(&s);
  }
  for (vault::SlotType t : {vault::SlotType::fido2, vault::SlotType::piv}) {
    for (const auto& s : slots) {
      if (s.type != t || !candidate(s)) continue;
      if (std::find(order.begin(), order.end(), &s) == order.end()) order.push_back(&s);
    }
  }
  if (order.empty()) {
    return fail(Errc::policy, "no FIDO2 or PIV slot of this vault can serve as the presence "
                              "gate; enrol one with `keyward slot add fido2` or `keyward slot "
                              "add piv`");
  }
  const bool verify = req.level == Level::verify;
  const detail::Proof proof{req, header, devices, state_dir, prompt_purpose(req), verify};
  std::vector<std::string> skipped;
  for (const vault::Slot* s : order) {
    KW_TRY(auto attempt, s->type == vault::SlotType::fido2 ? detail::fido2_presence(*s, proof)
                                                           : detail::piv_presence(*s, proof));
    if (!attempt.answer) {
      skipped.push_back(std::move(attempt.skipped));
      continue;
    }
    KW_TRY(auto high, check_high(*s, header.vault_id, attempt.answer->slot_secret, header));
    return Issuer::make(req, std::move(high), s->number, std::move(attempt.answer->device),
                        attempt.answer->counter);
  }
  std::string why;
  for (const auto& k : skipped) why += (why.empty() ? "" : "; ") + k;
  return fail(Errc::device, std::string("no device of this vault could ") +
                                (verify ? "verify you" : "confirm your presence") + ": " + why);
}

Result<Grant> recovery_grant(const Request& req, const vault::HeaderBody& header,
                             SecretBytes high, std::uint32_t slot) {
  if (req.vault_id != header.vault_id) return fail(Errc::invalid_argument, "request for another vault");
  if (!header.has_high || high.size() != vault::kKeySize) {
    return fail(Errc::policy, "this vault has no high key");
  }
  KW_TRY(auto keys, vault::derive_high_keys(high, header.vault_id));
  if (!ct_equal(keys.check, header.high_check)) {
    return fail(Errc::integrity, "the high key does not match the vault header's commitment");
  }
  return Issuer::make(req, std::move(high), slot,
                      "recovery code (slot " + std::to_string(slot) + ")", 0);
}

Result<vault::Record> open_high_row(const vault::RecordRow& row, const vault::VaultId& vid,
                                    const Grant& grant) {
  if (row.tier != vault::Tier::high) {
    return fail(Errc::invalid_argument, "open_high_row opens high records only");
  }
  if (grant.vault_id() != vid || grant.high().size() != vault::kKeySize) {
    return fail(Errc::policy, "this grant is for another vault");
  }
  KW_TRY(auto keys, vault::derive_high_keys(grant.high(), vid));
  KW_TRY(auto rec, vault::open_record(row, vid, keys.record, keys.record));
  if (!grant.covers(rec.meta.coordinate)) {
    return fail(Errc::policy, rec.meta.coordinate + " is not in the list of high secrets this "
                                                    "touch released");
  }
  rec.meta.fingerprint = {};
  return rec;
}

}  // namespace keyward::gate

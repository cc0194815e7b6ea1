// The presence gate (docs/presence-gate.md). One pass = one fresh device answer:
//  FIDO2: getAssertion with hmac-secret over clientDataHash = SHA-256(label || nonce || digest of
//         the request); rp id hash, UP (UV for verify), ECDSA signature by the enrolled key and a
//         signature counter that never goes backward are checked here; the same hmac-secret
//         output opens the slot secret, which unwraps H.
//  PIV:   one ECDH with a touch=always card key (PIN policy always for verify) opens the slot
//         secret, which unwraps H.
// H is accepted only if derive_high_keys(H).check equals the header's C_high.
#include "core/gate/gate.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/hash.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/vault/slot_fido2.h"
#include "core/vault/slot_piv.h"
#include "core/file_io.h"
#include "core/xdg.h"

namespace keyward::gate {
namespace {

using vault::Writer;

constexpr std::string_view kRequestLabel = "keyward/gate/v1/request";
constexpr std::string_view kClientDataLabel = "keyward/gate/v1/client-data";
constexpr std::string_view kCounterMagic = "keyward-gate-counters 1";

void put_str(Writer& w, std::string_view s) {
  w.u32(static_cast<std::uint32_t>(s.size()));
  w.raw(s);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

Status mkdirs(const std::string& dir) { return make_private_dirs(dir); }

// Last signature counter seen per credential (key: hex SHA-256 of the credential id), one file
// per vault id, updated under an exclusive lock, written atomically (0600).
class CounterStore {
 public:
  CounterStore(std::string dir, const vault::VaultId& vid)
      : dir_(std::move(dir)), file_(dir_ + "/" + encoding::hex_encode(vid) + ".counters") {}

  // Checks counter > last (unless both are 0) and records it. Holds the lock for the whole
  // read-check-write, so two concurrent gates cannot both accept the same counter.
  Status check_and_record(ByteView credential_id, std::uint32_t counter) {
    KW_TRY_STATUS(mkdirs(dir_));
    int lock = ::open((file_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0) return fail(Errc::io, "cannot lock " + file_ + ".lock: " + std::strerror(errno));
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{lock};
    if (::flock(lock, LOCK_EX) != 0) return fail(Errc::io, "cannot lock " + file_ + ".lock");
    std::map<std::string, std::uint32_t> seen;
    KW_TRY_STATUS(load(seen));
    auto id = hash::sha256(credential_id);
    std::string key = encoding::hex_encode(ByteView(id).subspan(0, 16));
    auto it = seen.find(key);
    std::uint32_t last = it == seen.end() ? 0 : it->second;
    if ((counter != 0 || last != 0) && counter <= last) {
      return fail(Errc::integrity,
                  "the FIDO2 key's signature counter went backward or repeated (" +
                      std::to_string(counter) + ", last seen " + std::to_string(last) +
                      "): a cloned authenticator or a replayed answer; refused. If you reset "
                      "the key on purpose, remove " + file_);
    }
    seen[key] = counter;
    return store(seen);
  }

 private:
  Status load(std::map<std::string, std::uint32_t>& out) {
    std::string text = read_file(file_);
    if (text.empty()) return ok();
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    auto damaged = [&] {
      return fail(Errc::integrity, "the presence-gate counter file " + file_ +
                                       " is damaged; remove it to start counting afresh");
    };
    if (line != kCounterMagic) return damaged();
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto sp = line.find(' ');
      if (sp != 32) return damaged();
      unsigned long long v = 0;
      try {
        std::size_t used = 0;
        v = std::stoull(line.substr(sp + 1), &used);
        if (used != line.size() - sp - 1 || v > 0xffffffffull) return damaged();
      } catch (...) {
        return damaged();
      }
      out[line.substr(0, sp)] = static_cast<std::uint32_t>(v);
    }
    return ok();
  }

  Status store(const std::map<std::string, std::uint32_t>& seen) {
    std::string text = std::string(kCounterMagic) + "\n";
    for (const auto& [k, v] : seen) text += k + " " + std::to_string(v) + "\n";
    return write_file_atomic(file_, as_bytes(text), 0600);
  }

  std::string dir_, file_;
};

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

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}

}  // namespace

bool Grant::covers(std::string_view coordinate) const {
  return std::find(coordinates.begin(), coordinates.end(), coordinate) != coordinates.end();
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
  std::string raw = read_file("/proc/self/cmdline");
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
  std::string comm = read_file("/proc/" + std::to_string(pp) + "/comm");
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
                   const std::vector<vault::Slot>& slots, const std::string& state_dir,
                   std::uint32_t prefer_slot) {
  if (req.vault_id != header.vault_id) {
    return fail(Errc::invalid_argument, "presence gate request for another vault");
  }
  if (!header.has_high) {
    return fail(Errc::policy, "this vault has no presence-capable slot, so nothing can pass the "
                              "presence gate: enrol one with `keyward slot add fido2` or "
                              "`keyward slot add piv`");
  }
  // Candidates: presence-capable FIDO2/PIV slots that hold the high key.
  std::vector<const vault::Slot*> order;
  auto add = [&](vault::SlotType t) {
    for (const auto& s : slots) {
      if (s.type != t || s.wrapped_high.empty() || !s.presence_capable()) continue;
      if (std::find(order.begin(), order.end(), &s) == order.end()) order.push_back(&s);
    }
  };
  for (const auto& s : slots) {
    if (s.number == prefer_slot && prefer_slot != 0 &&
        (s.type == vault::SlotType::fido2 || s.type == vault::SlotType::piv) &&
        !s.wrapped_high.empty() && s.presence_capable()) {
      order.push_back(&s);
    }
  }
  add(vault::SlotType::fido2);
  add(vault::SlotType::piv);
  if (order.empty()) {
    return fail(Errc::policy, "no FIDO2 or PIV slot of this vault can serve as the presence "
                              "gate; enrol one with `keyward slot add fido2` or `keyward slot "
                              "add piv`");
  }
  const bool verify = req.level == Level::verify;
  std::string purpose = prompt_purpose(req);
  std::uint32_t last_counter = 0;
  std::vector<std::string> skipped;
  for (const vault::Slot* s : order) {
    if (s->type == vault::SlotType::fido2) {
      KW_TRY(auto info, vault::fido2_cred_info(*s));
      vault::Fido2Agent* agent = vault::fido2_agent();
      if (agent == nullptr) {
        skipped.push_back("slot " + std::to_string(s->number) + ": this program cannot talk to "
                          "FIDO2 keys");
        continue;
      }
      KW_TRY(auto dir, state_directory(state_dir));
      // One assertion: a fresh nonce, bound with the request into the signed client-data hash;
      // signature, flags, then the counter (only a verified answer may move it).
      auto assert_once = [&](bool uv, std::string_view what) -> Result<vault::Fido2Assertion> {
        Bytes nonce = random_bytes(32);
        Bytes cdh = client_data_hash(nonce, req);
        vault::Fido2Ask ask{std::string(what), uv};
        KW_TRY(auto a, agent->gate_assertion(info, s->label, cdh, ask));
        KW_TRY(auto checked, vault::fido2_verify_assertion(info, a, cdh, uv));
        KW_TRY_STATUS(CounterStore(dir, header.vault_id).check_and_record(info.credential_id,
                                                                            checked.counter));
        last_counter = checked.counter;
        return a;
      };
      const bool uv_slot = info.uv == vault::Fido2Uv::required;
      // hmac-secret has one output with UV and another without (CTAP 2.1 CredRandomWithUV /
      // WithoutUV); the slot was sealed under the one its enrolment used. `verify` on a slot
      // enrolled without UV therefore takes two assertions: one with UV (the verification, bound
      // to this request), then one without (presence, and the output that unwraps H).
      if (verify && !uv_slot) {
        auto v = assert_once(true, purpose);
        if (!v) {
          if (v.error().code == Errc::device || v.error().code == Errc::not_found) {
            skipped.push_back("slot " + std::to_string(s->number) + " ('" + s->label +
                              "'): " + v.error().message);
            continue;
          }
          return tl::unexpected(v.error());
        }
      }
      const bool two_step = verify && !uv_slot;
      auto a = assert_once(uv_slot, two_step ? "complete (second touch, no PIN): " + purpose
                                             : purpose);
      if (!a) {
        if (!two_step &&
            (a.error().code == Errc::device || a.error().code == Errc::not_found)) {
          skipped.push_back("slot " + std::to_string(s->number) + " ('" + s->label +
                            "'): " + a.error().message);
          continue;
        }
        return tl::unexpected(a.error());
      }
      auto secret = vault::fido2_open_slot_secret(*s, header.vault_id, a->hmac_output);
      if (!secret) {
        return fail(Errc::auth_failed, "the FIDO2 key's hmac-secret output does not open slot '" +
                                           s->label + "': wrong credential or damaged slot");
      }
      KW_TRY(auto high, check_high(*s, header.vault_id, *secret, header));
      Grant g;
      g.high = std::move(high);
      g.slot = s->number;
      g.device = "FIDO2 slot '" + s->label + "' (rp " + info.rp_id + ")";
      g.vault_id = header.vault_id;
      g.purpose = req.purpose;
      g.coordinates = req.coordinates;
      g.level = req.level;
      g.counter = last_counter;
      return g;
    }
    // PIV
    KW_TRY(auto info, vault::piv_key_info(*s));
    vault::PivAsk ask{purpose, verify};
    auto secret = vault::piv_gate_slot_secret(*s, header.vault_id, ask);
    if (!secret) {
      Errc c = secret.error().code;
      if (c == Errc::device || c == Errc::not_found || c == Errc::policy || c == Errc::unsupported) {
        skipped.push_back("slot " + std::to_string(s->number) + " ('" + s->label +
                          "'): " + secret.error().message);
        continue;
      }
      return tl::unexpected(secret.error());
    }
    KW_TRY(auto high, check_high(*s, header.vault_id, *secret, header));
    Grant g;
    g.high = std::move(high);
    g.slot = s->number;
    g.device = "YubiKey " + std::to_string(info.serial) + " key " + hex2(info.key_ref);
    g.vault_id = header.vault_id;
    g.purpose = req.purpose;
    g.coordinates = req.coordinates;
    g.level = req.level;
    return g;
  }
  std::string why;
  for (const auto& k : skipped) why += (why.empty() ? "" : "; ") + k;
  return fail(Errc::device, std::string("no device of this vault could ") +
                                (verify ? "verify you" : "confirm your presence") + ": " + why);
}

Result<vault::Record> open_high_row(const vault::RecordRow& row, const vault::VaultId& vid,
                                    const Grant& grant) {
  if (row.tier != vault::Tier::high) {
    return fail(Errc::invalid_argument, "open_high_row opens high records only");
  }
  if (grant.vault_id != vid || grant.high.size() != vault::kKeySize) {
    return fail(Errc::policy, "this grant is for another vault");
  }
  KW_TRY(auto keys, vault::derive_high_keys(grant.high, vid));
  KW_TRY(auto rec, vault::open_record(row, vid, keys.record, keys.record));
  if (!grant.covers(rec.meta.coordinate)) {
    return fail(Errc::policy, rec.meta.coordinate + " is not in the list of high secrets this "
                                                    "touch released");
  }
  rec.meta.fingerprint = {};
  return rec;
}

}  // namespace keyward::gate

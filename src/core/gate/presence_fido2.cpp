// The presence gate's FIDO2 proof: getAssertion with hmac-secret over clientDataHash =
// SHA-256(label || fresh nonce || digest of the request); rp id hash, UP (UV for verify), the
// ECDSA signature by the enrolled credential key and a signature counter that never goes
// backward are checked here, then the same hmac-secret output opens the slot secret.
#include <map>
#include <sstream>

#include "core/file_io.h"
#include "core/gate/presence.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/locked_file.h"
#include "core/random.h"
#include "core/vault/slot_fido2.h"

namespace keyward::gate::detail {
namespace {

constexpr std::string_view kCounterMagic = "keyward-gate-counters 1";

// Last signature counter seen per credential (key: hex SHA-256 of the credential id), one file
// per vault id, updated under an exclusive lock, written atomically (0600).
class CounterStore {
 public:
  CounterStore(std::string dir, const vault::VaultId& vid)
      : dir_(std::move(dir)), file_(dir_ + "/" + encoding::hex_encode(vid) + ".counters") {}

  // Checks counter > last (unless both are 0) and records it. Holds the lock for the whole
  // read-check-write, so two concurrent gates cannot both accept the same counter.
  Status check_and_record(ByteView credential_id, std::uint32_t counter) {
    KW_TRY_STATUS(make_private_dirs(dir_));
    KW_TRY(auto lock, LockedFile::lock_file(file_ + ".lock"));
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
    std::string text = read_file_or_empty(file_);
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

bool absent(const Error& e) { return e.code == Errc::device || e.code == Errc::not_found; }

std::string slot_name(const vault::Slot& s) {
  return "slot " + std::to_string(s.number) + " ('" + s.label + "')";
}

}  // namespace

Result<Attempt> fido2_presence(const vault::Slot& s, const Proof& p) {
  KW_TRY(auto info, vault::fido2_cred_info(s));
  vault::Fido2Agent* agent = p.devices.fido2;
  if (agent == nullptr) {
    return Attempt{{}, "slot " + std::to_string(s.number) + ": this program cannot talk to FIDO2 keys"};
  }
  KW_TRY(auto dir, state_directory(p.state_dir));
  std::uint32_t last_counter = 0;
  // One assertion: a fresh nonce, bound with the request into the signed client-data hash;
  // signature, flags, then the counter (only a verified answer may move it).
  auto assert_once = [&](bool uv, std::string_view what) -> Result<vault::Fido2Assertion> {
    Bytes nonce = random_bytes(32);
    Bytes cdh = client_data_hash(nonce, p.request);
    vault::Fido2Ask ask{std::string(what), uv};
    KW_TRY(auto a, agent->gate_assertion(info, s.label, cdh, ask));
    KW_TRY(auto checked, vault::fido2_verify_assertion(info, a, cdh, uv));
    KW_TRY_STATUS(CounterStore(dir, p.header.vault_id).check_and_record(info.credential_id,
                                                                          checked.counter));
    last_counter = checked.counter;
    return a;
  };
  const bool uv_slot = info.uv == vault::Fido2Uv::required;
  // hmac-secret has one output with UV and another without (CTAP 2.1 CredRandomWithUV /
  // WithoutUV); the slot was sealed under the one its enrolment used. `verify` on a slot
  // enrolled without UV therefore takes two assertions: one with UV (the verification, bound
  // to this request), then one without (presence, and the output that unwraps H).
  const bool two_step = p.verify && !uv_slot;
  if (two_step) {
    auto v = assert_once(true, p.purpose);
    if (!v && absent(v.error())) return Attempt{{}, slot_name(s) + ": " + v.error().message};
    if (!v) return tl::unexpected(v.error());
  }
  auto a = assert_once(uv_slot, two_step ? "complete (second touch, no PIN): " + p.purpose
                                         : p.purpose);
  if (!a && !two_step && absent(a.error())) {
    return Attempt{{}, slot_name(s) + ": " + a.error().message};
  }
  if (!a) return tl::unexpected(a.error());
  auto secret = vault::fido2_open_slot_secret(s, p.header.vault_id, a->hmac_output);
  if (!secret) {
    return fail(Errc::auth_failed, "the FIDO2 key's hmac-secret output does not open slot '" +
                                       s.label + "': wrong credential or damaged slot");
  }
  return Attempt{Answer{std::move(*secret), "FIDO2 slot '" + s.label + "' (rp " + info.rp_id + ")",
                        last_counter},
                 {}};
}

}  // namespace keyward::gate::detail

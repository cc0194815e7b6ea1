// Re-keying: rotate-master, slot removal (with optional re-key) and the signed master-key
// transitions that let pinned machines follow a rotation (docs/format-vault.md section 8).
#include <algorithm>

#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/vault/slot_fido2.h"
#include "core/vault/vault.h"

namespace keyward::vault {
namespace {

constexpr std::string_view kTransitionMagic = "KWVT";
constexpr std::size_t kSignedSize = 4 + 1 + kVaultIdSize + 8 + 32 + 32;

Bytes signed_part(const Transition& t) {
  Writer w;
  w.raw(kTransitionMagic);
  w.u8(1);
  w.raw(t.vault_id);
  w.u64(t.revision);
  w.raw(t.old_key_id);
  w.raw(t.new_key_id);
  return w.take();
}

Bytes signature_input(ByteView signed_bytes) {
  Bytes m = to_bytes(label::kTransition);
  append(m, signed_bytes);
  return m;
}

}  // namespace

Result<Transition> parse_transition(ByteView body) {
  if (body.size() != kSignedSize + 64) return opaque();
  Reader r(body);
  ByteView magic, vid, oldk, newk, sig;
  std::uint8_t version = 0;
  Transition t;
  if (!r.raw(4, magic) || as_chars(magic) != kTransitionMagic || !r.u8(version) || version != 1 ||
      !r.raw(kVaultIdSize, vid) || !r.u64(t.revision) || !r.raw(32, oldk) || !r.raw(32, newk) ||
      !r.raw(64, sig) || !r.done()) {
    return opaque();
  }
  t.vault_id = to_array<kVaultIdSize>(vid);
  t.old_key_id = to_array<32>(oldk);
  t.new_key_id = to_array<32>(newk);
  t.signature = to_array<64>(sig);
  return t;
}

Result<Bytes> sign_transition(const Transition& t, const SecretBytes& old_seed) {
  Bytes body = signed_part(t);
  KW_TRY(auto sig, pubkey::ed25519_sign(old_seed, signature_input(body)));
  append(body, sig);
  return body;
}

bool verify_transition(const Transition& t, ByteView body) {
  if (body.size() != kSignedSize + 64) return false;
  return pubkey::ed25519_verify(t.old_key_id, signature_input(body.subspan(0, kSignedSize)),
                                t.signature);
}

Status Vault::verify_transitions(const Digest& from, const Digest& to) {
  KW_TRY(auto bodies, storage_.read_transitions());
  Digest current = from;
  // Each step must be signed by the key we currently trust; at most one step per transition.
  for (std::size_t steps = 0; steps <= bodies.size() && current != to; ++steps) {
    bool advanced = false;
    for (const auto& body : bodies) {
      auto t = parse_transition(body);
      if (!t || t->vault_id != header_.vault_id || t->old_key_id != current) continue;
      if (!verify_transition(*t, body)) continue;
      current = t->new_key_id;
      advanced = true;
      break;
    }
    if (!advanced) break;
  }
  if (current != to) return fail(Errc::integrity, "no signed transition chain");
  return ok();
}

Result<std::uint64_t> Vault::count_high_records() { return storage_.count_tier(Tier::high); }

// Inside a write transaction: new master (and high) key, re-seal every record, rewrap every slot,
// append the transition signed by the outgoing master.
Status Vault::rekey_locked() {
  for (const auto& s : slots_) {
    if (slot_handler(s.type) == nullptr) {
      return fail(Errc::unsupported, "slot " + std::to_string(s.number) + " has type '" +
                                         std::string(slot_type_name(s.type)) +
                                         "', which this build cannot rewrap; re-key refused");
    }
  }
  KW_TRY(auto high_count, count_high_records());
  if (high_count > 0 && !high_keys_) {
    return fail(Errc::policy, "the vault holds high secrets: re-keying needs the high key "
                              "(pass the presence gate, or unlock with the recovery code)");
  }
  // Read and open everything under the old keys first.
  std::vector<Record> records;
  auto visit = [&](RecordRow&& row) -> Status {
    KW_TRY(auto rec, open_row(row, high_keys_ ? &*high_keys_ : nullptr));
    records.push_back(std::move(rec));
    return ok();
  };
  KW_TRY_STATUS(storage_.for_each_record(visit));
  if (records.size() != header_.record_count) {
    return fail(Errc::integrity, "the vault's records do not match its header; re-key refused");
  }

  SecretBytes new_master = random_secret(kKeySize);
  KW_TRY(auto new_keys, derive_master_keys(new_master, header_.vault_id));
  bool keep_high = std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
    return slot_handler(s.type)->holds_high(s);
  });
  if (high_count > 0 && !keep_high) {
    return fail(Errc::policy,
                "no slot left could hold the new high key, so the vault's high secrets would be "
                "lost: enrol a device-enforced slot first (`keyward slot add fido2`, UV required, "
                "or `keyward slot add piv` with touch policy always) or a recovery slot");
  }
  std::optional<SecretBytes> new_high;
  std::optional<HighKeys> new_high_keys;
  if (keep_high) {
    new_high = random_secret(kKeySize);
    KW_TRY(auto hk, derive_high_keys(*new_high, header_.vault_id));
    new_high_keys = std::move(hk);
  }

  KW_TRY_STATUS(storage_.delete_all_records());
  Digest manifest{};
  for (const auto& rec : records) {
    KW_TRY(auto id, record_id(new_keys, rec.meta.coordinate));
    const SecretBytes& key =
        rec.meta.tier == Tier::high ? new_high_keys->record : new_keys.record;
    KW_TRY(auto row, seal_record(id, header_.vault_id, new_keys.record, new_keys.fingerprint, key, rec.meta,
                                          rec.value));
    xor_into(manifest, manifest_entry(new_keys.manifest, row));
    KW_TRY_STATUS(storage_.put_record(row));
  }

  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    const SlotHandler* h = slot_handler(s.type);
    KW_TRY(s.wrapped_master, h->wrap(s, header_.vault_id, Which::master, new_master));
    // A FIDO2 slot that held H without device-enforced UV becomes unlock-only (no H, no flag).
    if (fido2_legacy_high(s)) s.flags &= static_cast<std::uint8_t>(~kSlotFlagPresence);
    s.wrapped_high.clear();
    if (h->holds_high(s)) {
      KW_TRY(s.wrapped_high, h->wrap(s, header_.vault_id, Which::high, *new_high));
    }
    slot_rows_[i].body = encode_slot(s);
    KW_TRY_STATUS(storage_.put_slot(s.number, slot_rows_[i].body));
  }

  Transition t;
  t.vault_id = header_.vault_id;
  t.revision = header_.revision + 1;
  t.old_key_id = keys_->key_id;
  t.new_key_id = new_keys.key_id;
  KW_TRY(auto body, sign_transition(t, keys_->sign_seed));
  KW_TRY_STATUS(storage_.add_transition(body));

  header_.manifest = manifest;
  header_.record_count = records.size();
  header_.key_id = new_keys.key_id;
  header_.has_high = keep_high;
  header_.high_check = keep_high ? new_high_keys->check : Digest{};
  master_ = std::move(new_master);
  // The outgoing master's K_audit joins the audit keyring (sealed under the new master by
  // write_header), so its entries and heads stay verifiable (docs/format-audit.md section 2).
  remember_audit_key(*keys_);
  keys_ = std::move(new_keys);
  high_ = std::move(new_high);
  high_keys_ = std::move(new_high_keys);
  return ok();
}

namespace {
// Drops a high key taken from a grant when the operation ends (unless the vault held H before).
struct KeepHigh {
  std::optional<SecretBytes>& high;
  std::optional<HighKeys>& keys;
  bool had;
  ~KeepHigh() {
    if (!had) {
      high.reset();
      keys.reset();
    }
  }
};
}  // namespace

Status Vault::rotate_master(const gate::Grant* grant) {
  KeepHigh scope{high_, high_keys_, high_.has_value()};
  return mutate([&]() -> Status {
    KW_TRY_STATUS(require_verify(grant));
    KW_TRY_STATUS(take_high(grant));
    return rekey_locked();
  });
}

Status Vault::remove_slot(std::uint32_t number, bool rekey, const gate::Grant* grant) {
  KeepHigh scope{high_, high_keys_, high_.has_value()};
  return mutate([&]() -> Status {
    KW_TRY_STATUS(require_verify(grant));
    KW_TRY_STATUS(take_high(grant));
    auto it = std::find_if(slots_.begin(), slots_.end(),
                           [&](const Slot& s) { return s.number == number; });
    if (it == slots_.end()) {
      return fail(Errc::not_found, "no slot " + std::to_string(number) +
                                       " in this vault; `keyward slot list` shows its slots");
    }
    std::size_t openers = 0, high_holders = 0;
    for (const auto& s : slots_) {
      if (s.number == number) continue;
      const SlotHandler* h = slot_handler(s.type);
      if (h == nullptr) continue;
      ++openers;
      if (h->holds_high(s)) ++high_holders;
    }
    if (openers == 0) {
      return fail(Errc::policy, "refusing to remove slot " + std::to_string(number) +
                                    ": it is the last slot that can open the vault; add "
                                    "another slot first");
    }
    const SlotHandler* removed = slot_handler(it->type);
    if (removed != nullptr && removed->holds_high(*it) && high_holders == 0) {
      KW_TRY(auto high_count, count_high_records());
      if (high_count > 0) {
        return fail(Errc::policy, "refusing to remove slot " + std::to_string(number) +
                                      ": it is the last slot holding the high key and the "
                                      "vault has high secrets");
      }
      header_.has_high = false;
      header_.high_check = Digest{};
      high_.reset();
      high_keys_.reset();
    }
    std::size_t index = static_cast<std::size_t>(it - slots_.begin());
    slots_.erase(it);
    slot_rows_.erase(slot_rows_.begin() + static_cast<std::ptrdiff_t>(index));
    KW_TRY_STATUS(storage_.delete_slot(number));
    if (rekey) KW_TRY_STATUS(rekey_locked());
    return ok();
  });
}

}  // namespace keyward::vault

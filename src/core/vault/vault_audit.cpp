// The vault's side of the audit log: K_audit comes from the master key the Vault holds
// (docs/format-audit.md section 2), so only a holder of an unlocked vault can append or verify.
// The K_audit of every earlier master is kept in the header extension, sealed under the current
// master (the audit keyring), and the header anchors where this machine's log ended at every
// header write (section 9).
#include <algorithm>
#include <ctime>

#include "core/aead.h"
#include "core/random.h"
#include "core/vault/codec.h"
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

Bytes keyring_aad(const VaultId& vid, const Digest& key_id) {
  Bytes aad = to_bytes(label::kAuditKeyring);
  append(aad, vid);
  append(aad, key_id);
  return aad;
}

constexpr std::size_t kKeyringItem = 32 + kKeySize;

}  // namespace

Result<std::string> Vault::audit_log_file() const {
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  return audit::Log(dir, header_.vault_id).log_file();
}

Status Vault::open_audit_keyring(const HeaderBody& header) {
  std::vector<EarlierAudit> out;
  if (!header.audit_keyring.empty()) {
    const Bytes& sealed = header.audit_keyring;
    if (sealed.size() < aead::kXNonceSize + aead::kTagSize) return opaque();
    ByteView nonce = ByteView(sealed).subspan(0, aead::kXNonceSize);
    ByteView ct = ByteView(sealed).subspan(aead::kXNonceSize);
    auto pt = aead::xchacha_open(keys_->audit_keyring, nonce, ct,
                                 keyring_aad(header.vault_id, header.key_id));
    if (!pt || pt->size() == 0 || pt->size() % kKeyringItem != 0) return opaque();
    ByteView all = pt->view();
    for (std::size_t off = 0; off < all.size(); off += kKeyringItem) {
      EarlierAudit e;
      e.key_id = to_array<32>(all.subspan(off, 32));
      e.tag = audit::key_prefix(e.key_id);
      e.key = SecretBytes::copy_of(all.subspan(off + 32, kKeySize));
      out.push_back(std::move(e));
    }
  }
  audit_earlier_ = std::move(out);
  return ok();
}

Status Vault::seal_audit_keyring() {
  header_.audit_keyring.clear();
  // The key the header is written under: the pending one inside a re-key's transaction, whose
  // outgoing key (still held until the commit) is sealed into the keyring with the earlier ones.
  const MasterKeys& under = write_keys();
  std::vector<std::pair<const Digest*, const SecretBytes*>> keep;
  bool outgoing_known = false;
  for (const auto& e : audit_earlier_) {
    if (e.key_id == header_.key_id) continue;  // never the current key itself
    if (e.key_id == keys_->key_id) outgoing_known = true;
    keep.emplace_back(&e.key_id, &e.key);
  }
  if (pending_rekey_ && !outgoing_known && keys_->key_id != header_.key_id) {
    keep.emplace_back(&keys_->key_id, &keys_->audit);
  }
  if (keep.empty()) return ok();
  SecretBytes pt(keep.size() * kKeyringItem);
  std::size_t off = 0;
  for (const auto& [id, key] : keep) {
    std::copy(id->begin(), id->end(), pt.data() + off);
    std::copy(key->data(), key->data() + kKeySize, pt.data() + off + 32);
    off += kKeyringItem;
  }
  Bytes nonce = random_bytes(aead::kXNonceSize);
  KW_TRY(auto ct, aead::xchacha_seal(under.audit_keyring, nonce, pt.view(),
                                     keyring_aad(header_.vault_id, header_.key_id)));
  header_.audit_keyring = std::move(nonce);
  append(header_.audit_keyring, ct);
  return ok();
}

void Vault::remember_audit_key(const MasterKeys& outgoing) {
  EarlierAudit e;
  e.key_id = outgoing.key_id;
  e.tag = audit::key_prefix(outgoing.key_id);
  e.key = outgoing.audit.clone();
  audit_earlier_.push_back(std::move(e));
  rekeyed_since_anchor_ = true;
}

void Vault::update_audit_anchor() {
  auto dir = audit::audit_directory(audit_dir_of(opts_));
  if (!dir) return;  // no state directory: nothing to anchor (the append fails on its own)
  audit::MachineTag tag = audit::machine_tag(*dir);
  AuditAnchor mine;
  mine.machine = tag;
  auto& list = header_.audit_anchors;
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const AuditAnchor& a) { return a.machine == tag; });
  if (it != list.end()) mine = *it;
  if (reset_anchor_) {
    mine.seq = 0;
    mine.hash = Digest{};
  } else if (auto t = audit::Log(*dir, header_.vault_id).tail(); t && t->seq > mine.seq) {
    // Never lowered: a log found shorter than the anchor is refused by the next append and
    // reported by verify, and the anchor keeps the evidence.
    mine.seq = t->seq;
    mine.hash = t->hash;
  }
  if (it != list.end()) list.erase(it);
  list.insert(list.begin(), mine);
  if (list.size() > kMaxAuditAnchors) list.resize(kMaxAuditAnchors);
}

std::optional<audit::Anchor> Vault::audit_anchor() const {
  auto dir = audit::audit_directory(audit_dir_of(opts_));
  if (!dir) return std::nullopt;
  audit::MachineTag tag = audit::machine_tag(*dir);
  for (const auto& a : header_.audit_anchors) {
    if (a.machine == tag) return audit::Anchor{a.seq, a.hash};
  }
  return std::nullopt;
}

audit::KeyRing Vault::audit_keys() const {
  audit::KeyRing ring;
  ring.current = audit::MacKey{&keys_->audit, audit::key_prefix(keys_->key_id)};
  for (const auto& e : audit_earlier_) {
    if (e.key_id == keys_->key_id) continue;
    ring.earlier.push_back(audit::MacKey{&e.key, e.tag});
  }
  return ring;
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
  const std::time_t t = std::time(nullptr);  // a clock before 1970 counts as 0
  auto entry = log.append(std::move(event), t > 0 ? static_cast<std::uint64_t>(t) : 0,
                          audit_keys(), audit_anchor(), durable);
  if (entry) {
    if (!durable) unsettled_audit_ = *entry;
    else unsettled_audit_.reset();  // a durable append synced the file
    if (rekeyed_since_anchor_) {
      // This object re-keyed the vault: anchor the first entry under the new key in the header
      // at once, so the log cannot be cut back to before the re-key with an old head
      // (docs/format-audit.md section 9).
      rekeyed_since_anchor_ = false;
      if (auto a = mutate([] { return ok(); }); !a) {
        // The re-key and its entry are in place; only the anchor is missing, and the next
        // header write adds it (update_audit_anchor).
        return fail(Errc::followup_failed,
                    "the vault was re-keyed and the audit entry written, but the vault header "
                    "could not anchor the entry yet: " + a.error().message +
                    ". The next keyward command that writes the vault anchors it");
      }
    }
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
  unsettled_audit_.reset();
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  return audit::Log(dir, header_.vault_id).settle();
}

Result<audit::Report> Vault::verify_audit() {
  if (!keys_) return fail(Errc::internal, "audit verify on a locked vault");
  // The anchor and keyring of the vault as it is now, not as it was at unlock.
  KW_TRY_STATUS(storage_.begin_read());
  auto fresh = reload();
  storage_.rollback();
  KW_TRY_STATUS(fresh);
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  audit::Log log(dir, header_.vault_id);
  return log.verify(audit_keys(), audit_anchor());
}

Result<std::string> Vault::start_new_audit_log() {
  if (!keys_) return fail(Errc::internal, "audit restart on a locked vault");
  KW_TRY(auto dir, audit::audit_directory(audit_dir_of(opts_)));
  audit::Log log(dir, header_.vault_id);
  // The anchor first: once it is 0 the old log is still accepted as it is (the next write
  // anchors it again), and so is every state set_aside passes through. The other way round, a
  // kill between the two left a moved log that the anchor called deleted.
  reset_anchor_ = true;
  auto done = mutate([] { return ok(); });
  reset_anchor_ = false;
  KW_TRY_STATUS(done);
  const std::time_t now = std::time(nullptr);
  return log.set_aside(now > 0 ? static_cast<std::uint64_t>(now) : 0, audit_keys());
}

}  // namespace keyward::vault

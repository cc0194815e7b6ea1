#include "core/vault/vault.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/hex.h"
#include "core/random.h"

namespace keyward::vault {
namespace {

std::uint64_t now() { return static_cast<std::uint64_t>(std::time(nullptr)); }

Status make_parent_dirs(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return ok();
  std::string dir = path.substr(0, slash);
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    std::string cur = dir.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(Errc::io, "cannot create " + cur + ": " + std::strerror(errno));
    }
  }
  return ok();
}

std::string no_slot_message(SlotType t) {
  switch (t) {
    case SlotType::passphrase:
      return "wrong passphrase: no passphrase slot of this vault accepts it (or the slot is "
             "damaged)";
    case SlotType::recipient:
      return "wrong identity: no recipient slot of this vault matches it (or the slot is damaged)";
    case SlotType::recovery:
      return "wrong recovery code: no recovery slot of this vault accepts it (or the slot is "
             "damaged)";
    default: return "no slot of this vault accepts the credential";
  }
}

}  // namespace

Result<std::string> default_vault_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return std::string(xdg) + "/keyward/vault.db";
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] != '/') {
    return fail(Errc::not_found, "no vault location: set --vault, KEYWARD_VAULT, XDG_DATA_HOME "
                                 "or HOME");
  }
  return std::string(home) + "/.local/share/keyward/vault.db";
}

std::string absolute_vault_path(const std::string& path) {
  std::string abs = path;
  if (abs.empty() || abs[0] != '/') {
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) != nullptr) abs = std::string(buf) + "/" + path;
  }
  // Resolve the directory part (the file may not exist yet).
  auto slash = abs.rfind('/');
  std::string dir = slash == 0 ? "/" : abs.substr(0, slash);
  char real[PATH_MAX];
  if (::realpath(dir.c_str(), real) != nullptr) {
    std::string r(real);
    abs = (r == "/" ? "" : r) + abs.substr(slash);
  }
  return abs;
}

bool Vault::has_presence_slot() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
    const SlotHandler* h = slot_handler(s.type);
    return h != nullptr && h->presence_capable(s);
  });
}

Result<Vault> Vault::create_with_passphrase(const std::string& path, std::string label,
                                            const SecretBytes& passphrase,
                                            const PassphraseParams& params,
                                            const VaultOptions& opts) {
  KW_TRY_STATUS(check_passphrase_params(params));
  return create(
      path,
      [&](const VaultId& vid) -> Result<std::vector<Slot>> {
        KW_TRY(auto slot, new_passphrase_slot(label, passphrase, params, vid));
        std::vector<Slot> out;
        out.push_back(std::move(slot));
        return out;
      },
      opts);
}

Result<Vault> Vault::create(const std::string& path_in, const SlotMaker& make_slots,
                            const VaultOptions& opts) {
  std::string path = absolute_vault_path(path_in);
  KW_TRY_STATUS(make_parent_dirs(path));
  KW_TRY(auto storage, Storage::create(path));
  Vault v(std::move(storage), path, opts);
  auto created = [&]() -> Status {
    v.master_ = random_secret(kKeySize);
    v.header_.vault_id = to_array<kVaultIdSize>(random_bytes(kVaultIdSize));
    KW_TRY(auto slots, make_slots(v.header_.vault_id));
    if (slots.empty()) return fail(Errc::invalid_argument, "a vault needs at least one slot");
    v.header_.revision = 1;
    v.header_.created = now();
    v.header_.next_slot = 1;
    KW_TRY(auto keys, derive_master_keys(v.master_, v.header_.vault_id));
    v.keys_ = std::move(keys);
    v.header_.key_id = v.keys_->key_id;
    KW_TRY_STATUS(v.storage_.begin_write());
    KW_TRY_STATUS(v.storage_.create_schema());
    for (auto& s : slots) KW_TRY_STATUS(v.add_slot_locked(std::move(s)));
    KW_TRY_STATUS(v.write_header());
    KW_TRY_STATUS(v.storage_.commit());
    v.unlocked_slot_ = 1;
    return v.raise_pin();
  }();
  if (!created) {
    v.storage_.rollback();
    v.storage_.close();
    ::unlink(path.c_str());
    ::unlink((path + "-wal").c_str());
    ::unlink((path + "-shm").c_str());
    return tl::unexpected(created.error());
  }
  return v;
}

Result<Vault> Vault::open(const std::string& path_in, const Credential& cred,
                          const VaultOptions& opts) {
  std::string path = absolute_vault_path(path_in);
  KW_TRY(auto storage, Storage::open(path));
  Vault v(std::move(storage), path, opts);
  KW_TRY_STATUS(v.storage_.begin_read());
  KW_TRY(auto stored, v.storage_.read_header());
  KW_TRY(v.header_, parse_header(stored.body));
  KW_TRY(v.slot_rows_, v.storage_.read_slots());
  v.slots_.clear();
  for (const auto& row : v.slot_rows_) {
    KW_TRY(auto s, parse_slot(row.body));
    s.number = row.number;
    v.slots_.push_back(std::move(s));
  }
  bool any_of_type = false;
  for (const auto& s : v.slots_) {
    if (s.type != cred.type) continue;
    const SlotHandler* h = slot_handler(s.type);
    if (h == nullptr) continue;
    any_of_type = true;
    auto secret = h->unlock(s, v.header_.vault_id, cred);
    if (!secret) {
      if (secret.error().code == Errc::auth_failed) continue;
      return tl::unexpected(secret.error());
    }
    auto master = h->unwrap(s, v.header_.vault_id, Which::master, s.wrapped_master, *secret);
    if (!master) continue;
    v.master_ = std::move(*master);
    // Only the recovery code (break-glass) yields H at unlock. A presence slot's unlock touch
    // opens the master key only: high records need the presence gate, per command.
    if (!s.wrapped_high.empty() && s.type == SlotType::recovery) {
      auto high = h->unwrap(s, v.header_.vault_id, Which::high, s.wrapped_high, *secret);
      if (!high) return opaque();
      v.high_ = std::move(*high);
    }
    v.unlocked_slot_ = s.number;
    break;
  }
  if (v.master_.empty()) {
    if (!any_of_type) {
      return fail(Errc::auth_failed, "this vault has no " +
                                         std::string(slot_type_name(cred.type)) +
                                         " slot; `keyward slot list` shows its slots");
    }
    return fail(Errc::auth_failed, no_slot_message(cred.type));
  }
  KW_TRY(auto keys, derive_master_keys(v.master_, v.header_.vault_id));
  v.keys_ = std::move(keys);
  if (v.high_) {
    KW_TRY(auto hk, derive_high_keys(*v.high_, v.header_.vault_id));
    v.high_keys_ = std::move(hk);
  }
  // Unlocking took a while: verify against a fresh snapshot taken after reading the pin.
  v.storage_.rollback();
  KW_TRY_STATUS(v.storage_.begin_read());
  KW_TRY_STATUS(v.reload());
  v.storage_.rollback();  // end the read transaction
  KW_TRY_STATUS(v.raise_pin());
  return v;
}

Result<Vault> Vault::open_with_master(const std::string& path_in, SecretBytes master,
                                      const VaultOptions& opts) {
  if (master.size() != kKeySize) return fail(Errc::invalid_argument, "a master key is 32 bytes");
  std::string path = absolute_vault_path(path_in);
  KW_TRY(auto storage, Storage::open(path));
  Vault v(std::move(storage), path, opts);
  KW_TRY_STATUS(v.storage_.begin_read());
  auto opened = [&]() -> Status {
    KW_TRY(auto stored, v.storage_.read_header());
    KW_TRY(v.header_, parse_header(stored.body));
    KW_TRY(auto keys, derive_master_keys(master, v.header_.vault_id));
    if (!ct_equal(keys.key_id, v.header_.key_id)) {
      return fail(Errc::auth_failed, "the master key does not belong to the vault at " + path);
    }
    v.keys_ = std::move(keys);
    v.master_ = std::move(master);
    return v.reload();
  }();
  v.storage_.rollback();
  if (!opened) return tl::unexpected(opened.error());
  return v;
}

Status Vault::reload() {
  KW_TRY(auto pin, load_pin());
  KW_TRY(auto stored, storage_.read_header());
  KW_TRY(auto header, parse_header(stored.body));
  KW_TRY(auto rows, storage_.read_slots());
  if (header.key_id != keys_->key_id) {
    // Either the vault was re-keyed since we unlocked it, or someone swapped the header.
    auto followed = verify_transitions(keys_->key_id, header.key_id);
    if (followed) {
      return fail(Errc::unavailable,
                  "the vault was re-keyed by another process meanwhile; run the command again");
    }
    return opaque();
  }
  Digest mac = header_mac(*keys_, stored.body, rows);
  if (!ct_equal(mac, stored.mac) || header.slot_count != rows.size()) return opaque();
  std::vector<Slot> slots;
  for (const auto& row : rows) {
    KW_TRY(auto s, parse_slot(row.body));
    s.number = row.number;
    if (s.number >= header.next_slot) return opaque();
    slots.push_back(std::move(s));
  }
  if (header.has_high != header_.has_high || (header.has_high && header.high_check != header_.high_check)) {
    // The high key changed (or appeared) since unlock: the one we hold, if any, is stale.
    if (high_keys_ && (!header.has_high || !ct_equal(high_keys_->check, header.high_check))) {
      high_.reset();
      high_keys_.reset();
    }
  }
  if (high_keys_ && !ct_equal(high_keys_->check, header.high_check)) return opaque();
  KW_TRY_STATUS(open_audit_keyring(header));
  header_ = header;
  slots_ = std::move(slots);
  slot_rows_ = std::move(rows);
  return check_pin(pin);
}

Result<std::optional<Pin>> Vault::load_pin() {
  KW_TRY(auto dir, pin_directory(opts_.state_dir));
  return PinStore(dir, path_).load();
}

Status Vault::check_pin(const std::optional<Pin>& pin) {
  if (!pin) return ok();
  const std::string forget = "; if this is expected, reset this machine's pin with `keyward "
                             "vault forget`";
  if (pin->vault_id != header_.vault_id) {
    return fail(Errc::integrity, "the vault at " + path_ + " is a different vault (id " +
                                     encoding::hex_encode(header_.vault_id) + ", this machine "
                                     "pinned " + encoding::hex_encode(pin->vault_id) + ")" +
                                     forget);
  }
  if (header_.revision < pin->revision) {
    return fail(Errc::integrity, "rollback detected: the vault at " + path_ + " is at revision " +
                                     std::to_string(header_.revision) +
                                     " but this machine has already seen revision " +
                                     std::to_string(pin->revision) + forget);
  }
  if (pin->key_id != header_.key_id) {
    auto chain = verify_transitions(pin->key_id, header_.key_id);
    if (!chain) {
      return fail(Errc::integrity, "the master key of the vault at " + path_ +
                                       " changed without a transition signed by the key this "
                                       "machine pinned" + forget);
    }
  }
  return ok();
}

Status Vault::raise_pin() {
  KW_TRY(auto dir, pin_directory(opts_.state_dir));
  PinStore store(dir, path_);
  return store.raise(Pin{header_.vault_id, header_.revision, header_.key_id});
}

Status Vault::write_header() {
  header_.slot_count = static_cast<std::uint32_t>(slot_rows_.size());
  // The extension: where this machine's audit log ends now, and the earlier masters' K_audit
  // sealed under the key this header is written with (docs/format-audit.md section 9).
  update_audit_anchor();
  KW_TRY_STATUS(seal_audit_keyring());
  Bytes body = encode_header(header_);
  Digest mac = header_mac(*keys_, body, slot_rows_);
  return storage_.write_header(body, mac);
}

Status Vault::mutate(const std::function<Status()>& fn) {
  KW_TRY_STATUS(storage_.begin_write());
  auto done = [&]() -> Status {
    KW_TRY_STATUS(reload());
    KW_TRY_STATUS(fn());
    ++header_.revision;
    KW_TRY_STATUS(write_header());
    return storage_.commit();
  }();
  if (!done) {
    storage_.rollback();
    return done;
  }
  return raise_pin();
}

Result<Record> Vault::open_row(const RecordRow& row, const HighKeys* high) {
  if (row.tier == Tier::high) {
    if (high == nullptr) {
      return fail(Errc::policy, "this is a high secret: it is released only through the "
                                "presence gate (a touch on a FIDO2/PIV slot) for this command");
    }
    return open_record(row, header_.vault_id, high->record, keys_->fingerprint);
  }
  return open_record(row, header_.vault_id, keys_->record, keys_->fingerprint);
}

Result<std::optional<HighKeys>> Vault::grant_keys(const gate::Grant* grant) const {
  if (grant == nullptr) return std::optional<HighKeys>{};
  if (grant->vault_id != header_.vault_id) {
    return fail(Errc::policy, "the presence grant is for another vault");
  }
  if (!header_.has_high || grant->high.size() != kKeySize) {
    return fail(Errc::policy, "the presence grant does not match this vault's high key");
  }
  KW_TRY(auto hk, derive_high_keys(grant->high, header_.vault_id));
  if (!ct_equal(hk.check, header_.high_check)) {
    return fail(Errc::policy, "the presence grant does not match this vault's high key (was the "
                              "vault re-keyed meanwhile? run the command again)");
  }
  return std::optional<HighKeys>(std::move(hk));
}

Status Vault::take_high(const gate::Grant* grant) {
  if (grant == nullptr) return ok();
  KW_TRY(auto hk, grant_keys(grant));
  high_ = grant->high.clone();
  high_keys_ = std::move(*hk);
  return ok();
}

bool Vault::unlocked_with_recovery() const {
  return std::any_of(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.number == unlocked_slot_ && s.type == SlotType::recovery;
  });
}

Result<gate::Grant> Vault::recovery_grant(const gate::Request& req) const {
  if (!unlocked_with_recovery() || !high_ || !high_keys_) {
    return fail(Errc::policy, "only a recovery-code unlock releases high secrets without the "
                              "presence gate");
  }
  if (req.vault_id != header_.vault_id) return fail(Errc::invalid_argument, "request for another vault");
  gate::Grant g;
  g.high = high_->clone();
  g.slot = unlocked_slot_;
  g.device = "recovery code (slot " + std::to_string(unlocked_slot_) + ")";
  g.vault_id = header_.vault_id;
  g.purpose = req.purpose;
  g.coordinates = req.coordinates;
  g.level = req.level;
  return g;
}

Status Vault::require_verify(const gate::Grant* grant) const {
  if (!has_presence_slot()) return ok();  // no presence slot: no gate possible (docs)
  if (unlocked_with_recovery() && high_keys_) return ok();
  if (grant != nullptr && grant->level == gate::Level::verify) {
    KW_TRY_STATUS(grant_keys(grant));
    return ok();
  }
  return fail(Errc::policy, "this vault has presence-capable slots: removing a slot or rotating "
                            "the master key needs user verification through the presence gate "
                            "(FIDO2 PIN + touch, or a PIV key with PIN policy always + touch), "
                            "or the recovery code");
}

Result<Record> Vault::get(std::string_view coordinate, const gate::Grant* grant) {
  KW_TRY(auto r, get_split(coordinate, grant));
  if (!r.sealed_high.empty()) {
    return fail(Errc::policy, r.sealed_high.front().meta.coordinate +
                                  " is a high secret: it is released only through the presence "
                                  "gate (a touch on a FIDO2/PIV slot) for this coordinate");
  }
  return std::move(r.records.front());
}

Result<SplitRead> Vault::get_split(std::string_view coordinate, const gate::Grant* grant) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(storage_.begin_read());
  auto result = [&]() -> Result<SplitRead> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto row, find_row(coord));
    SplitRead out;
    std::optional<HighKeys> hk;
    if (row->tier == Tier::high) {
      if (grant == nullptr || !grant->covers(coord.str())) {
        // Kept sealed: released only through the presence gate (the agent returns it as is).
        KW_TRY(auto meta, open_index(*row, header_.vault_id, keys_->record));
        if (meta.coordinate != coord.str() || meta.tier != Tier::high) return opaque();
        out.sealed_high.push_back(SealedHigh{std::move(meta), std::move(*row)});
        return out;
      }
      KW_TRY(hk, grant_keys(grant));
    }
    KW_TRY(auto rec, open_row(*row, hk ? &*hk : nullptr));
    if (rec.meta.coordinate != coord.str()) return opaque();
    out.records.push_back(std::move(rec));
    return out;
  }();
  storage_.rollback();
  return result;
}

Result<Tier> Vault::tier_of(std::string_view coordinate) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(storage_.begin_read());
  auto result = [&]() -> Result<Tier> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto row, find_row(coord));
    KW_TRY(auto meta, open_index(*row, header_.vault_id, keys_->record));
    if (meta.coordinate != coord.str()) return opaque();
    return meta.tier;
  }();
  storage_.rollback();
  return result;
}

Status Vault::walk_index(const std::function<Status(RecordMeta&&, RecordRow&&)>& take) {
  Digest manifest{};
  std::uint64_t count = 0;
  auto visit = [&](RecordRow&& row) -> Status {
    KW_TRY(auto meta, open_index(row, header_.vault_id, keys_->record));
    KW_TRY(auto id, record_id(*keys_, meta.coordinate));
    if (id != row.id) return opaque();
    xor_into(manifest, manifest_entry(keys_->manifest, row));
    ++count;
    return take(std::move(meta), std::move(row));
  };
  KW_TRY_STATUS(storage_.for_each_record(visit));
  if (manifest != header_.manifest || count != header_.record_count) {
    return fail(Errc::integrity,
                "the records of the vault at " + path_ +
                    " do not match its header's manifest: a record was removed, added or "
                    "rolled back outside keyward");
  }
  return ok();
}

Status Vault::walk_env(std::string_view env, std::string_view component,
                       const std::function<Status(RecordMeta&&, RecordRow&&)>& take) {
  return walk_index([&](RecordMeta&& meta, RecordRow&& row) -> Status {
    KW_TRY(auto c, parse_coordinate(meta.coordinate));
    if (c.env != env || (!component.empty() && c.component != component)) return ok();
    return take(std::move(meta), std::move(row));
  });
}

Result<std::optional<RecordRow>> Vault::find_row(const Coordinate& coord) {
  KW_TRY(auto id, record_id(*keys_, coord.str()));
  KW_TRY(auto row, storage_.read_record(id));
  if (!row) {
    // A miss is only believed once the whole record set matches the manifest (so a deleted or
    // corrupted row is reported as such). Hits stay O(1).
    KW_TRY_STATUS(scan_index());
    return fail(Errc::not_found, "no secret at " + coord.str());
  }
  return row;
}

Result<std::vector<RecordMeta>> Vault::scan_index() {
  std::vector<RecordMeta> out;
  KW_TRY_STATUS(walk_index([&](RecordMeta&& meta, RecordRow&&) -> Status {
    out.push_back(std::move(meta));
    return ok();
  }));
  return out;
}

Result<std::vector<RecordMeta>> Vault::list() {
  KW_TRY_STATUS(storage_.begin_read());
  auto result = [&]() -> Result<std::vector<RecordMeta>> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto out, scan_index());
    std::sort(out.begin(), out.end(),
              [](const RecordMeta& a, const RecordMeta& b) { return a.coordinate < b.coordinate; });
    return out;
  }();
  storage_.rollback();
  return result;
}

Result<std::vector<Record>> Vault::read_env(std::string_view env, std::string_view component,
                                            const gate::Grant* grant) {
  KW_TRY(auto r, read_env_split(env, component, grant));
  if (!r.sealed_high.empty()) {
    return fail(Errc::policy, r.sealed_high.front().meta.coordinate +
                                  " is a high secret that was not released through the presence "
                                  "gate for this command");
  }
  return std::move(r.records);
}

Result<SplitRead> Vault::read_env_split(std::string_view env, std::string_view component,
                                        const gate::Grant* grant) {
  KW_TRY_STATUS(storage_.begin_read());
  auto result = [&]() -> Result<SplitRead> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto hk, grant_keys(grant));
    SplitRead out;
    KW_TRY_STATUS(walk_env(env, component, [&](RecordMeta&& meta, RecordRow&& row) -> Status {
      if (row.tier == Tier::high && (!hk || !grant->covers(meta.coordinate))) {
        if (meta.tier != Tier::high) return opaque();
        out.sealed_high.push_back(SealedHigh{std::move(meta), std::move(row)});
        return ok();
      }
      KW_TRY(auto rec, open_row(row, hk ? &*hk : nullptr));
      if (rec.meta.coordinate != meta.coordinate) return opaque();
      out.records.push_back(std::move(rec));
      return ok();
    }));
    std::sort(out.records.begin(), out.records.end(), [](const Record& a, const Record& b) {
      return a.meta.coordinate < b.meta.coordinate;
    });
    std::sort(out.sealed_high.begin(), out.sealed_high.end(),
              [](const SealedHigh& a, const SealedHigh& b) {
                return a.meta.coordinate < b.meta.coordinate;
              });
    return out;
  }();
  storage_.rollback();
  return result;
}

Result<PackedRead> Vault::read_env_packed(std::string_view env, std::string_view component) {
  KW_TRY_STATUS(storage_.begin_read());
  auto result = [&]() -> Result<PackedRead> {
    KW_TRY_STATUS(reload());
    PackedRead out;
    std::vector<std::pair<RecordMeta, RecordRow>> wanted;
    KW_TRY_STATUS(walk_env(env, component, [&](RecordMeta&& meta, RecordRow&& row) -> Status {
      if (row.tier == Tier::high) {  // never opened here: the agent path (presence gate)
        if (meta.tier != Tier::high) return opaque();
        out.sealed_high.push_back(SealedHigh{std::move(meta), std::move(row)});
        return ok();
      }
      wanted.emplace_back(std::move(meta), std::move(row));
      return ok();
    }));
    std::sort(wanted.begin(), wanted.end(),
              [](const auto& a, const auto& b) { return a.first.coordinate < b.first.coordinate; });
    std::sort(out.sealed_high.begin(), out.sealed_high.end(),
              [](const SealedHigh& a, const SealedHigh& b) {
                return a.meta.coordinate < b.meta.coordinate;
              });
    // Two locked buffers for the whole read: one scratch to decrypt into, one for the values.
    std::size_t max_plain = 1, bound = 0;
    for (const auto& [meta, row] : wanted) {
      max_plain = std::max(max_plain, body_plain_size(row));
      bound += body_plain_size(row);
    }
    SecretBytes scratch(max_plain), values(bound == 0 ? 1 : bound);
    std::size_t off = 0;
    for (const auto& [meta, row] : wanted) {
      ByteView value;
      KW_TRY(auto m, open_record_into(row, header_.vault_id, keys_->record,
                                      keys_->fingerprint, scratch, value));
      if (m.coordinate != meta.coordinate) return opaque();
      if (!value.empty()) std::memcpy(values.data() + off, value.data(), value.size());
      out.records.push_back(PackedRecord{std::move(m), off, value.size()});
      off += value.size();
    }
    out.values = SecretBytes(off);
    if (off != 0) std::memcpy(out.values.data(), values.data(), off);
    return out;
  }();
  storage_.rollback();
  return result;
}

namespace {
// Drops a high key taken from a grant when the operation ends (unless the vault held H before).
struct HighScope {
  std::optional<SecretBytes>& high;
  std::optional<HighKeys>& keys;
  bool had;
  ~HighScope() {
    if (!had) {
      high.reset();
      keys.reset();
    }
  }
};
}  // namespace

Status Vault::set(std::vector<SetItem>& items, const gate::Grant* grant) {
  HighScope scope{high_, high_keys_, high_.has_value()};
  return mutate([&]() -> Status {
    KW_TRY_STATUS(take_high(grant));
    for (auto& item : items) {
      KW_TRY(auto coord, parse_coordinate(item.coordinate));
      if (item.tier == Tier::high) {
        if (!has_presence_slot()) {
          return fail(Errc::policy,
                      coord.str() + " is a high secret, and high secrets need a presence-capable "
                                    "slot: enrol one with `keyward slot add piv` or `keyward "
                                    "slot add fido2`");
        }
        if (!high_keys_) {
          return fail(Errc::policy, "writing a high secret needs the high key: pass the "
                                    "presence gate (a touch) or unlock with the recovery code");
        }
      }
      KW_TRY(auto id, record_id(*keys_, coord.str()));
      KW_TRY(auto old, storage_.read_record(id));
      RecordMeta meta;
      meta.coordinate = coord.str();
      meta.tier = item.tier;
      meta.kind = item.kind;
      meta.created = meta.updated = now();
      if (old) {
        KW_TRY(auto old_meta, open_index(*old, header_.vault_id, keys_->record));
        if (old_meta.coordinate != meta.coordinate) return opaque();
        meta.created = old_meta.created;
        xor_into(header_.manifest, manifest_entry(keys_->manifest, *old));
      } else {
        ++header_.record_count;
      }
      KW_TRY(auto row, seal_record(id, header_.vault_id, keys_->record, keys_->fingerprint,
                                   item.tier == Tier::high ? high_keys_->record : keys_->record,
                                   meta, item.value));
      xor_into(header_.manifest, manifest_entry(keys_->manifest, row));
      KW_TRY_STATUS(storage_.put_record(row));
    }
    return ok();
  });
}

Status Vault::remove(std::string_view coordinate) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  return mutate([&]() -> Status {
    KW_TRY(auto id, record_id(*keys_, coord.str()));
    KW_TRY(auto old, storage_.read_record(id));
    if (!old) return fail(Errc::not_found, "no secret at " + coord.str());
    if (header_.record_count == 0) return opaque();
    xor_into(header_.manifest, manifest_entry(keys_->manifest, *old));
    --header_.record_count;
    return storage_.delete_record(id);
  });
}

Status Vault::add_slot_locked(Slot slot) {
  const SlotHandler* h = slot_handler(slot.type);
  if (h == nullptr) {
    return fail(Errc::unsupported, "slot type '" + std::string(slot_type_name(slot.type)) +
                                       "' is not supported by this keyward build");
  }
  if (slot.label.size() > kMaxLabel) {
    return fail(Errc::invalid_argument, "slot labels are at most 128 bytes");
  }
  for (const auto& s : slots_) {
    if (!slot.label.empty() && s.label == slot.label) {
      return fail(Errc::already_exists, "a slot labelled '" + slot.label + "' already exists");
    }
  }
  slot.number = static_cast<std::uint32_t>(header_.next_slot++);
  KW_TRY(slot.wrapped_master, h->wrap(slot, header_.vault_id, Which::master, master_));
  slot.wrapped_high.clear();
  if (h->holds_high(slot)) {
    if (!header_.has_high) {
      high_ = random_secret(kKeySize);
      KW_TRY(auto hk, derive_high_keys(*high_, header_.vault_id));
      high_keys_ = std::move(hk);
      header_.has_high = true;
      header_.high_check = high_keys_->check;
    } else if (!high_) {
      return fail(Errc::policy, "a " + std::string(slot_type_name(slot.type)) +
                                    " slot must also hold the high key: pass the presence gate "
                                    "with an existing FIDO2/PIV slot (a touch) or unlock with "
                                    "the recovery code to add it");
    }
    KW_TRY(slot.wrapped_high, h->wrap(slot, header_.vault_id, Which::high, *high_));
  }
  slot_rows_.push_back(SlotRow{slot.number, encode_slot(slot)});
  KW_TRY_STATUS(storage_.put_slot(slot.number, slot_rows_.back().body));
  slots_.push_back(std::move(slot));
  return ok();
}

Result<std::uint32_t> Vault::add_slot(Slot slot, const gate::Grant* grant) {
  HighScope scope{high_, high_keys_, high_.has_value()};
  std::uint32_t number = 0;
  auto add = [&]() -> Status {
    KW_TRY_STATUS(take_high(grant));
    KW_TRY_STATUS(add_slot_locked(std::move(slot)));
    number = slots_.back().number;
    return ok();
  };
  KW_TRY_STATUS(mutate(add));
  return number;
}

Status Vault::backup(const std::string& dest) {
  return storage_.backup_to(absolute_vault_path(dest));
}

}  // namespace keyward::vault

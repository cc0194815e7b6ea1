// The vault: one SQLite file holding an authenticated header, key slots and sealed records
// (docs/format-vault.md). A Vault object is an unlocked vault: it holds the master key in locked
// memory. Unlocking does NOT release high records: they are opened only with a gate::Grant
// (core/gate/gate.h) that lists their coordinates, for one command. The high key H is held by the
// object only after a recovery-code unlock (the break-glass path) or when this object created H. Every read re-verifies the
// header MAC and the local pin; every write runs in one IMMEDIATE transaction that re-reads and
// re-verifies the header first. Core never prints or prompts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/log.h"
#include "core/error.h"
#include "core/gate/gate.h"
#include "core/secret.h"
#include "core/vault/format.h"
#include "core/vault/pin.h"
#include "core/vault/policy.h"
#include "core/vault/records.h"
#include "core/vault/slot.h"
#include "core/vault/storage.h"

namespace keyward::vault {

struct VaultOptions {
  // Pin directory; empty = $XDG_STATE_HOME/keyward/pins. The audit log lives in the sibling
  // directory `audit` (empty: $XDG_STATE_HOME/keyward/audit).
  std::string state_dir;
  // Vault::create: whether the vault's missing parent directories are made (mode 0700). false:
  // only the last one, and only when its own parent exists, so a mistyped path never creates a
  // tree (`--vault /nonexist/dir/v.db`). keyward sets it for its default XDG path only.
  bool create_parent_tree = false;
};

// The checks Vault::create makes of a new vault's directory before it creates anything (with
// `tree` false: the directory exists, or only it is missing and its parent exists), for a
// front end that must fail before it asks for a new passphrase. Creates nothing.
Status check_vault_location(const std::string& path, bool tree);

// What interrupted `init`s left next to the vault path (`<vault>.init-<pid>` and its -wal/-shm):
// all of them, or only those whose process is gone (`init` removes those; `doctor` names all).
std::vector<std::string> init_leftovers(const std::string& vault_path, bool only_abandoned);

// Default vault path: $XDG_DATA_HOME/keyward/vault.db, else ~/.local/share/keyward/vault.db.
Result<std::string> default_vault_path();
// Absolute, normalised form of a vault path (the pin key). The file need not exist.
std::string absolute_vault_path(const std::string& path);

// A high record kept sealed: what an unlocked Vault without the high key (the unlock agent)
// returns, so that the client opens it after the presence gate (gate::open_high_row).
struct SealedHigh {
  RecordMeta meta;  // from the index entry (verified against the manifest)
  RecordRow row;
};
struct SplitRead {
  std::vector<Record> records;           // opened (normal; high too when the high key is held)
  std::vector<SealedHigh> sealed_high;  // high records, still sealed (no high key held)
};

// read_env for the agent: every value in one locked buffer (no allocation per record).
struct PackedRecord {
  RecordMeta meta;
  std::size_t offset = 0, len = 0;  // value = values[offset, offset + len)
};
struct PackedRead {
  std::vector<PackedRecord> records;  // sorted by coordinate
  SecretBytes values;
  std::vector<SealedHigh> sealed_high;
};

// What a read of a whole environment is for: `run` (into a child's environment) or `export`
// (a .env document on stdout), which high environments refuse.
// packaging: like exporting, a high environment is refused (package refuses them by policy).
enum class ReadPurpose : std::uint8_t { run, exporting, packaging };

struct SetItem {
  std::string coordinate;
  Tier tier = Tier::normal;
  Kind kind = Kind::value;
  SecretBytes value;
  // No tier chosen by the user: high in the vault's high environments, else normal (resolved
  // by set, inside its transaction; `tier` holds the result afterwards).
  bool default_tier = false;
};

class Vault {
 public:
  // Creates a new vault. `make_slots` builds its slots (new_*_slot; slots bind the vault id, so
  // they are made once the id is chosen). Creates the parent directory. The returned vault is
  // unlocked and pinned. Nothing is left behind on failure.
  using SlotMaker = std::function<Result<std::vector<Slot>>(const VaultId&)>;
  static Result<Vault> create(const std::string& path, const SlotMaker& make_slots,
                              const VaultOptions& opts);
  static Result<Vault> create_with_passphrase(const std::string& path, std::string label,
                                              const SecretBytes& passphrase,
                                              const PassphraseParams& params,
                                              const VaultOptions& opts);
  // Opens and unlocks with a credential; verifies header MAC and pin.
  static Result<Vault> open(const std::string& path, const Credential& cred,
                            const VaultOptions& opts);

  // Opens with the master key of a vault some other process unlocked (the unlock agent): no slot,
  // never the high key. Verifies that the key belongs to this vault (key id), the header MAC and
  // the pin; a key that does not fit is auth_failed.
  static Result<Vault> open_with_master(const std::string& path, SecretBytes master,
                                        const VaultOptions& opts);
  // The master key, for handing this unlocked vault to the unlock agent (src/cli/agent_access).
  const SecretBytes& master_key() const { return master_; }

  // One record. A high record is opened only with a grant for this vault that lists its
  // coordinate (and whose key matches the header's commitment); otherwise Errc::policy.
  Result<Record> get(std::string_view coordinate, const gate::Grant* grant = nullptr);
  // get / read_env that keep high records not covered by `grant` sealed instead of refusing
  // them (the agent path: the client passes the gate and opens them).
  Result<SplitRead> get_split(std::string_view coordinate, const gate::Grant* grant = nullptr);
  Result<SplitRead> read_env_split(std::string_view env, std::string_view component,
                                   const gate::Grant* grant = nullptr,
                                   ReadPurpose purpose = ReadPurpose::run);
  Result<PackedRead> read_env_packed(std::string_view env, std::string_view component,
                                     ReadPurpose purpose = ReadPurpose::run);
  // Index of every record, sorted by coordinate; verifies the manifest.
  Result<std::vector<RecordMeta>> list();
  // Re-reads and verifies the header and slots (another process may have changed them since
  // this object's last transaction): header() and slots() are current afterwards.
  Status refresh();
  // Every record of env (and component, if non-empty), sorted; verifies the manifest. High
  // records of the selection need a grant listing each of them (Errc::policy otherwise).
  // ReadPurpose::exporting refuses high environments (their secrets never go to a plaintext file).
  Result<std::vector<Record>> read_env(std::string_view env, std::string_view component,
                                       const gate::Grant* grant = nullptr,
                                       ReadPurpose purpose = ReadPurpose::run);

  // Stores items in one transaction (all or nothing). The rules of core/vault/policy.h apply
  // (checked inside the transaction): an item in a high environment, a high item, and an item
  // that replaces a high record each need a grant covering its coordinate (or a recovery-code
  // unlock); loader variables are refused in high environments; the reserved environment is
  // refused. Errc::policy names what is missing; grant_needed() tells beforehand.
  Status set(std::vector<SetItem>& items, const gate::Grant* grant = nullptr);
  // Removes a record; not_found if absent. A high record, or any record of a high environment,
  // needs a grant covering it.
  Status remove(std::string_view coordinate, const gate::Grant* grant = nullptr);
  // The coordinates of items (or of the record to remove) whose write needs a grant under the
  // current records and high-environment list; empty: none (or no presence-capable slot, for
  // normal records of a high environment: there is no device to ask). The write re-checks.
  Result<std::vector<std::string>> grant_needed(const std::vector<SetItem>& items);
  Result<std::vector<std::string>> grant_needed_remove(std::string_view coordinate);

  // The vault's high environments (policy::kHighEnvsCoordinate, else the default list).
  Result<std::vector<std::string>> high_envs();
  Result<bool> is_high_env(std::string_view env);
  // Errc::policy for a high environment (never exported), ok otherwise.
  Status may_export(std::string_view env);
  // Replaces the list; needs a grant covering policy::kHighEnvsCoordinate (or a recovery-code
  // unlock) when the vault has a presence-capable slot.
  Status set_high_envs(const std::vector<std::string>& envs, const gate::Grant* grant = nullptr);

  // keyward's own records in the reserved environment (package identity, sender key). Never
  // reachable through get/set/remove/read_env/list, nor through the agent.
  Result<std::optional<SecretBytes>> get_internal(std::string_view coordinate);
  Status set_internal(std::string_view coordinate, SecretBytes value);
  // set(items, grant) plus keyward's own bookkeeping records (reserved coordinates, e.g. the
  // newest package imported from a sender) in the same transaction: both land or neither.
  Status set_with_bookkeeping(std::vector<SetItem>& items, std::vector<SetItem> bookkeeping,
                              const gate::Grant* grant);

  // True once this object's view can no longer be trusted (the vault was re-keyed by another
  // process or its file replaced): the holder (the agent) drops it.
  bool stale() const { return stale_; }
  // Bounds how long the following operations wait for another writer's lock (ms; negative:
  // back to the default, lock_timeout_ms()). The agent uses its request's deadline.
  void set_lock_wait(int ms) noexcept { lock_wait_ = ms; storage_.set_busy_timeout(ms < 0 ? lock_timeout_ms() : ms); }

  // Adds a slot (wraps the master, and the high key for slots that hold it). Cost is independent
  // of the number of records. Returns the slot number. A slot that must hold an existing high
  // key needs it: a grant (or a recovery-code unlock).
  Result<std::uint32_t> add_slot(Slot slot, const gate::Grant* grant = nullptr);
  // The checks add_slot makes of a new slot's label (length, not already used), for callers
  // that must fail before a device is changed (enrolment).
  Status check_slot_label(const std::string& label) const { return check_new_slot_label(slots_, label); }
  // Before enrolling a slot that holds the high key: what add_slot will need. ok() when nothing
  // (no high key yet, or it is unlocked); a policy error when no gate can be passed (the high key
  // is held by the recovery slot only); otherwise `gate_needed` is set.
  Status check_high_for_new_slot(const std::string& type, bool& gate_needed) const;
  // Removes a slot; `rekey` also rotates the master key in the same transaction. When the vault
  // has a presence-capable slot this needs user verification: a grant of
  // Level::verify, or a recovery-code unlock.
  Status remove_slot(std::uint32_t number, bool rekey, const gate::Grant* grant = nullptr);
  // New master (and high) key, every record re-sealed, every slot rewrapped, signed transition.
  // Same verification rule as remove_slot.
  Status rotate_master(const gate::Grant* grant = nullptr);
  // True when remove_slot/rotate_master need Level::verify: the vault has a presence-capable
  // slot, so a gate is possible. Without one (passphrase/recipient/recovery slots only) there is
  // no device to verify with and the unlock credential is the only protection (docs).
  bool needs_verify() const { return has_presence_slot(); }
  // The tier of one record (O(1), no value decrypted): lets a command pass the gate before
  // asking for a high record. not_found if absent.
  Result<Tier> tier_of(std::string_view coordinate);
  // After a recovery-code unlock: a grant for `req` from the high key that code unwrapped (the
  // recovery code is itself the deliberate act; it unwraps H without any device). Errc::policy
  // for any other unlock.
  Result<gate::Grant> recovery_grant(const gate::Request& req) const;
  bool unlocked_with_recovery() const;

  Status backup(const std::string& dest);

  // Audit log (docs/format-audit.md). Appends an entry MACed under K_audit of the master this
  // object holds; fills in the slot that unlocked it. Works from whichever process holds the
  // unlocked vault (the CLI or the agent): the requester is part of the event. Fails with
  // integrity if the log was tampered with (it is never silently continued).
  // `durable` false (the agent): the entry is written to the file before this returns, its
  // fdatasync and the head follow in settle_audit() (audit::Log::append).
  Result<audit::Entry> audit(audit::Event event, bool durable = true);
  // True while an entry written with durable=false awaits settle_audit().
  bool audit_unsettled() const { return unsettled_audit_.has_value(); }
  Status settle_audit();
  // Reads and verifies this vault's audit log: every entry and the head under the key it names
  // (the current master's or an earlier one from the audit keyring), and the log against this
  // machine's anchor in the header (docs/format-audit.md sections 6 and 9).
  Result<audit::Report> verify_audit();
  // Resets this machine's anchor (a vault write), then keeps its log aside, so that the next entry
  // starts a new log: the deliberate way out of a log that no longer verifies, which needs the
  // unlocked vault. Returns where the old log was moved ("" if there was none).
  Result<std::string> start_new_audit_log();
  // The log file of this vault on this machine.
  Result<std::string> audit_log_file() const;

  const HeaderBody& header() const { return header_; }
  const std::vector<Slot>& slots() const { return slots_; }
  const std::string& path() const { return path_; }
  std::uint32_t unlocked_slot() const { return unlocked_slot_; }
  // For a vault opened with its master key (the agent): the slot the client that handed it over
  // unlocked with. Only a slot of this vault is taken; false otherwise (nothing changes).
  bool note_unlocked_slot(std::uint32_t number);
  // True when this object holds the high key itself (recovery-code unlock, or it created H).
  bool high_unlocked() const { return high_.has_value(); }
  // True if some slot is presence-capable (required before high records can be written).
  bool has_presence_slot() const;

 private:
  Vault(Storage storage, std::string path, VaultOptions opts)
      : storage_(std::move(storage)), path_(std::move(path)), opts_(std::move(opts)) {}
  // Reads header and slots (inside the caller's transaction), verifies key id, MAC and pin.
  // The pin is read before the transaction's first read, so a pin raised by a concurrent writer
  // after our snapshot began can never look like a rollback.
  Status reload();
  Result<std::optional<Pin>> load_pin();
  // After another process re-keyed the vault: unwraps the new master with the unlocking slot's
  // secret (software slots only) and switches to it. False if that is not possible.
  bool follow_rekey(const HeaderBody& header, const std::vector<SlotRow>& rows);
  Status check_pin(const std::optional<Pin>& pin);
  Status verify_transitions(const Digest& from, const Digest& to);
  Status raise_pin();
  Status write_header();
  Status mutate(const std::function<Status()>& fn);
  // Starts a transaction on the file the vault path names now: if that is no longer the file
  // this object opened (replaced, restored, renamed over), the new file is opened and checked
  // like a fresh open (pin, key, MAC) by the reload() that follows.
  Status begin(bool write);
  Status check_identity() const;
  Status note_identity();
  // Inside a transaction: the high environments, and whether a grant covers a coordinate.
  Result<std::vector<std::string>> load_high_envs();
  bool granted(const gate::Grant* grant, std::string_view coordinate, bool held_high) const;
  Result<std::vector<std::string>> needs_of(const std::vector<SetItem>& items, bool refuse);
  // `items`: secrets, every rule of set applies; `internal`: keyward's own records (reserved
  // coordinates, normal tier), written in the same transaction.
  Status set_items(std::vector<SetItem>& items, std::vector<SetItem>& internal,
                   const gate::Grant* grant);
  Result<Record> open_row(const RecordRow& row, const HighKeys* high);
  // High keys from a grant, checked against this vault's id and header commitment.
  Result<std::optional<HighKeys>> grant_keys(const gate::Grant* grant) const;
  // Makes H available to a write operation (from the grant, else the held one).
  Status take_high(const gate::Grant* grant);
  Status require_verify(const gate::Grant* grant) const;

  // Opens every index entry, checks it against its record id, and hands it with its row to
  // `take`; then checks the manifest and record count (inside a transaction). walk_env hands on
  // only the records of env (and component, unless empty) but still checks all of them.
  Status walk_index(const std::function<Status(RecordMeta&&, RecordRow&&)>& take);
  Status walk_env(std::string_view env, std::string_view component,
                  const std::function<Status(RecordMeta&&, RecordRow&&)>& take);
  Result<std::vector<RecordMeta>> scan_index();
  // The row of a coordinate; a miss is confirmed against the whole index (not_found, or an
  // integrity error when the record set does not match the manifest).
  Result<std::optional<RecordRow>> find_row(const Coordinate& coord);
  Result<std::uint64_t> count_high_records();
  Status add_slot_locked(Slot slot);
  Status rekey_locked();
  // Audit keyring and anchor (vault_audit.cpp).
  Status open_audit_keyring(const HeaderBody& header);
  Status seal_audit_keyring();
  void remember_audit_key(const MasterKeys& outgoing);
  void update_audit_anchor();
  std::optional<audit::Anchor> audit_anchor() const;
  audit::KeyRing audit_keys() const;

  Storage storage_;
  std::string path_;
  VaultOptions opts_;
  SecretBytes master_;
  std::optional<SecretBytes> high_;
  std::optional<MasterKeys> keys_;
  std::optional<HighKeys> high_keys_;
  HeaderBody header_;
  std::vector<Slot> slots_;
  std::vector<SlotRow> slot_rows_;
  std::uint32_t unlocked_slot_ = 0;
  // The X25519 secret of the passphrase/recipient slot that unlocked this object (empty for
  // other unlocks): lets a writer follow a re-key made by another process meanwhile.
  SecretBytes unlock_secret_;
  // K_audit of every earlier master (the audit keyring, opened from the header at reload).
  struct EarlierAudit {
    Digest key_id{};
    std::string tag;
    SecretBytes key;
  };
  std::vector<EarlierAudit> audit_earlier_;
  bool rekeyed_since_anchor_ = false;  // anchor the first entry after this object's re-key
  bool reset_anchor_ = false;          // start_new_audit_log: this machine's anchor back to 0
  std::optional<audit::Entry> unsettled_audit_;  // the last entry appended with durable=false
  // Keys a re-key inside the current write transaction will switch to. They replace the held
  // keys only once the commit succeeded: a failed commit leaves this object (and the audit
  // entry recording the failure) under the key the vault still has.
  struct PendingRekey {
    SecretBytes master;
    MasterKeys keys;
    std::optional<SecretBytes> high;
    std::optional<HighKeys> high_keys;
  };
  std::optional<PendingRekey> pending_rekey_;
  Bytes written_header_;  // the header body this transaction wrote (to recognise its commit)
  // The MAC keys the header written in this transaction is under (the pending ones after a
  // re-key).
  const MasterKeys& write_keys() const { return pending_rekey_ ? pending_rekey_->keys : *keys_; }
  // The file this object has open (device, inode), checked against the vault path per request.
  std::uint64_t dev_ = 0, ino_ = 0;
  bool stale_ = false;
  int lock_wait_ = -1;
};

// Transition record (section 8).
struct Transition {
  VaultId vault_id{};
  std::uint64_t revision = 0;
  Digest old_key_id{}, new_key_id{};
  std::array<std::uint8_t, 64> signature{};
};
Result<Transition> parse_transition(ByteView body);
Result<Bytes> sign_transition(const Transition& t, const SecretBytes& old_seed);
bool verify_transition(const Transition& t, ByteView body);

}  // namespace keyward::vault

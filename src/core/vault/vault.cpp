#include "core/vault/vault.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "core/fd.h"
#include "core/hex.h"
#include "core/random.h"
#include "core/locked_file.h"
#include "core/xdg.h"

namespace keyward::vault {
namespace {

// Seconds since the epoch; a clock set before 1970 counts as 0 (timestamps are informational,
// never a reason to refuse a command).
std::uint64_t now() {
  std::time_t t = std::time(nullptr);
  return t > 0 ? static_cast<std::uint64_t>(t) : 0;
}

Status make_parent_dirs(const std::string& path, bool tree) {
  KW_TRY_STATUS(check_vault_location(path, tree));
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return ok();
  std::string dir = path.substr(0, slash);
  if (!tree) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return ok();  // a directory (checked above)
    return make_private_dir(dir);
  }
  return make_private_dirs(dir);
}

}  // namespace

Status check_vault_location(const std::string& path, bool tree) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0 || tree) return ok();
  std::string dir = path.substr(0, slash);
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return ok();
    return fail(Errc::invalid_argument, dir + " is not a directory; choose another vault path");
  }
  auto up = dir.rfind('/');
  std::string parent = up == 0 ? std::string("/") : dir.substr(0, up);
  if (up == std::string::npos || ::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(Errc::not_found, "the directory " + parent + " does not exist: keyward creates "
                                 "only the vault's own directory, never a tree; create it first "
                                 "(`mkdir -p " + parent + "`) or check the --vault path");
  }
  return ok();
}

namespace {

// `<vault>.init-<pid>`: where `init` builds a vault before it is renamed into place.
std::string init_temp_name(const std::string& path) {
  return path + ".init-" + std::to_string(::getpid());
}

// Moves the finished vault `tmp` to `path` without ever replacing a file that appeared there
// meanwhile, and makes the rename durable.
Status publish_file(const std::string& tmp, const std::string& path) {
  Fd f(::open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f || ::fsync(f.get()) != 0) {
    return fail(Errc::io, "cannot write the new vault " + tmp + ": " + std::strerror(errno));
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      return fail(Errc::already_exists,
                  "a vault already exists at " + path + "; refusing to overwrite it");
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return fail(Errc::io, "cannot move the new vault into place at " + path + ": " +
                                std::strerror(errno));
    }
    // A file system without RENAME_NOREPLACE: link (never replaces), then drop the old name.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      if (errno == EEXIST) {
        return fail(Errc::already_exists,
                    "a vault already exists at " + path + "; refusing to overwrite it");
      }
      return fail(Errc::io, "cannot move the new vault into place at " + path + ": " +
                                std::strerror(errno));
    }
    ::unlink(tmp.c_str());
  }
  auto slash = path.rfind('/');
  Fd dir(::open(slash == 0 ? "/" : path.substr(0, slash).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) ::fsync(dir.get());
  return ok();
}

Status refuse_export(std::string_view env, ReadPurpose purpose) {
  if (purpose == ReadPurpose::packaging) {
    return fail(Errc::policy, "'" + std::string(env) + "' is a high environment of this vault: its "
                              "secrets are never packaged. Share dev or staging; production "
                              "access goes through your deployment pipeline");
  }
  return fail(Errc::policy, "refusing to export " + std::string(env) +
                                ": it is a high environment, whose secrets are never written to "
                                "plaintext files; use `keyward run --env " + std::string(env) +
                                " -- CMD`");
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

std::vector<std::string> init_leftovers(const std::string& vault_path, bool only_abandoned) {
  std::string path = absolute_vault_path(vault_path);
  auto slash = path.rfind('/');
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string prefix = path.substr(slash + 1) + ".init-";
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0) continue;
    std::string rest = name.substr(prefix.size());
    auto dash = rest.find('-');
    std::string pid_text = rest.substr(0, dash);
    if (pid_text.empty() || pid_text.size() > 9 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    if (dash != std::string::npos) {
      std::string suffix = rest.substr(dash);
      if (suffix != "-wal" && suffix != "-shm" && suffix != "-journal") continue;
    }
    long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (only_abandoned && (pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) {
      continue;  // its init may still be running
    }
    out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> default_vault_path() {
  KW_TRY(auto dir, xdg_data_dir());
  return dir + "/vault.db";
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
  KW_TRY_STATUS(make_parent_dirs(path, opts.create_parent_tree));
  if (::access(path.c_str(), F_OK) == 0) {
    return fail(Errc::already_exists,
                "a vault already exists at " + path + "; refusing to overwrite it");
  }
  for (const auto& f : init_leftovers(path, true)) ::unlink(f.c_str());
  // The vault is built under a temporary name and appears at `path` only once it is complete
  // (committed, checkpointed, closed): an interrupted init leaves no half-made vault behind that
  // would block the next init or look tampered with.
  const std::string tmp = init_temp_name(path);
  auto discard_tmp = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((tmp + suffix).c_str());
  };
  KW_TRY(auto storage, Storage::create(tmp));
  Vault v(std::move(storage), path, opts);
  auto built = [&]() -> Status {
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
    // Closing the last connection checkpoints the log into the file and removes -wal/-shm.
    KW_TRY_STATUS(v.storage_.finish());
    KW_TRY_STATUS(publish_file(tmp, path));
    return ok();
  }();
  if (!built) {
    v.storage_.rollback();
    v.storage_.close();
    discard_tmp();
    return tl::unexpected(built.error());
  }
  auto reopened = Storage::open(path);
  if (!reopened) {
    return fail(Errc::followup_failed, "the vault was created at " + path +
                                           ", but cannot be opened again: " +
                                           reopened.error().message);
  }
  v.storage_ = std::move(*reopened);
  if (auto noted = v.note_identity(); !noted) {
    return fail(Errc::followup_failed, "the vault was created at " + path + ", but " +
                                           noted.error().message);
  }
  v.unlocked_slot_ = 1;
  auto pinned = v.raise_pin();
  if (!pinned) {
    return fail(Errc::followup_failed,
                "the vault was created at " + path + ", but this machine's rollback pin could "
                "not be written: " + pinned.error().message +
                ". The next keyward command that can write the pin records it");
  }
  return v;
}

Result<Vault> Vault::open(const std::string& path_in, const Credential& cred,
                          const VaultOptions& opts) {
  std::string path = absolute_vault_path(path_in);
  KW_TRY(auto storage, Storage::open(path));
  Vault v(std::move(storage), path, opts);
  KW_TRY_STATUS(v.note_identity());
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
    // Kept (locked memory) for software slots so a write can follow a concurrent re-key.
    if (s.type == SlotType::passphrase || s.type == SlotType::recipient) {
      v.unlock_secret_ = std::move(*secret);
    }
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
  // Unlocking took a while: verify against a fresh snapshot taken after reading the pin (of the
  // file the path names now).
  v.storage_.rollback();
  KW_TRY_STATUS(v.begin(false));
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
  KW_TRY_STATUS(v.note_identity());
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

bool Vault::note_unlocked_slot(std::uint32_t number) {
  for (const auto& s : slots_) {
    if (s.number == number) {
      unlocked_slot_ = number;
      return true;
    }
  }
  return false;
}

Status Vault::reload() {
  KW_TRY(auto pin, load_pin());
  KW_TRY(auto stored, storage_.read_header());
  KW_TRY(auto header, parse_header(stored.body));
  KW_TRY(auto rows, storage_.read_slots());
  if (header.vault_id != header_.vault_id) {
    // The path names another vault now (swapped while this object held it): what the pin
    // check of a fresh open says.
    stale_ = true;
    HeaderBody mine = header_;
    header_ = header;
    auto pinned = check_pin(pin);
    header_ = mine;
    if (!pinned) return pinned;
    return fail(Errc::integrity, "the vault at " + path_ + " is a different vault (id " +
                                     encoding::hex_encode(header.vault_id) + ") than the one "
                                     "unlocked (id " + encoding::hex_encode(header_.vault_id) +
                                     "); unlock it again");
  }
  if (header.key_id != keys_->key_id) {
    // Either the vault was re-keyed since we unlocked it, or someone swapped the header.
    stale_ = true;
    auto followed = verify_transitions(keys_->key_id, header.key_id);
    if (!followed) return opaque();
    // A software slot's secret opens the rewrapped master again: follow the rotation instead of
    // failing the command (the header MAC below then checks the new key against everything).
    if (!follow_rekey(header, rows)) {
      return fail(Errc::unavailable,
                  "the vault was re-keyed by another process meanwhile; run the command again");
    }
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

bool Vault::follow_rekey(const HeaderBody& header, const std::vector<SlotRow>& rows) {
  if (unlock_secret_.empty()) return false;
  for (const auto& row : rows) {
    if (row.number != unlocked_slot_) continue;
    auto s = parse_slot(row.body);
    if (!s) return false;
    if (s->type != SlotType::passphrase && s->type != SlotType::recipient) return false;
    const SlotHandler* h = slot_handler(s->type);
    if (h == nullptr) return false;
    auto master = h->unwrap(*s, header.vault_id, Which::master, s->wrapped_master, unlock_secret_);
    if (!master) return false;
    auto keys = derive_master_keys(*master, header.vault_id);
    if (!keys || !ct_equal(keys->key_id, header.key_id)) return false;
    master_ = std::move(*master);
    keys_ = std::move(*keys);
    if (high_keys_ && (!header.has_high || !ct_equal(high_keys_->check, header.high_check))) {
      high_.reset();  // the high key was rotated too; a write that needs it asks again
      high_keys_.reset();
    }
    return true;
  }
  return false;
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
  Digest mac = header_mac(write_keys(), body, slot_rows_);
  written_header_ = body;
  return storage_.write_header(body, mac);
}

Status Vault::mutate(const std::function<Status()>& fn) {
  pending_rekey_.reset();
  written_header_.clear();
  KW_TRY_STATUS(begin(true));
  // What this object held when the transaction began: restored if it does not commit, so the
  // next operation (and the audit entry recording the failure) sees what the vault still holds.
  std::optional<HeaderBody> saved_header;
  std::vector<Slot> saved_slots;
  std::vector<SlotRow> saved_rows;
  bool committed = false;
  auto done = [&]() -> Status {
    KW_TRY_STATUS(reload());
    saved_header = header_;
    saved_slots = slots_;
    saved_rows = slot_rows_;
    KW_TRY_STATUS(fn());
    ++header_.revision;
    KW_TRY_STATUS(write_header());
    // Under the write lock: still the file the path names (else the commit would land in a
    // file nobody reads).
    KW_TRY_STATUS(check_identity());
    auto c = storage_.commit();
    if (!c) {
      // A failed COMMIT is not always a transaction that did not happen (an fsync error after
      // the commit frame reached the log): believe what a fresh read of the vault says.
      storage_.rollback();
      if (storage_.begin_read()) {
        auto stored = storage_.read_header();
        committed = stored && !written_header_.empty() && stored->body == written_header_;
        storage_.rollback();
      }
      if (!committed) return c;
    }
    committed = true;
    return ok();
  }();
  if (!done || !committed) {
    storage_.rollback();
    pending_rekey_.reset();
    if (saved_header) {
      header_ = *saved_header;
      slots_ = std::move(saved_slots);
      slot_rows_ = std::move(saved_rows);
    }
    return done;
  }
  if (pending_rekey_) {
    // Committed: from now on the vault is under the new key. The outgoing K_audit joins the
    // audit keyring (write_header already sealed it in the committed header), so its entries and
    // heads stay verifiable (docs/format-audit.md section 2).
    remember_audit_key(*keys_);
    master_ = std::move(pending_rekey_->master);
    keys_ = std::move(pending_rekey_->keys);
    high_ = std::move(pending_rekey_->high);
    high_keys_ = std::move(pending_rekey_->high_keys);
    pending_rekey_.reset();
  }
  if (auto same = check_identity(); !same) {
    stale_ = true;
    return fail(Errc::integrity, "the vault file at " + path_ + " was replaced while this change "
                                 "was being written: the change went into the old file and is "
                                 "NOT in the vault that path names now; check the file and run "
                                 "the command again");
  }
  auto pinned = raise_pin();
  if (!pinned) {
    return fail(Errc::followup_failed,
                "the change was committed (the vault at " + path_ + " is now at revision " +
                    std::to_string(header_.revision) + "), but this machine's rollback pin "
                    "could not be raised: " + pinned.error().message +
                    ". Nothing is lost: the next keyward command that can write the pin raises "
                    "it (free space or fix the permissions of the state directory)");
  }
  return ok();
}

Status Vault::note_identity() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    return fail(Errc::io, "cannot stat " + path_ + ": " + std::strerror(errno));
  }
  dev_ = static_cast<std::uint64_t>(st.st_dev);
  ino_ = static_cast<std::uint64_t>(st.st_ino);
  return ok();
}

Status Vault::check_identity() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    return fail(errno == ENOENT ? Errc::integrity : Errc::io,
                "the vault file at " + path_ + " is gone (" + std::strerror(errno) +
                    "): it was removed or renamed while in use");
  }
  if (static_cast<std::uint64_t>(st.st_dev) != dev_ || static_cast<std::uint64_t>(st.st_ino) != ino_) {
    return fail(Errc::integrity, "the vault file at " + path_ + " was replaced while in use");
  }
  return ok();
}

Status Vault::begin(bool write) {
  if (!check_identity()) {
    // Replaced (restored, copied over, renamed over): open what the path names now; reload()
    // then checks it exactly as a fresh open does (vault id, key, header MAC, pin).
    KW_TRY(auto fresh, Storage::open(path_));
    storage_ = std::move(fresh);
    if (lock_wait_ >= 0) storage_.set_busy_timeout(lock_wait_);
    KW_TRY_STATUS(note_identity());
  }
  return write ? storage_.begin_write() : storage_.begin_read();
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
  if (grant->vault_id() != header_.vault_id) {
    return fail(Errc::policy, "the presence grant is for another vault");
  }
  if (!header_.has_high || grant->high().size() != kKeySize) {
    return fail(Errc::policy, "the presence grant does not match this vault's high key");
  }
  KW_TRY(auto hk, derive_high_keys(grant->high(), header_.vault_id));
  if (!ct_equal(hk.check, header_.high_check)) {
    return fail(Errc::policy, "the presence grant does not match this vault's high key (was the "
                              "vault re-keyed meanwhile? run the command again)");
  }
  return std::optional<HighKeys>(std::move(hk));
}

Status Vault::take_high(const gate::Grant* grant) {
  if (grant == nullptr) return ok();
  KW_TRY(auto hk, grant_keys(grant));
  high_ = grant->high().clone();
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
  return gate::recovery_grant(req, header_, high_->clone(), unlocked_slot_);
}

Status Vault::require_verify(const gate::Grant* grant) const {
  if (!has_presence_slot()) return ok();  // no presence slot: no gate possible (docs)
  if (unlocked_with_recovery() && high_keys_) return ok();
  if (grant != nullptr && grant->level() == gate::Level::verify) {
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
  KW_TRY_STATUS(policy::refuse_reserved(coord.env));
  KW_TRY_STATUS(begin(false));
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
    // The row's index entry must open too and agree: a damaged index is reported on every
    // read of the row, not only by the next `list` (what a release reads is whole).
    KW_TRY(auto meta, open_index(*row, header_.vault_id, keys_->record));
    if (meta.coordinate != rec.meta.coordinate || meta.tier != rec.meta.tier) return opaque();
    out.records.push_back(std::move(rec));
    return out;
  }();
  storage_.rollback();
  return result;
}

Result<Tier> Vault::tier_of(std::string_view coordinate) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(policy::refuse_reserved(coord.env));
  KW_TRY_STATUS(begin(false));
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
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<std::vector<RecordMeta>> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto out, scan_index());
    // keyward's own records are not listed (metadata included).
    std::erase_if(out, [](const RecordMeta& m) { return policy::is_reserved_coordinate(m.coordinate); });
    std::sort(out.begin(), out.end(),
              [](const RecordMeta& a, const RecordMeta& b) { return a.coordinate < b.coordinate; });
    return out;
  }();
  storage_.rollback();
  return result;
}

Status Vault::refresh() {
  KW_TRY_STATUS(begin(false));
  auto result = reload();
  storage_.rollback();
  return result;
}

Result<std::vector<Record>> Vault::read_env(std::string_view env, std::string_view component,
                                            const gate::Grant* grant, ReadPurpose purpose) {
  KW_TRY(auto r, read_env_split(env, component, grant, purpose));
  if (!r.sealed_high.empty()) {
    return fail(Errc::policy, r.sealed_high.front().meta.coordinate +
                                  " is a high secret that was not released through the presence "
                                  "gate for this command");
  }
  return std::move(r.records);
}

Result<SplitRead> Vault::read_env_split(std::string_view env, std::string_view component,
                                        const gate::Grant* grant, ReadPurpose purpose) {
  KW_TRY_STATUS(policy::refuse_reserved(env));
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<SplitRead> {
    KW_TRY_STATUS(reload());
    if (purpose != ReadPurpose::run) {
      KW_TRY(auto envs, load_high_envs());
      if (std::find(envs.begin(), envs.end(), env) != envs.end()) {
        return tl::unexpected(refuse_export(env, purpose).error());
      }
    }
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

Result<PackedRead> Vault::read_env_packed(std::string_view env, std::string_view component,
                                          ReadPurpose purpose) {
  KW_TRY_STATUS(policy::refuse_reserved(env));
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<PackedRead> {
    KW_TRY_STATUS(reload());
    if (purpose != ReadPurpose::run) {
      KW_TRY(auto envs, load_high_envs());
      if (std::find(envs.begin(), envs.end(), env) != envs.end()) {
        return tl::unexpected(refuse_export(env, purpose).error());
      }
    }
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

bool Vault::granted(const gate::Grant* grant, std::string_view coordinate, bool held_high) const {
  if (held_high || (unlocked_with_recovery() && high_keys_)) return true;
  if (grant == nullptr || !grant->covers(std::string(coordinate))) return false;
  return grant_keys(grant).has_value();
}

Result<std::vector<std::string>> Vault::load_high_envs() {
  KW_TRY(auto id, record_id(*keys_, policy::kHighEnvsCoordinate));
  KW_TRY(auto row, storage_.read_record(id));
  if (!row) {
    // Believed absent only if the number of rows matches the header (a deleted row is
    // tampering). Cheap (no decryption): every write asks. A row replaced by a copy of another
    // is caught by the manifest check of the next full walk (list, run, export, a miss).
    KW_TRY(auto normal, storage_.count_tier(Tier::normal));
    KW_TRY(auto high, storage_.count_tier(Tier::high));
    if (normal + high != header_.record_count) {
      return fail(Errc::integrity,
                  "the records of the vault at " + path_ +
                      " do not match its header's manifest: a record was removed, added or "
                      "rolled back outside keyward");
    }
    return policy::default_high_envs();
  }
  if (row->tier != Tier::normal) return opaque();
  KW_TRY(auto rec, open_row(*row, nullptr));
  if (rec.meta.coordinate != policy::kHighEnvsCoordinate) return opaque();
  auto envs = policy::parse_high_envs(rec.value.reveal_string());
  if (!envs) return opaque();
  return envs;
}

// Checks every item against the policy (refusals are errors) and returns the coordinates that
// need a grant, with the reason.
Result<std::vector<std::string>> Vault::needs_of(const std::vector<SetItem>& items, bool) {
  KW_TRY(auto high_envs, load_high_envs());
  std::vector<std::string> out;
  for (const auto& item : items) {
    KW_TRY(auto coord, parse_coordinate(item.coordinate));
    KW_TRY_STATUS(policy::refuse_reserved(coord.env));
    const bool high_env =
        std::find(high_envs.begin(), high_envs.end(), coord.env) != high_envs.end();
    KW_TRY(auto id, record_id(*keys_, coord.str()));
    KW_TRY(auto row, storage_.read_record(id));
    std::optional<RecordMeta> old;
    if (row) {
      KW_TRY(auto m, open_index(*row, header_.vault_id, keys_->record));
      if (m.coordinate != coord.str() || m.tier != row->tier) return opaque();
      old = std::move(m);
    }
    const Tier tier = item.default_tier ? (high_env ? Tier::high : Tier::normal) : item.tier;
    KW_TRY(auto need, policy::may_replace(coord.str(), high_env, old, tier));
    if (!need.grant) continue;
    // A normal record of a high environment on a vault without a presence-capable slot: there
    // is no device to ask; the unlock credential is the only protection (docs/policy.md).
    const bool high_involved = tier == Tier::high || (old && old->tier == Tier::high);
    if (!high_involved && !has_presence_slot()) continue;
    out.push_back(coord.str());
  }
  return out;
}

Result<std::vector<std::string>> Vault::grant_needed(const std::vector<SetItem>& items) {
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<std::vector<std::string>> {
    KW_TRY_STATUS(reload());
    return needs_of(items, true);
  }();
  storage_.rollback();
  return result;
}

Result<std::vector<std::string>> Vault::grant_needed_remove(std::string_view coordinate) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(policy::refuse_reserved(coord.env));
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<std::vector<std::string>> {
    KW_TRY_STATUS(reload());
    KW_TRY(auto row, find_row(coord));
    KW_TRY(auto meta, open_index(*row, header_.vault_id, keys_->record));
    if (meta.coordinate != coord.str()) return opaque();
    KW_TRY(auto envs, load_high_envs());
    const bool high_env = std::find(envs.begin(), envs.end(), coord.env) != envs.end();
    auto need = policy::may_remove(coord.str(), high_env, meta);
    std::vector<std::string> out;
    if (need.grant && (meta.tier == Tier::high || has_presence_slot())) out.push_back(coord.str());
    return out;
  }();
  storage_.rollback();
  return result;
}

Result<std::vector<std::string>> Vault::high_envs() {
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<std::vector<std::string>> {
    KW_TRY_STATUS(reload());
    return load_high_envs();
  }();
  storage_.rollback();
  return result;
}

Result<bool> Vault::is_high_env(std::string_view env) {
  KW_TRY(auto envs, high_envs());
  return std::find(envs.begin(), envs.end(), env) != envs.end();
}

Status Vault::may_export(std::string_view env) {
  KW_TRY(bool high, is_high_env(env));
  if (high) return refuse_export(env, ReadPurpose::exporting);
  return ok();
}

Status Vault::set_high_envs(const std::vector<std::string>& envs, const gate::Grant* grant) {
  std::string text = policy::format_high_envs(envs);
  KW_TRY_STATUS(policy::parse_high_envs(text));
  std::vector<SetItem> items(1);
  items[0].coordinate = std::string(policy::kHighEnvsCoordinate);
  items[0].value = SecretBytes::copy_of(std::string_view(text));
  std::vector<SetItem> none;
  return set_items(none, items, grant);
}

Result<std::optional<SecretBytes>> Vault::get_internal(std::string_view coordinate) {
  if (!policy::is_reserved_coordinate(coordinate)) {
    return fail(Errc::internal, "get_internal is for keyward's own records only");
  }
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(begin(false));
  auto result = [&]() -> Result<std::optional<SecretBytes>> {
    KW_TRY_STATUS(reload());
    auto row = find_row(coord);
    if (!row) {
      if (row.error().code == Errc::not_found) return std::optional<SecretBytes>();
      return tl::unexpected(row.error());
    }
    KW_TRY(auto rec, open_row(**row, nullptr));
    if (rec.meta.coordinate != coord.str()) return opaque();
    return std::optional<SecretBytes>(std::move(rec.value));
  }();
  storage_.rollback();
  return result;
}

Status Vault::set_internal(std::string_view coordinate, SecretBytes value) {
  if (!policy::is_reserved_coordinate(coordinate) || coordinate == policy::kHighEnvsCoordinate) {
    return fail(Errc::internal, "set_internal is for keyward's own keys only");
  }
  std::vector<SetItem> items(1);
  items[0].coordinate = std::string(coordinate);
  items[0].value = std::move(value);
  std::vector<SetItem> none;
  return set_items(none, items, nullptr);
}

Status Vault::set(std::vector<SetItem>& items, const gate::Grant* grant) {
  std::vector<SetItem> none;
  return set_items(items, none, grant);
}

Status Vault::set_with_bookkeeping(std::vector<SetItem>& items, std::vector<SetItem> bookkeeping,
                                   const gate::Grant* grant) {
  for (const auto& b : bookkeeping) {
    if (b.coordinate == policy::kHighEnvsCoordinate) {
      return fail(Errc::internal, "the high-environment list is changed by set_high_envs only");
    }
  }
  return set_items(items, bookkeeping, grant);
}

Status Vault::set_items(std::vector<SetItem>& items, std::vector<SetItem>& internal,
                        const gate::Grant* grant) {
  for (const auto& item : items) {
    KW_TRY(auto coord, parse_coordinate(item.coordinate));
    KW_TRY_STATUS(policy::refuse_reserved(coord.env));
  }
  for (const auto& item : internal) {
    KW_TRY(auto coord, parse_coordinate(item.coordinate));
    if (!policy::is_reserved_env(coord.env)) {
      return fail(Errc::internal, "an internal write outside the reserved environment");
    }
    if (item.tier != Tier::normal) return fail(Errc::internal, "internal records are normal");
  }
  const bool held_high = high_.has_value();
  HighScope scope{high_, high_keys_, high_.has_value()};
  return mutate([&]() -> Status {
    KW_TRY_STATUS(take_high(grant));
    if (!items.empty()) {
      KW_TRY(auto envs, load_high_envs());
      for (auto& item : items) {
        if (!item.default_tier) continue;
        KW_TRY(auto c, parse_coordinate(item.coordinate));
        item.tier = std::find(envs.begin(), envs.end(), c.env) != envs.end() ? Tier::high : Tier::normal;
        item.default_tier = false;
      }
      KW_TRY(auto need, needs_of(items, true));
      for (const auto& c : need) {
        if (granted(grant, c, held_high)) continue;
        const SetItem* it = nullptr;
        for (const auto& i : items) {
          if (i.coordinate == c) it = &i;
        }
        std::string why = c + " needs the presence gate (a touch on a FIDO2/PIV slot) or the "
                              "recovery code: ";
        KW_TRY(auto parsed, parse_coordinate(c));
        if (std::find(envs.begin(), envs.end(), parsed.env) != envs.end()) {
          why += parsed.env + " is a high environment, where every change is gated";
        } else if (it != nullptr && it->tier == Tier::high) {
          why += "writing a high secret needs the high key";
        } else {
          why += "it replaces a high secret (overwriting or downgrading one is gated)";
        }
        return fail(Errc::policy, why);
      }
    }
    for (const auto& item : internal) {
      if (item.coordinate == policy::kHighEnvsCoordinate && has_presence_slot() &&
          !granted(grant, policy::kHighEnvsCoordinate, held_high)) {
        return fail(Errc::policy, "changing the vault's high environments needs the presence "
                                  "gate (a touch on a FIDO2/PIV slot) or the recovery code");
      }
    }
    std::vector<SetItem*> all;
    for (auto& item : items) all.push_back(&item);
    for (auto& item : internal) all.push_back(&item);
    for (SetItem* each : all) {
      SetItem& item = *each;
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

Status Vault::remove(std::string_view coordinate, const gate::Grant* grant) {
  KW_TRY(auto coord, parse_coordinate(coordinate));
  KW_TRY_STATUS(policy::refuse_reserved(coord.env));
  const bool held_high = high_.has_value();
  return mutate([&]() -> Status {
    KW_TRY(auto id, record_id(*keys_, coord.str()));
    KW_TRY(auto old, storage_.read_record(id));
    if (!old) return fail(Errc::not_found, "no secret at " + coord.str());
    if (header_.record_count == 0) return opaque();
    KW_TRY(auto meta, open_index(*old, header_.vault_id, keys_->record));
    if (meta.coordinate != coord.str() || meta.tier != old->tier) return opaque();
    KW_TRY(auto envs, load_high_envs());
    const bool high_env = std::find(envs.begin(), envs.end(), coord.env) != envs.end();
    auto need = policy::may_remove(coord.str(), high_env, meta);
    if (need.grant && (meta.tier == Tier::high || has_presence_slot()) &&
        !granted(grant, coord.str(), held_high)) {
      return fail(Errc::policy, need.why + " (a touch on a FIDO2/PIV slot) or the recovery code");
    }
    xor_into(header_.manifest, manifest_entry(keys_->manifest, *old));
    --header_.record_count;
    return storage_.delete_record(id);
  });
}


Status Vault::check_high_for_new_slot(const std::string& type, bool& gate_needed) const {
  gate_needed = false;
  if (!header_.has_high || high_) return ok();
  // The presence gate's candidates (gate::pass): FIDO2/PIV slots flagged presence-capable that
  // hold the high key.
  const bool gate_possible = std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) {
    return (s.type == SlotType::fido2 || s.type == SlotType::piv) && s.presence_capable() &&
           !s.wrapped_high.empty();
  });
  if (!gate_possible) {
    return fail(Errc::policy, "a " + type + " slot must also hold the high key, and in this vault "
                              "only the recovery code holds it (no FIDO2/PIV slot can pass the "
                              "presence gate): unlock with the recovery code "
                              "(--recovery-code-file FILE or KEYWARD_RECOVERY_CODE) to add it");
  }
  gate_needed = true;
  return ok();
}

Status Vault::add_slot_locked(Slot slot) {
  const SlotHandler* h = slot_handler(slot.type);
  if (h == nullptr) {
    return fail(Errc::unsupported, "slot type '" + std::string(slot_type_name(slot.type)) +
                                       "' is not supported by this keyward build");
  }
  KW_TRY_STATUS(check_slot_label(slot.label));
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

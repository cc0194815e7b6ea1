// SQLite storage of a vault (docs/format-vault.md section 1): WAL, synchronous=FULL, busy timeout,
// IMMEDIATE write transactions. Maps SQLite errors to keyward errors: corruption -> the opaque
// decrypt error, busy -> unavailable ("locked"), full/IO -> io.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/vault/format.h"
#include "core/vault/records.h"

struct sqlite3;

namespace keyward::vault {

struct StoredHeader {
  Bytes body;
  Bytes mac;
};

// Before anything is asked of the user: Errc::not_found when no file is at `path` (the message
// says how to make one), Errc::malformed when the file is not a keyward vault (not an SQLite
// database, or one of another application: its public file header says so, nothing secret).
Status probe_vault_file(const std::string& path);

class Storage {
 public:
  // Opens an existing vault (not_found with an init hint if missing).
  static Result<Storage> open(const std::string& path);
  // Creates a new vault file (already_exists if present).
  static Result<Storage> create(const std::string& path);

  Storage(Storage&& o) noexcept;
  Storage& operator=(Storage&& o) noexcept;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  const std::string& path() const { return path_; }
  // Closes the database now (the object is unusable afterwards).
  void close() noexcept;
  // Checkpoints the write-ahead log into the file and closes it, reporting any failure: the
  // file is then complete on its own (what `init` renames into place).
  Status finish();

  Status create_schema();
  Status begin_read();
  Status begin_write();  // BEGIN IMMEDIATE
  Status commit();
  void rollback() noexcept;

  Result<StoredHeader> read_header();
  Result<std::vector<SlotRow>> read_slots();
  Result<std::optional<RecordRow>> read_record(const Digest& id);
  // Calls fn for every record row; stops at the first error fn returns.
  Status for_each_record(const std::function<Status(RecordRow&&)>& fn);
  Result<std::vector<Bytes>> read_transitions();
  Result<std::uint64_t> count_tier(Tier tier);

  Status write_header(ByteView body, ByteView mac);
  Status put_slot(std::uint32_t number, ByteView body);
  Status delete_slot(std::uint32_t number);
  Status put_record(const RecordRow& row);
  Status delete_record(const Digest& id);
  Status delete_all_records();
  Status add_transition(ByteView body);

  // How long the next statements wait for another writer's lock (ms; lock_timeout_ms() by
  // default): the agent bounds it by a request's deadline.
  void set_busy_timeout(int ms) noexcept;

  // SQLite online backup to a new file.
  Status backup_to(const std::string& dest);

 private:
  Storage(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status exec(const char* sql, std::string_view what);
  Error error(int rc, std::string_view what) const;
  sqlite3* db_ = nullptr;
  std::string path_;
  bool in_tx_ = false;
  bool write_tx_ = false;
};

// The busy timeout in milliseconds ($KEYWARD_LOCK_TIMEOUT_MS, default 10000).
int lock_timeout_ms();

}  // namespace keyward::vault

#include "core/vault/storage.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace keyward::vault {
namespace {

constexpr const char* kSchema = R"sql(
PRAGMA application_id = 1264014897;
PRAGMA user_version = 1;
CREATE TABLE header (id INTEGER PRIMARY KEY CHECK (id = 1), body BLOB NOT NULL, mac BLOB NOT NULL);
CREATE TABLE slots (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE records (id BLOB PRIMARY KEY, tier INTEGER NOT NULL, idx BLOB NOT NULL,
                      body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE transitions (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
)sql";

class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

Bytes column_blob(sqlite3_stmt* s, int col) {
  auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, col));
  int n = sqlite3_column_bytes(s, col);
  return p == nullptr ? Bytes{} : Bytes(p, p + n);
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// SQLite creates -wal and -shm with the vault file's mode at the time. A vault that was
// read-only then (chmod 0400 for a while) leaves read-only side files that make every later
// write fail: give them the vault file's current mode back (when they are ours to change).
void match_side_files(const std::string& path) {
  struct stat db {};
  if (::stat(path.c_str(), &db) != 0) return;
  for (const char* suffix : {"-wal", "-shm"}) {
    std::string side = path + suffix;
    struct stat st {};
    if (::lstat(side.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_uid != ::geteuid() || (st.st_mode & 0777) == (db.st_mode & 0777)) continue;
    ::chmod(side.c_str(), db.st_mode & 0777);
  }
}

}  // namespace

int lock_timeout_ms() {
  if (const char* v = std::getenv("KEYWARD_LOCK_TIMEOUT_MS")) {
    char* end = nullptr;
    long ms = std::strtol(v, &end, 10);
    if (end != v && *end == '\0' && ms >= 0 && ms <= 600000) return static_cast<int>(ms);
  }
  return 10000;
}

Error Storage::error(int rc, std::string_view what) const {
  int primary = rc & 0xff;
  // Only a failure inside a write transaction was "rolled back"; a read that fails (a full disk
  // can stop SQLite from creating its -wal/-shm files) changed nothing because it writes nothing.
  const bool writing = write_tx_ || what == "write" || what == "commit to" || what == "create";
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{Errc::unavailable,
                   "the vault " + path_ + " is locked by another keyward process (waited " +
                       std::to_string(lock_timeout_ms()) + " ms); try again"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_SCHEMA:
    case SQLITE_MISMATCH:
    case SQLITE_CONSTRAINT:
    case SQLITE_ERROR:
      return Error{Errc::decrypt_failed, std::string(kDecryptFailedMessage)};
    case SQLITE_FULL:
      if (!writing) {
        return Error{Errc::io, "cannot " + std::string(what) + " the vault " + path_ +
                                   ": the disk is full (SQLite needs room for the vault's -wal "
                                   "and -shm files even to read); nothing was changed"};
      }
      return Error{Errc::io, "cannot write the vault " + path_ +
                                 ": the disk is full or a file size limit was reached; "
                                 "nothing was changed"};
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN: {
      // Name the file that is in the way: SQLite reports a read-only -wal/-shm as the vault.
      std::string culprit = path_;
      for (const char* suffix : {"-wal", "-shm"}) {
        std::string side = path_ + suffix;
        if (::access(side.c_str(), F_OK) == 0 && ::access(side.c_str(), R_OK | W_OK) != 0) {
          culprit = side;
          break;
        }
      }
      return Error{Errc::io, "cannot " + std::string(what) + " the vault " + path_ +
                                 (culprit == path_ ? std::string() : " (" + culprit + " is not writable)") +
                                 ": permission denied or read-only file system"};
    }
    default: {
      std::string msg = "vault " + path_ + ": " + std::string(what) + " failed: " +
                        sqlite3_errstr(rc);
      if (primary == SQLITE_IOERR && !writing) {
        msg += " (disk full or I/O error while reading; nothing was changed)";
      }
      if (primary == SQLITE_IOERR && writing) {
        msg += " (disk full, file size limit or I/O error); the transaction was rolled back and "
               "nothing was changed";
      }
      return Error{Errc::io, msg};
    }
  }
}

static Result<sqlite3*> open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail(Errc::io, "cannot open the vault " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, lock_timeout_ms());
  sqlite3_extended_result_codes(db, 1);
  return db;
}

void Storage::set_busy_timeout(int ms) noexcept {
  if (db_ != nullptr) sqlite3_busy_timeout(db_, ms < 0 ? 0 : ms);
}

Status probe_vault_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return fail(Errc::not_found, "no vault at " + path +
                                       "; create one with `keyward init` (or choose another with "
                                       "--vault / KEYWARD_VAULT)");
    }
    return fail(Errc::io, "cannot open the vault " + path + ": " + std::strerror(errno));
  }
  std::uint8_t head[100] = {};
  ssize_t n = 0;
  do {
    n = ::pread(fd, head, sizeof head, 0);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n < 0) return fail(Errc::io, "cannot read the vault " + path + ": " + std::strerror(errno));
  static constexpr char kSqliteMagic[] = "SQLite format 3";  // and its NUL: 16 bytes
  const bool sqlite = n == static_cast<ssize_t>(sizeof head) &&
                      std::memcmp(head, kSqliteMagic, sizeof kSqliteMagic) == 0;
  if (!sqlite) {
    if (n == 0) {
      return fail(Errc::malformed, path + " is an empty file, not a keyward vault; check the "
                                          "--vault path (or remove it and run `keyward init`)");
    }
    return fail(Errc::malformed, path + " is not a keyward vault (not a database at all); check "
                                        "the --vault path");
  }
  const std::uint32_t app = (std::uint32_t{head[68]} << 24) | (std::uint32_t{head[69]} << 16) |
                            (std::uint32_t{head[70]} << 8) | std::uint32_t{head[71]};
  if (app != kApplicationId) {
    return fail(Errc::malformed, path + " is not a keyward vault (an SQLite database of another "
                                        "application); check the --vault path");
  }
  return ok();
}

Result<Storage> Storage::open(const std::string& path) {
  if (!file_exists(path)) {
    return fail(Errc::not_found, "no vault at " + path +
                                     "; create one with `keyward init` (or choose another with "
                                     "--vault / KEYWARD_VAULT)");
  }
  match_side_files(path);
  KW_TRY(sqlite3 * db, open_db(path, SQLITE_OPEN_READWRITE));
  Storage s(db, path);
  // journal_mode=WAL is persistent in the file; setting it again is cheap and repairs nothing.
  KW_TRY_STATUS(s.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;", "open"));
  {
    Stmt st;
    int rc = sqlite3_prepare_v2(db, "PRAGMA application_id", -1, st.out(), nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(s.error(rc, "read"));
    rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) return tl::unexpected(s.error(rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, "read"));
    if (static_cast<std::uint32_t>(sqlite3_column_int64(st.get(), 0)) != kApplicationId) {
      return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
    }
  }
  return s;
}

Result<Storage> Storage::create(const std::string& path) {
  if (file_exists(path)) {
    return fail(Errc::already_exists,
                "a vault already exists at " + path + "; refusing to overwrite it");
  }
  // Created here, mode 0600 from the start and never over an existing file; SQLite then opens
  // the empty file as a new database.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(Errc::already_exists,
                  "a vault already exists at " + path + "; refusing to overwrite it");
    }
    return fail(Errc::io, "cannot create " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
  auto db = open_db(path, SQLITE_OPEN_READWRITE);
  if (!db) {
    ::unlink(path.c_str());
    return tl::unexpected(db.error());
  }
  Storage s(*db, path);
  KW_TRY_STATUS(s.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", "create"));
  return s;
}

Storage::Storage(Storage&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)),
      path_(std::move(o.path_)),
      in_tx_(o.in_tx_),
      write_tx_(o.write_tx_) {}

Storage& Storage::operator=(Storage&& o) noexcept {
  if (this != &o) {
    if (db_ != nullptr) sqlite3_close(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
    in_tx_ = o.in_tx_;
    write_tx_ = o.write_tx_;
  }
  return *this;
}

Storage::~Storage() { close(); }

Status Storage::finish() {
  if (db_ == nullptr) return ok();
  if (in_tx_) rollback();
  // Move everything from the log into the file, so the file alone is the whole vault.
  int rc = sqlite3_exec(db_, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Error e = error(rc, "write");
    close();
    return tl::unexpected(e);
  }
  rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    Error e = error(rc, "write");
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return tl::unexpected(e);
  }
  db_ = nullptr;
  if (file_exists(path_ + "-wal")) {
    return fail(Errc::io, "cannot finish writing " + path_ + ": its write-ahead log could not be "
                          "folded into the file");
  }
  return ok();
}

void Storage::close() noexcept {
  if (db_ == nullptr) return;
  if (in_tx_) rollback();
  sqlite3_close(db_);
  db_ = nullptr;
}

Status Storage::exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, what));
  return ok();
}

Status Storage::create_schema() { return exec(kSchema, "create"); }

Status Storage::begin_read() {
  KW_TRY_STATUS(exec("BEGIN DEFERRED", "read"));
  in_tx_ = true;
  write_tx_ = false;
  return ok();
}

Status Storage::begin_write() {
  KW_TRY_STATUS(exec("BEGIN IMMEDIATE", "write"));
  in_tx_ = true;
  write_tx_ = true;
  return ok();
}

Status Storage::commit() {
  int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Error e = error(rc, "commit to");
    rollback();
    return tl::unexpected(e);
  }
  in_tx_ = false;
  write_tx_ = false;
  return ok();
}

void Storage::rollback() noexcept {
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  in_tx_ = false;
  write_tx_ = false;
}

Status Storage::add_transition(ByteView body) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "INSERT INTO transitions(body) VALUES (?1)", -1, st.out(),
                              nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Result<StoredHeader> Storage::read_header() {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT body, mac FROM header WHERE id = 1", -1, st.out(),
                              nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "read"));
  rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return opaque();
  if (rc != SQLITE_ROW) return tl::unexpected(error(rc, "read"));
  StoredHeader h{column_blob(st.get(), 0), column_blob(st.get(), 1)};
  return h;
}

Result<std::vector<SlotRow>> Storage::read_slots() {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT id, body FROM slots ORDER BY id", -1, st.out(), nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "read"));
  std::vector<SlotRow> out;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    sqlite3_int64 id = sqlite3_column_int64(st.get(), 0);
    if (id < 1 || id > 0xffffffffLL) return opaque();
    out.push_back(SlotRow{static_cast<std::uint32_t>(id), column_blob(st.get(), 1)});
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "read"));
  return out;
}

static Result<RecordRow> row_from(sqlite3_stmt* s) {
  RecordRow r;
  Bytes id = column_blob(s, 0);
  sqlite3_int64 tier = sqlite3_column_int64(s, 1);
  if (id.size() != 32 || (tier != 0 && tier != 1)) return opaque();
  r.id = to_array<32>(id);
  r.tier = static_cast<Tier>(tier);
  r.idx = column_blob(s, 2);
  r.body = column_blob(s, 3);
  return r;
}

Result<std::optional<RecordRow>> Storage::read_record(const Digest& id) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT id, tier, idx, body FROM records WHERE id = ?1", -1,
                              st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 1, id.data(), 32, SQLITE_STATIC);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "read"));
  rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::optional<RecordRow>{};
  if (rc != SQLITE_ROW) return tl::unexpected(error(rc, "read"));
  KW_TRY(auto row, row_from(st.get()));
  return std::optional<RecordRow>(std::move(row));
}

Status Storage::for_each_record(const std::function<Status(RecordRow&&)>& fn) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT id, tier, idx, body FROM records", -1, st.out(),
                              nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "read"));
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    KW_TRY(auto row, row_from(st.get()));
    KW_TRY_STATUS(fn(std::move(row)));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "read"));
  return ok();
}

Result<std::vector<Bytes>> Storage::read_transitions() {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT body FROM transitions ORDER BY seq", -1, st.out(),
                              nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "read"));
  std::vector<Bytes> out;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back(column_blob(st.get(), 0));
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "read"));
  return out;
}

Result<std::uint64_t> Storage::count_tier(Tier tier) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "SELECT count(*) FROM records WHERE tier = ?1", -1, st.out(),
                              nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(st.get(), 1, static_cast<int>(tier));
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_ROW) return tl::unexpected(error(rc, "read"));
  return static_cast<std::uint64_t>(sqlite3_column_int64(st.get(), 0));
}

Status Storage::write_header(ByteView body, ByteView mac) {
  Stmt st;
  int rc = sqlite3_prepare_v2(
      db_, "INSERT OR REPLACE INTO header(id, body, mac) VALUES (1, ?1, ?2)", -1, st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 1, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 2, mac.data(), static_cast<int>(mac.size()), SQLITE_TRANSIENT);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Status Storage::put_slot(std::uint32_t number, ByteView body) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO slots(id, body) VALUES (?1, ?2)", -1,
                              st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st.get(), 1, number);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Status Storage::delete_slot(std::uint32_t number) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "DELETE FROM slots WHERE id = ?1", -1, st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st.get(), 1, number);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Status Storage::put_record(const RecordRow& row) {
  Stmt st;
  int rc = sqlite3_prepare_v2(
      db_, "INSERT OR REPLACE INTO records(id, tier, idx, body) VALUES (?1, ?2, ?3, ?4)", -1,
      st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 1, row.id.data(), 32, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_int(st.get(), 2, static_cast<int>(row.tier));
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 3, row.idx.data(), static_cast<int>(row.idx.size()), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 4, row.body.data(), static_cast<int>(row.body.size()), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Status Storage::delete_record(const Digest& id) {
  Stmt st;
  int rc = sqlite3_prepare_v2(db_, "DELETE FROM records WHERE id = ?1", -1, st.out(), nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st.get(), 1, id.data(), 32, SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(st.get());
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, "write"));
  return ok();
}

Status Storage::delete_all_records() { return exec("DELETE FROM records", "write"); }

Status Storage::backup_to(const std::string& dest) {
  if (file_exists(dest)) {
    return fail(Errc::already_exists, "refusing to overwrite " + dest);
  }
  KW_TRY(sqlite3 * out, open_db(dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  ::chmod(dest.c_str(), 0600);
  sqlite3_backup* b = sqlite3_backup_init(out, "main", db_, "main");
  int rc = b == nullptr ? sqlite3_errcode(out) : SQLITE_OK;
  if (b != nullptr) {
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
  }
  if (rc == SQLITE_DONE || rc == SQLITE_OK) {
    rc = sqlite3_exec(out, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  }
  sqlite3_close(out);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    ::unlink(dest.c_str());
    return fail(Errc::io, "backup to " + dest + " failed: " + sqlite3_errstr(rc));
  }
  return ok();
}

}  // namespace keyward::vault

// Shared helpers for the vault unit tests: a temporary directory, small KDF parameters.
#pragma once

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/vault/vault.h"

namespace keyward::vault::test {

struct TempDir {
  std::string path;
  // Prefers tmpfs (/dev/shm): these tests check logic, not the disk's fsync latency.
  TempDir() {
    std::string base = std::filesystem::temp_directory_path().string();
    if (::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
    std::string tmpl = base + "/kwvault-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline PassphraseParams small_kdf() { return PassphraseParams{1, kMinArgonMemoryKib, 1}; }

inline Credential passphrase(std::string_view p) {
  return Credential{SlotType::passphrase, SecretBytes::copy_of(p)};
}

inline SetItem item(std::string coordinate, std::string_view value) {
  SetItem i;
  i.coordinate = std::move(coordinate);
  i.value = SecretBytes::copy_of(value);
  return i;
}

// Runs one SQL statement on the vault file behind keyward's back (tampering).
inline int raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

}  // namespace keyward::vault::test

// The audit log of one vault on one machine (docs/format-audit.md): an append-only text file of
// hash-chained, MACed entries, `<dir>/<vault id>.log`, and a MACed head record
// `<dir>/<vault id>.head` naming the last entry, so that removing entries from the end is
// detected. Appenders serialise on an exclusive flock of the log file; readers take a shared one.
// Core never prints: verification returns a report for the caller to show.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/audit/entry.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::audit {

// The directory holding audit logs: dir if non-empty, else $XDG_STATE_HOME/keyward/audit, else
// $HOME/.local/state/keyward/audit.
Result<std::string> audit_directory(const std::string& dir);

// A MAC key K_audit with the 16-hex prefix of the master key id it belongs to.
struct MacKey {
  const SecretBytes* key = nullptr;
  std::string id;  // 16 lowercase hex
};
std::string key_prefix(const Digest& key_id);

struct Head {
  VaultId vault_id{};
  std::uint64_t seq = 0;
  Digest hash{};
  std::string key;
  Digest mac{};
};
Result<std::string> encode_head_body(const Head& h);
// Strict parse of the head line (no newline). Errc::malformed.
Result<Head> parse_head(std::string_view line);
Digest head_mac(const SecretBytes& key, const VaultId& vid, std::string_view body);

struct Report {
  bool exists = false;  // a log or head file was found
  std::vector<Entry> entries;
  std::uint64_t head_seq = 0;
  std::size_t mac_verified = 0;  // entries whose own MAC verified under the current key
  std::size_t chain_only = 0;    // entries of earlier master keys, authenticated via the chain
  std::vector<std::string> problems;  // tampering or damage; empty when the log verifies
  std::vector<std::string> notes;     // benign findings (an interrupted append)
  bool ok() const { return exists && problems.empty(); }
};

class Log {
 public:
  Log(std::string dir, const VaultId& vid);
  const std::string& log_file() const { return log_; }
  const std::string& head_file() const { return head_; }

  // Appends one entry at `time` (Unix seconds) MACed under `current`. Before appending, the
  // existing head must verify under `current` (or `previous`, the key the vault had before a
  // re-key by this process) and the log must end where the head says: a log whose last entries
  // were removed, or whose head was deleted, is refused (Errc::integrity) rather than silently
  // continued. Returns the entry written.
  //
  // `is_ancestor(tag)` (optional) says whether a key tag belongs to an earlier master of this
  // vault, proven by the vault's signed transitions: after a re-key on another machine this
  // machine's head was written under a key nobody here holds any more; such a head is accepted
  // unverified (its MAC cannot be checked) and the log continues under the current key
  // (docs/format-audit.md section 6 lists what this leaves undetected).
  //
  // `durable` false (the agent, which answers its client in between): the entry is written to
  // the file (it survives a crash of this process) but neither fdatasync'ed nor named by the
  // head yet; settle() does both, later. Until then the log ends after its head, which append
  // and verify accept as an interrupted append (the entries after the head must verify).
  Result<Entry> append(Event event, std::uint64_t time, const MacKey& current,
                       const MacKey* previous = nullptr,
                       const std::function<bool(std::string_view)>& is_ancestor = {},
                       bool durable = true) const;

  // Completes a non-durable append of `entry` (as append returned it): fdatasync of the log,
  // then, if the log still ends with that entry and the head is behind it, the head. Entries
  // appended by others meanwhile were synced by them (fdatasync covers the whole file).
  Status settle(const Entry& entry, const MacKey& current) const;

  // Reads and checks the whole log: strict parse, sequence numbers, the hash chain, the MAC of
  // every entry written under `current`, key order, and the head. I/O failures are errors;
  // everything found in the files is reported in the Report.
  Result<Report> verify(const MacKey& current) const;

 private:
  std::string dir_, log_, head_;
  VaultId vid_{};
};

}  // namespace keyward::audit

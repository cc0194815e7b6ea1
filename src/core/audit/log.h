// The audit log of one vault on one machine (docs/format-audit.md): an append-only text file of
// hash-chained, MACed entries, `<dir>/<vault id>.log`, and a MACed head record
// `<dir>/<vault id>.head` naming the last entry, so that removing entries from the end is
// detected. Every entry and head is checked under the key its tag names: the current master's
// K_audit or an earlier one from the vault's audit keyring. The vault header anchors where this
// machine's log ended at its last write (AuditAnchor), so deleting, truncating or replacing the
// log is detected against the vault itself. Appenders serialise on an exclusive flock of the log
// file; readers take a shared one. Core never prints: verification returns a report.
#pragma once

#include <array>
#include <cstdint>
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

// Which log an anchor in the vault header names: SHA-256("keyward/audit/v1/machine" ||
// machine id || uid || directory)[0..16] (docs/format-audit.md section 9). The machine id is
// /etc/machine-id (root-owned), else /var/lib/dbus/machine-id, else the host name.
using MachineTag = std::array<std::uint8_t, 16>;
MachineTag machine_tag(const std::string& dir);

// A MAC key K_audit with the 16-hex prefix of the master key id it belongs to.
struct MacKey {
  const SecretBytes* key = nullptr;
  std::string id;  // 16 lowercase hex
};
std::string key_prefix(const Digest& key_id);

// Every K_audit the vault has had: `earlier` in the order the masters were replaced (oldest
// first), then `current`. An entry or head is accepted only under the key its tag names.
struct KeyRing {
  MacKey current;
  std::vector<MacKey> earlier;
  const MacKey* find(std::string_view tag) const;
  // Position of a tag (0 = oldest; earlier.size() = current), or -1 if unknown.
  long rank(std::string_view tag) const;
};

// Where this machine's log ended at the vault's last header write (seq 0: no entry yet).
struct Anchor {
  std::uint64_t seq = 0;
  Digest hash{};
};

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
  std::size_t mac_verified = 0;  // entries whose MAC verified under the current key
  std::size_t earlier_keys = 0;  // entries whose MAC verified under an earlier master's key
  std::uint64_t anchor_seq = 0;  // the vault header's anchor for this machine's log
  std::vector<std::string> problems;  // tampering or damage; empty when the log verifies
  std::vector<std::string> notes;     // benign findings (an interrupted append)
  bool ok() const { return exists && problems.empty(); }
};

class Log {
 public:
  Log(std::string dir, const VaultId& vid);
  const std::string& log_file() const { return log_; }
  const std::string& head_file() const { return head_; }

  // Appends one entry at `time` (Unix seconds) MACed under keys.current. Before appending, the
  // existing head must verify under the key its tag names, the log must end where the head says
  // (entries after it, from an interrupted append, must verify one by one), and the log must
  // reach the vault's `anchor`: a log whose last entries were removed, whose head was deleted or
  // forged, or that was deleted or replaced, is refused (Errc::integrity) rather than silently
  // continued. Returns the entry written.
  //
  // The head is moved to the new entry before this returns, in both modes. `durable` true: the
  // entry is fdatasync'ed before the head names it. `durable` false (the agent, which answers
  // its client in between): the fdatasync is left to settle(); the entry and the head are
  // already in the files, so cutting the entry is detected from the moment this returns.
  Result<Entry> append(Event event, std::uint64_t time, const KeyRing& keys,
                       const std::optional<Anchor>& anchor, bool durable = true) const;

  // Completes a non-durable append: fdatasync of the log and fsync of the directory (the head's
  // rename; the head file itself was synced before it replaced the old one).
  Status settle() const;

  // Reads and checks the whole log: strict parse, sequence numbers, the hash chain, the MAC of
  // every entry under the key its tag names, key order (earlier keys before later ones), the
  // head (MAC under its key, names an entry of the log) and the vault's anchor (the log holds
  // that entry). I/O failures are errors; everything found in the files is in the Report.
  Result<Report> verify(const KeyRing& keys, const std::optional<Anchor>& anchor) const;

  // The last complete entry of the log (seq 0 if there is none): what the vault header anchors.
  Result<Anchor> tail() const;

  // Keeps the log and its head under new names (`<name>.log.<time>.old`, `.head.<time>.old`;
  // `.<time>-N.old` if that second is taken) and leaves an empty log behind: a seq-0 head MACed
  // under the oldest key in `keys`, and no log file, so that the next append starts a new log.
  // Every step leaves files that the next append accepts (when the old log was intact and the
  // vault's anchor is 0, which the caller resets first); an interrupted call is completed by
  // calling it again. Returns the kept name of the log ("" if there was none).
  Result<std::string> set_aside(std::uint64_t time, const KeyRing& keys) const;

 private:
  std::string dir_, log_, head_;
  VaultId vid_{};
};

}  // namespace keyward::audit

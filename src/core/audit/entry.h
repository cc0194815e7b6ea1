// Audit log entries (docs/format-audit.md): the event a command records, its strict one-line
// text encoding, the entry MAC and the chain hash. An entry never holds a secret value: it names
// coordinates, tiers, the slot used, the requesting process and the outcome.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::audit {

using VaultId = std::array<std::uint8_t, 16>;
using Digest = std::array<std::uint8_t, 32>;

inline constexpr std::string_view kEntryMagic = "kwaudit1";
inline constexpr std::string_view kHeadMagic = "kwaudit-head1";
// Longest accepted line, newline excluded (an export of a very large vault fits).
inline constexpr std::size_t kMaxLine = 16u << 20;
inline constexpr std::size_t kMaxDetail = 1024;
inline constexpr std::size_t kMaxArgs = 256;
inline constexpr std::size_t kMaxArg = 4096;

namespace label {
inline constexpr std::string_view kEntry = "keyward/audit/v1/entry";
inline constexpr std::string_view kChain = "keyward/audit/v1/chain";
inline constexpr std::string_view kHead = "keyward/audit/v1/head";
}  // namespace label

enum class Outcome { ok, denied, error };
std::string_view outcome_name(Outcome o);
// The outcome an error class records: denied for refusals (wrong credential, policy, presence,
// PIN blocked), error for everything else.
Outcome outcome_of(Errc code);

// One coordinate (or other named object) an operation touched, with its tier: "normal",
// "high" or "unknown" (the operation did not read the record, e.g. a failed rm).
struct Item {
  std::string name;
  std::string tier = "unknown";
  bool operator==(const Item&) const = default;
};

// Who asked: the requesting process's command line (keyward takes no secret on argv), its
// pid, its parent's pid and name (not the parent's argv, which keyward does not control) and
// its terminal.
struct Requester {
  std::vector<std::string> argv;
  std::uint64_t pid = 0, ppid = 0;
  std::string parent;
  std::string tty;
  bool operator==(const Requester&) const = default;
};
// Reads /proc/<pid>: cmdline, ppid, the parent's comm and the terminal on fd 0, 1 or 2.
// Missing pieces are left empty (a process may have exited); never fails.
Requester describe_process(pid_t pid);

struct Event {
  std::string op;  // [a-z][a-z0-9-]{0,31}: get, run, export, set, rm, import, unlock, ...
  Outcome outcome = Outcome::ok;
  std::vector<Item> items;
  // The slot that unlocked the vault (0 = none); filled in by vault::Vault::audit.
  std::uint32_t slot = 0;
  std::string slot_type;   // [a-z0-9]{0,16}
  std::string slot_label;  // UTF-8 metadata, up to 128 bytes
  Requester requester;
  std::string detail;  // error message or extra context, never a value; up to 1024 bytes
  bool operator==(const Event&) const = default;
};

struct Entry {
  std::uint64_t seq = 0;   // 1, 2, ...
  std::uint64_t time = 0;  // Unix seconds, UTC
  std::string key;         // 16 hex: first 8 bytes of the master key id that MACed it
  Digest prev{};           // chain hash of the previous entry (zeros for entry 1)
  Event event;
  Digest mac{};
};

// Field validation shared by the encoder and the parser.
bool valid_op(std::string_view s);
bool valid_item_name(std::string_view s);
bool valid_tier(std::string_view s);

// The canonical body (everything before " mac="). invalid_argument if a field is out of range.
Result<std::string> encode_body(const Entry& e);
// Body + " mac=" + hex(mac): the full line without its newline.
Result<std::string> encode_line(const Entry& e);
// Strict parse of one line (no newline). Accepts exactly the encoder's output: fixed field
// order, canonical numbers, time and percent-encoding. Errors are Errc::malformed.
Result<Entry> parse_line(std::string_view line);
// The body part of a line that parse_line accepted.
std::string_view line_body(std::string_view line);

// MAC of an entry body: HMAC-SHA-256(K_audit, label || vault id || u32 len || body).
Digest entry_mac(const SecretBytes& key, const VaultId& vid, std::string_view body);
// Chain hash of a whole line (without newline): SHA-256(label || line).
Digest chain_hash(std::string_view line);

// Percent-encoding used by the free-text fields (docs/format-audit.md section 3).
std::string pct_encode(std::string_view s);
Result<std::string> pct_decode(std::string_view s);

// RFC 3339 UTC `YYYY-MM-DDTHH:MM:SSZ`.
std::string format_time(std::uint64_t unix_seconds);
Result<std::uint64_t> parse_time(std::string_view text);
// `--since` values: an RFC 3339 UTC time, a date `YYYY-MM-DD` (midnight UTC), or a relative age
// `N` followed by s, m, h or d (counted back from now).
Result<std::uint64_t> parse_since(std::string_view text, std::uint64_t now);

}  // namespace keyward::audit

// The unlock agent's wire protocol (docs/agent.md). One request and one response per connection,
// each one frame:
//   u32 big-endian CBOR length | u32 big-endian secret length | CBOR map | secret bytes
// The CBOR part (deterministic CBOR, src/core/cbor.h, decoded strictly: unknown or missing keys,
// wrong types and out-of-range values are refused) carries everything that is not secret. The
// secret part (the master key of `add`, record values of `get`/`env`/`set`) is read straight into
// locked memory (SecretBytes) and is described by lengths in the CBOR part, which must add up to
// its size exactly. The master key only ever travels client -> agent (`add`), never back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/package/own_keys.h"
#include "core/vault/vault.h"

namespace keyward::agent {

inline constexpr std::uint64_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxCborSize = 8u << 20;
inline constexpr std::size_t kMaxSecretSize = 64u << 20;
inline constexpr std::size_t kFrameHeaderSize = 8;

enum class Op : std::uint8_t { status, add, get, list, env, set, rm, lock, stop, presence, slots, pubkey, sign, audit, unwrap, seen, unpack };
std::string_view op_name(Op op) noexcept;

// One value of a `set` request; its bytes are the next `len` bytes of the secret part.
struct ItemWire {
  std::string coordinate;
  vault::Tier tier = vault::Tier::normal;
  vault::Kind kind = vault::Kind::value;
  std::size_t len = 0;
  bool default_tier = false;  // no --tier given: the vault's policy decides (high envs -> high)
};

// `presence`: the outcome of the presence gate the client ran for high rows this agent served it
// sealed. The agent writes the audit entry (it holds the audit key; the client does not), names
// the connecting process (SO_PEERCRED) as the requester, and accepts a report only for the exact
// list of rows it served that process (docs/agent.md, "Audit").
struct GateReport {
  std::string purpose;                   // "get", "run", "export" or "package"
  std::vector<std::string> coordinates;  // the gated list: sorted, distinct
  bool passed = false;
  std::uint32_t slot = 0;                // passed: the slot whose device answered (>= 1)
  std::string device;                    // passed: the device the grant names
  Errc code = Errc::internal;            // refused or failed: the gate's error class
  std::string message;                   // refused or failed: its message
};

struct Request {
  Op op = Op::status;
  // Every request but status/stop carries a random id (echoed in the answer) and an absolute
  // deadline on CLOCK_BOOTTIME (ms): the agent applies nothing whose deadline has passed, so a
  // client that gave up can trust that its request will not be applied later.
  std::uint64_t id = 0;
  std::uint64_t deadline_ms = 0;
  bool exporting = false;       // env: for `export` (high environments refuse it, in core)
  bool packaging = false;       // env: for `package` (high and production environments refused)
  bool importing = false;       // set: an `import` (the audit entry's operation and gate purpose)
  std::vector<std::string> allow_vars;  // env (run): loader variables passed anyway, by name
  bool allow_empty = false;     // env: an environment/component without records is no error
  bool signer = false;          // pubkey: the sender key instead of the package identity
  std::string vault;            // absolute vault path (every op but status, stop, lock --all)
  std::string coordinate;       // get, rm
  std::string env;              // env
  std::vector<std::string> components;  // env: sorted, distinct (empty: every component)
  bool all = false;             // lock
  std::uint64_t slot = 0;       // add: the slot the client unlocked with (0: not sent)
  std::uint64_t since = 0;      // audit: only entries at or after this time (Unix seconds)
  bool summary = false;         // audit: the verification only, no entries (--verify)
  std::vector<age::Stanza> stanzas;  // unwrap: a package envelope's stanzas
  std::optional<pubkey::Ed25519Public> sender;  // seen; unpack: a signed package's sender key
  package::PackageId package_id{};  // unpack
  std::uint64_t created = 0;        // unpack: the package's creation time (>= 1)
  bool trusted = false;             // unpack: the sender is the one --from named
  bool allow_older = false;         // unpack: --allow-older
  std::vector<ItemWire> items;  // set, unpack
  std::optional<GateReport> gate;  // presence
  SecretBytes secret;           // add: the 32-byte master key; set: the values, in item order;
                                // sign: the package body (it holds normal values in the clear)
};

// A record in a response; its value is secret[offset, offset + len).
struct RecordWire {
  vault::RecordMeta meta;
  std::size_t offset = 0, len = 0;
};

// High records the agent cannot open (it never holds the high key): the sealed rows plus the
// verified header and slots the client needs to run the presence gate and open them itself.
struct HighWire {
  Bytes header;  // encoded header body (vault::parse_header)
  std::vector<vault::SlotRow> slots;
  std::vector<vault::SealedHigh> rows;
};

// `slots`: the verified header and slot rows of the vault the agent holds (public parts only;
// the wrapped keys in them are sealed), for `slot list`.
struct SlotsWire {
  Bytes header;  // encoded header body (vault::parse_header)
  std::vector<vault::SlotRow> slots;
  std::uint32_t unlocked = 0;  // the slot the vault was unlocked with; 0: not known
};

// `audit`: the agent's verification of the vault's log on this machine, and the entries asked
// for as the log's own lines (docs/format-audit.md; the client parses them with
// audit::parse_line).
struct AuditWire {
  std::string file;
  bool exists = false;
  std::uint64_t total = 0, head = 0, anchor = 0, mac_verified = 0, earlier_keys = 0;
  std::vector<std::string> problems, notes, lines;
};
// The most log lines an answer carries (bytes); more: narrow with --since, or read directly.
inline constexpr std::size_t kMaxAuditAnswer = 6u << 20;

struct VaultStatus {
  std::string path;
  vault::VaultId id{};
  std::uint64_t idle_left_s = 0, max_left_s = 0;
};

struct Response {
  bool ok = true;
  bool locked = false;               // !ok: the agent does not hold this vault (fall back)
  bool needs_grant = false;          // !ok && !locked: refused for want of a presence-gate grant
                                     // (nothing applied); the client may unlock directly
  std::uint64_t id = 0;              // the request's id
  Errc code = Errc::internal;        // !ok && !locked
  std::string message;               // !ok && !locked
  std::vector<RecordWire> records;   // get, env (sorted by coordinate)
  std::vector<vault::RecordMeta> metas;  // list
  std::vector<std::string> withheld;     // env (run): loader variables not passed (coordinates)
  std::optional<HighWire> high;      // get, env
  std::optional<SlotsWire> slot_list;  // slots
  std::optional<package::OwnPublicKey> own_key;  // pubkey: a public key, never a secret
  std::optional<package::BodySignature> signature;  // sign
  std::optional<AuditWire> audit;    // audit
  bool file_key = false;             // unwrap: the secret part is the 16-byte file key
  std::optional<std::uint64_t> seen; // seen: the newest package's creation time, if any
  std::uint64_t pid = 0, idle_ttl_s = 0, max_ttl_s = 0;  // status
  std::vector<VaultStatus> vaults;   // status
  SecretBytes secret;                // record values
};

Response error_response(const Error& e);
Response locked_response();

Bytes encode_request(const Request& r);
// The same with the id and deadline given (the client fills them in per call).
Bytes encode_request(const Request& r, std::uint64_t id, std::uint64_t deadline_ms);
Result<Request> decode_request(ByteView cbor, SecretBytes secret);
Bytes encode_response(const Response& r);
Result<Response> decode_response(ByteView cbor, SecretBytes secret);

struct Frame {
  Bytes cbor;
  SecretBytes secret;
};
// The 8-byte header: lengths, checked against the limits.
Result<std::pair<std::size_t, std::size_t>> parse_frame_header(ByteView header);
// A whole frame held in memory (tests and the fuzz target).
Result<Frame> parse_frame(ByteView data);
Bytes frame_header(std::size_t cbor_size, std::size_t secret_size);

// Socket I/O. Blocking; the caller sets SO_RCVTIMEO/SO_SNDTIMEO so a stuck peer times out
// (unavailable). A peer that closes early: unavailable.
Status write_frame(int fd, ByteView cbor, ByteView secret);
Result<Frame> read_frame(int fd);

// Reads one frame piece by piece from a non-blocking read (MSG_DONTWAIT): read_some() takes
// what has arrived and returns true once the frame is complete. Lets the agent wait for many
// clients at once (a slow one holds up nobody) and a client bound its wait by a deadline.
class FrameReader {
 public:
  Result<bool> read_some(int fd);
  Frame take() { return std::move(frame_); }

 private:
  std::uint8_t head_[kFrameHeaderSize] = {};
  std::size_t got_ = 0;  // bytes of the current part
  int part_ = 0;         // 0 header, 1 cbor, 2 secret, 3 done
  Frame frame_;
};
// read_frame with an absolute deadline on CLOCK_BOOTTIME (ms): unavailable when it passes.
Result<Frame> read_frame_until(int fd, std::uint64_t deadline_ms);

}  // namespace keyward::agent

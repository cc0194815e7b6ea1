// The unlock agent (docs/agent.md): holds unlocked vaults (master key only, in locked memory,
// never the high key, a passphrase or a PIN) and opens and seals normal records for clients of
// its own uid. High records are returned sealed, with the verified header and slots, so the
// client runs the presence gate itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "agent/proto.h"
#include "core/vault/vault.h"

namespace keyward::agent {

inline constexpr std::uint64_t kDefaultIdleTtlS = 15 * 60;
inline constexpr std::uint64_t kDefaultMaxTtlS = 8 * 3600;

struct AgentOptions {
  std::uint64_t idle_ttl_s = kDefaultIdleTtlS;  // sliding: since the vault was last used
  std::uint64_t max_ttl_s = kDefaultMaxTtlS;    // absolute: since it was handed to the agent
  vault::VaultOptions vault_options;
};

// Parses a duration: "90", "90s", "15m", "8h", "1d" (seconds; 1 s .. 30 days).
Result<std::uint64_t> parse_duration(std::string_view text);

// Milliseconds on a clock that keeps counting during suspend (CLOCK_BOOTTIME).
std::uint64_t now_ms();

// The agent's state and request handling, without sockets (unit-testable).
class Agent {
 public:
  explicit Agent(AgentOptions opts) : opts_(std::move(opts)) {}
  Response handle(Request& req, std::uint64_t now);
  // The process id of the client being served (SO_PEERCRED), named as the requester in the
  // vault's audit log; 0 when unknown.
  void set_peer(pid_t pid) { peer_ = pid; }
  // Wipes every vault whose idle or absolute limit has passed.
  void expire(std::uint64_t now);
  // When the next vault expires (ms, same clock), or 0 if none is held.
  std::uint64_t next_expiry() const;
  std::size_t held() const { return vaults_.size(); }
  bool stop_requested() const { return stop_; }
  // Syncs every vault's pending audit entries first (agent stop closes the sync window).
  void wipe_all() {
    for (auto& [path, entry] : vaults_) (void)entry.vault.settle_audit();
    vaults_.clear();
  }
  // After the response has been sent: makes the audit entries the last request wrote durable
  // (fdatasync, then the head); see docs/format-audit.md section 5.
  void settle();

 private:
  // High rows served sealed to a process, waiting for that process to report its gate outcome.
  struct PendingGate {
    pid_t pid = 0;
    Op op = Op::get;
    std::vector<std::string> coordinates;  // sorted
    std::uint64_t until = 0;
  };
  struct Entry {
    vault::Vault vault;
    std::uint64_t added = 0, last_used = 0;
    std::vector<PendingGate> pending;
  };
  Response status(std::uint64_t now) const;
  Response vault_op(Request& req, Entry& e, std::uint64_t now);
  AgentOptions opts_;
  std::map<std::string, Entry> vaults_;  // by absolute vault path
  bool stop_ = false;
  pid_t peer_ = 0;
  std::vector<std::string> unsettled_;  // vaults whose audit log holds entries not yet synced
};

// Runs the agent until `stop`, SIGTERM or SIGINT: on the socket systemd passed (LISTEN_FDS), else
// on a socket it binds at socket_path(). `log` lines (never secrets) go to stderr.
Status serve(const AgentOptions& opts);

}  // namespace keyward::agent

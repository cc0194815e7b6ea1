#include "cli/agent_access.h"

#include "cli/devices.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "agent/client.h"
#include "agent/server.h"
#include "agent/socket.h"
#include "cli/hw_fido2.h"
#include "cli/presence.h"
#include "core/gate/gate.h"

extern char** environ;

namespace keyward::cli {
namespace {

bool env_is(const char* name, std::string_view value) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string_view(v) == value;
}

std::uint64_t env_duration(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  if (v == nullptr || v[0] == '\0') return dflt;
  auto d = agent::parse_duration(v);
  return d ? *d : dflt;
}

// Environment for the agent: ours minus every credential variable (core policy: passphrases,
// identities, recovery codes, PINs, SEALED_ENV_*) and every other KEYWARD_* setting but the
// agent's own and the lock timeout, so the agent never holds a credential.
std::vector<char*> agent_environment() {
  std::vector<char*> out;
  for (char* e : vault::policy::child_environment(environ)) {
    if (e == nullptr) break;
    std::string_view kv(e);
    if (kv.rfind("KEYWARD_", 0) == 0 && kv.rfind("KEYWARD_AGENT_", 0) != 0 &&
        kv.rfind("KEYWARD_LOCK_TIMEOUT_MS=", 0) != 0) {
      continue;
    }
    out.push_back(e);
  }
  out.push_back(nullptr);
  return out;
}

std::string human(std::uint64_t s) {
  if (s >= 3600 && s % 3600 == 0) return std::to_string(s / 3600) + " h";
  if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

void sleep_ms(long ms) {
  struct timespec ts {ms / 1000, (ms % 1000) * 1000000};
  ::nanosleep(&ts, nullptr);
}

// Asks the agent that served the sealed rows to record the gate outcome (op presence). Every
// failure is an error: no agent, a locked vault, a refusal, an unwritable log.
Status report_gate(const std::string& vault_path_abs, agent::GateReport report) {
  KW_TRY(auto sock, agent::socket_path(false));
  agent::Request req;
  req.op = agent::Op::presence;
  req.vault = vault_path_abs;
  req.gate = std::move(report);
  auto resp = agent::call(sock, req, agent::client_timeout_ms());
  if (!resp) {
    return fail(Errc::unavailable, resp.error().code == Errc::not_found
                                       ? "the agent is no longer running"
                                       : resp.error().message);
  }
  if (!resp->ok) {
    if (resp->locked) return fail(Errc::unavailable, "the agent no longer holds the vault (locked or expired)");
    return tl::unexpected(Error{resp->code, resp->message});
  }
  return ok();
}

}  // namespace

bool agent_enabled(const Context& ctx) {
  if (ctx.no_agent) return false;
  const char* v = std::getenv("KEYWARD_NO_AGENT");
  return v == nullptr || v[0] == '\0' || std::string_view(v) == "0";
}

bool credential_given(const UnlockOptions& o) {
  return !o.passphrase_file.empty() || !o.identity_file.empty() || !o.recovery_file.empty() ||
         o.piv.piv || fido2_flag_given();
}

Result<std::optional<agent::Response>> ask_agent(const Context& ctx, const UnlockOptions& o,
                                                 agent::Request& req) {
  if (!agent_enabled(ctx) || credential_given(o)) return std::nullopt;
  configure_devices(ctx, o.piv);  // a presence gate after the agent's answer uses --pin-file too
  KW_TRY(auto path, vault_path(ctx));
  req.vault = vault::absolute_vault_path(path);
  auto sock = agent::socket_path(false);
  if (!sock) {
    info(ctx, "keyward: not using the agent: " + sock.error().message);
    return std::nullopt;
  }
  bool delivered = false;
  auto resp = agent::call(*sock, req, agent::client_timeout_ms(), &delivered);
  const bool changes = req.op == agent::Op::set || req.op == agent::Op::rm;
  if (!resp) {
    if (changes && delivered) {
      // The agent has the request and may still apply it (it applies nothing after the
      // request's deadline, but it may have started before). Doing the change directly now
      // could be overtaken by it: say so instead (issue: an abandoned request applied later).
      return fail(Errc::unavailable,
                  "the agent did not answer in time (" + resp.error().message +
                      "); the change may or may not have been applied: check with `keyward get` "
                      "or `keyward list` before trying again");
    }
    if (resp.error().code != Errc::not_found) {
      info(ctx, "keyward: the agent did not answer (" + resp.error().message +
                    "); unlocking directly");
    }
    return std::nullopt;
  }
  if (!resp->ok) {
    if (resp->locked) return std::nullopt;
    // Nothing was applied; the presence gate runs on the direct path.
    if (resp->needs_grant) return std::nullopt;
    return tl::unexpected(Error{resp->code, resp->message});
  }
  return std::optional<agent::Response>(std::move(*resp));
}

Result<std::uint64_t> start_agent(const std::string& sock, std::uint64_t idle_s, std::uint64_t max_s) {
  std::string idle = std::to_string(idle_s) + "s", max = std::to_string(max_s) + "s";
  std::vector<char*> envp = agent_environment();
  char exe[] = "/proc/self/exe";
  std::vector<std::string> args = {"keyward", "agent", "start", "--foreground", "--idle-ttl", idle,
                                   "--max-ttl", max};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, std::string("cannot start the agent: fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Detach twice (new session, then the grandchild runs) so the agent outlives us and is
    // nobody's zombie; no inherited descriptors but /dev/null.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
    }
    ::close_range(3, ~0U, 0);
    ::execve(exe, argv.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Wait (at most 5 s) until it answers.
  for (int i = 0; i < 1000; ++i) {
    agent::Request req;
    auto r = agent::call(sock, req, 1000);
    if (r && r->ok) return r->pid;
    if (!r && r.error().code != Errc::not_found) return tl::unexpected(r.error());
    sleep_ms(5);
  }
  return fail(Errc::unavailable, "the agent did not come up within 5 s");
}

void hand_to_agent(const Context& ctx, const vault::Vault& v) {
  if (!agent_enabled(ctx)) return;
  auto sock = agent::socket_path(true);
  if (!sock) {
    info(ctx, "keyward: not using the agent: " + sock.error().message);
    return;
  }
  agent::Request req;
  req.op = agent::Op::add;
  req.vault = v.path();
  req.secret = v.master_key().clone();
  int timeout = agent::client_timeout_ms();
  auto r = agent::call(*sock, req, timeout);
  if (!r && r.error().code == Errc::not_found && !env_is("KEYWARD_AGENT_AUTOSTART", "0")) {
    std::uint64_t idle = env_duration("KEYWARD_AGENT_IDLE_TTL", agent::kDefaultIdleTtlS);
    std::uint64_t max = env_duration("KEYWARD_AGENT_MAX_TTL", agent::kDefaultMaxTtlS);
    auto started = start_agent(*sock, idle, max);
    if (!started) {
      info(ctx, "keyward: could not start the agent: " + started.error().message);
      return;
    }
    info(ctx, "Started the keyward agent (pid " + std::to_string(*started) +
                  "): it keeps this vault unlocked for " + human(idle) + " idle, " +
                  human(max) + " at most; `keyward lock` forgets it, --no-agent or "
                  "KEYWARD_NO_AGENT=1 turns it off");
    r = agent::call(*sock, req, timeout);
  }
  if (!r) {
    if (r.error().code != Errc::not_found) {
      info(ctx, "keyward: could not hand the vault to the agent: " + r.error().message);
    }
    return;
  }
  if (!r->ok) {
    info(ctx, "keyward: the agent did not take the vault: " +
                  (r->locked ? std::string("refused") : r->message));
  }
}

Result<std::vector<vault::Record>> open_sealed_high(const Context& ctx, const std::string& vault_path_abs,
                                                    const std::string& purpose,
                                                    const agent::HighWire& high,
                                                    const std::vector<std::string>& also) {
  KW_TRY(auto header, vault::parse_header(high.header));
  std::vector<vault::Slot> slots;
  for (const auto& row : high.slots) {
    KW_TRY(auto s, vault::parse_slot(row.body));
    s.number = row.number;
    slots.push_back(std::move(s));
  }
  std::vector<std::string> coords;
  for (const auto& r : high.rows) coords.push_back(r.meta.coordinate);
  auto grant = presence_gate(ctx, vault_path_abs, purpose, coords, gate::Level::touch, header, slots,
                             0, also);
  // The outcome is recorded by the agent (it holds the audit key); a pass that cannot be
  // recorded releases nothing, as on the direct path (vault_gate).
  agent::GateReport report;
  report.purpose = purpose;
  report.coordinates = coords;
  std::sort(report.coordinates.begin(), report.coordinates.end());
  report.coordinates.erase(std::unique(report.coordinates.begin(), report.coordinates.end()),
                           report.coordinates.end());
  report.passed = grant.has_value();
  if (grant) {
    report.slot = grant->slot();
    report.device = grant->device().empty() ? std::string("a device") : grant->device();
  } else {
    report.code = grant.error().code;
    report.message = grant.error().message.empty() ? std::string("refused") : grant.error().message;
  }
  auto recorded = report_gate(vault_path_abs, std::move(report));
  if (!grant) {
    if (!recorded) {
      std::fprintf(stderr, "keyward: warning: this presence gate failure could not be recorded in "
                           "the audit log: %s\n", recorded.error().message.c_str());
    }
    return tl::unexpected(grant.error());
  }
  if (!recorded) {
    return fail(recorded.error().code, "refused (nothing was released): the agent could not "
                                       "record the presence gate in the audit log: " +
                                       recorded.error().message);
  }
  std::vector<vault::Record> out;
  for (const auto& r : high.rows) {
    KW_TRY(auto rec, gate::open_high_row(r.row, header.vault_id, *grant));
    if (rec.meta.coordinate != r.meta.coordinate) return vault::opaque();
    out.push_back(std::move(rec));
  }
  return out;
}

std::vector<ValueView> record_views(const agent::Response& r) {
  std::vector<ValueView> out;
  for (const auto& rec : r.records) {
    out.push_back(ValueView{&rec.meta, r.secret.view().subspan(rec.offset, rec.len)});
  }
  return out;
}

}  // namespace keyward::cli

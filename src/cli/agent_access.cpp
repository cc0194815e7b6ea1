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

#include "agent/access_client.h"
#include "agent/client.h"
#include "agent/server.h"
#include "agent/socket.h"
#include "cli/hw_fido2.h"
#include "cli/presence.h"
#include "core/access/direct.h"

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

Result<std::unique_ptr<access::Access>> open_access(const Context& ctx, const UnlockOptions& o,
                                                    bool audited_unlock) {
  auto direct = [&ctx, &o, audited_unlock]() -> Result<std::unique_ptr<access::Access>> {
    KW_TRY(auto v, audited_unlock ? open_vault(ctx, o) : open_vault_unaudited(ctx, o));
    return std::unique_ptr<access::Access>(
        std::make_unique<access::Direct>(std::move(v), terminal_presence()));
  };
  if (!agent_enabled(ctx) || credential_given(o)) return direct();
  configure_devices(ctx, o.piv);  // a presence gate after the agent's answer uses --pin-file too
  KW_TRY(auto path, vault_path(ctx));
  auto sock = agent::socket_path(false);
  if (!sock) {
    info(ctx, "keyward: not using the agent: " + sock.error().message);
    return direct();
  }
  return std::unique_ptr<access::Access>(std::make_unique<agent::AgentAccess>(
      *sock, vault::absolute_vault_path(path), terminal_presence(), direct,
      [&ctx](const std::string& line) { info(ctx, line); }));
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

Status give_to_agent(const Context& ctx, const vault::Vault& v, bool autostart) {
  KW_TRY(auto sock, agent::socket_path(true));
  agent::Request req;
  req.op = agent::Op::add;
  req.vault = v.path();
  req.secret = v.master_key().clone();
  req.slot = v.unlocked_slot();
  int timeout = agent::client_timeout_ms();
  auto r = agent::call(sock, req, timeout);
  if (!r && r.error().code == Errc::not_found && autostart) {
    std::uint64_t idle = env_duration("KEYWARD_AGENT_IDLE_TTL", agent::kDefaultIdleTtlS);
    std::uint64_t max = env_duration("KEYWARD_AGENT_MAX_TTL", agent::kDefaultMaxTtlS);
    auto started = start_agent(sock, idle, max);
    if (!started) return fail(started.error().code, "could not start the agent: " + started.error().message);
    info(ctx, "Started the keyward agent (pid " + std::to_string(*started) +
                  "): it keeps this vault unlocked for " + human(idle) + " idle, " +
                  human(max) + " at most; `keyward lock` forgets it, --no-agent or "
                  "KEYWARD_NO_AGENT=1 turns it off");
    r = agent::call(sock, req, timeout);
  }
  if (!r) {
    if (r.error().code == Errc::not_found) {
      return fail(Errc::unavailable, "the keyward agent is not running (start it with `keyward "
                                     "agent start`)");
    }
    return fail(r.error().code, "could not hand the vault to the agent: " + r.error().message);
  }
  if (!r->ok) {
    return fail(r->locked ? Errc::unavailable : r->code,
                "the agent did not take the vault: " + (r->locked ? std::string("refused") : r->message));
  }
  return ok();
}

void hand_to_agent(const Context& ctx, const vault::Vault& v) {
  if (!agent_enabled(ctx)) return;
  auto given = give_to_agent(ctx, v, !env_is("KEYWARD_AGENT_AUTOSTART", "0"));
  // Without auto-start and no agent running, there is nothing to say.
  if (!given && !(env_is("KEYWARD_AGENT_AUTOSTART", "0") && given.error().code == Errc::unavailable &&
                  given.error().message.find("not running") != std::string::npos)) {
    info(ctx, "keyward: " + given.error().message);
  }
}

}  // namespace keyward::cli

// `keyward run --env E [--component C] -- CMD ARGS...`: run CMD with the environment's secrets
// added to its environment (variable name = the KEY part of the coordinate). The same KEY in two
// components is refused (choose one with --component). CMD's exit code is passed through (128+N
// if it is killed by signal N); SIGINT, SIGTERM and SIGHUP are forwarded to it. The secrets exist
// only in locked memory here and in CMD's environment; keyward's own environment is untouched.
// High secrets of the selection are released by ONE pass of the presence gate that shows their
// whole list (cli/presence.h).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/audit_hook.h"
#include "cli/presence.h"
#include "cli/vault_open.h"

extern char** environ;

namespace keyward::cli {
namespace {

struct RunOptions {
  std::string env;
  std::string component;
  std::vector<std::string> command;
  UnlockOptions unlock;
};

volatile sig_atomic_t g_child = 0;

void forward(int sig) {
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
}

// All "KEY=value\0" strings in one locked buffer, with pointers for execvpe.
struct SecretEnv {
  SecretBytes block;
  std::vector<char*> envp;
};

// One secret to pass: its coordinate and a view of its value (in locked memory).
struct EnvValue {
  std::string_view coordinate;
  ByteView value;
};

Result<SecretEnv> build_env(const std::vector<EnvValue>& records) {
  std::map<std::string, const EnvValue*> by_key;
  for (const auto& r : records) {
    auto c = vault::parse_coordinate(r.coordinate);
    if (!c) return tl::unexpected(c.error());
    auto [it, inserted] = by_key.emplace(c->key, &r);
    if (!inserted) {
      return fail(Errc::policy, "the variable " + c->key + " is defined by both " +
                                    std::string(it->second->coordinate) + " and " +
                                    std::string(r.coordinate) + "; choose one with --component");
    }
    if (std::memchr(r.value.data(), 0, r.value.size()) != nullptr) {
      return fail(Errc::invalid_argument, std::string(r.coordinate) +
                                              " contains a NUL byte and cannot be an environment "
                                              "variable");
    }
  }
  std::size_t total = 0;
  for (const auto& [key, rec] : by_key) total += key.size() + 1 + rec->value.size() + 1;
  SecretEnv out;
  out.block = SecretBytes(total == 0 ? 1 : total);
  std::vector<std::size_t> offsets;
  std::size_t pos = 0;
  for (const auto& [key, rec] : by_key) {
    offsets.push_back(pos);
    std::memcpy(out.block.data() + pos, key.data(), key.size());
    pos += key.size();
    out.block.data()[pos++] = '=';
    if (rec->value.size() != 0) std::memcpy(out.block.data() + pos, rec->value.data(), rec->value.size());
    pos += rec->value.size();
    out.block.data()[pos++] = '\0';
  }
  // Inherited variables first, minus the ones the secrets replace.
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && by_key.count(std::string(kv.substr(0, eq))) != 0) continue;
    out.envp.push_back(*e);
  }
  for (auto off : offsets) out.envp.push_back(reinterpret_cast<char*>(out.block.data() + off));
  out.envp.push_back(nullptr);
  return out;
}

Result<int> run_command(const Context& ctx, const RunOptions& o) {
  if (o.command.empty()) return fail(Errc::invalid_argument, "nothing to run: keyward run --env E -- CMD ARGS...");
  if (!vault::valid_env_name(o.env)) return fail(Errc::invalid_argument, "--env must be an environment name like dev");
  KW_TRY_STATUS(refuse_reserved_env(o.env));
  if (!o.component.empty() && !vault::valid_env_name(o.component)) {
    return fail(Errc::invalid_argument, "--component must be a component name like api");
  }
  // Through a warm agent this is one round trip; otherwise a direct unlock.
  std::vector<vault::Record> records;
  std::optional<agent::Response> answer;
  std::vector<EnvValue> values;
  agent::Request req;
  req.op = agent::Op::env;
  req.env = o.env;
  req.component = o.component;
  KW_TRY(answer, ask_agent(ctx, o.unlock, req));
  if (answer) {
    for (const auto& vv : record_views(*answer)) values.push_back(EnvValue{vv.meta->coordinate, vv.value});
    if (answer->high) {
      KW_TRY(records, open_sealed_high(ctx, req.vault, "run", *answer->high));
    }
  } else {
    KW_TRY(auto v, open_vault(ctx, o.unlock));
    KW_TRY(auto grant, high_grant(ctx, v, "run", o.env, o.component));
    KW_TRY(records, audited(v, "run", v.read_env(o.env, o.component, grant ? &*grant : nullptr), {},
                            grant ? "high secrets released through the presence gate by " + grant->device
                                  : std::string()));
  }
  for (const auto& r : records) values.push_back(EnvValue{r.meta.coordinate, r.value.view()});
  KW_TRY(auto env, build_env(values));
  values.clear();
  records.clear();  // wipes the values (SecretBytes)
  answer.reset();

  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {}, old_hup {};
  // Block the forwarded signals around fork so the handler never sees a half-set child id.
  sigset_t block, prev;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &prev);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);

  pid_t pid = ::fork();
  if (pid < 0) {
    sigprocmask(SIG_SETMASK, &prev, nullptr);
    return fail(Errc::io, std::string("cannot fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
    signal(SIGXFSZ, SIG_DFL);
    sigprocmask(SIG_SETMASK, &prev, nullptr);
    ::execvpe(argv[0], argv.data(), env.envp.data());
    int err = errno;
    const char* msg1 = "keyward: cannot run ";
    (void)!::write(2, msg1, std::strlen(msg1));
    (void)!::write(2, argv[0], std::strlen(argv[0]));
    (void)!::write(2, ": ", 2);
    const char* why = std::strerror(err);
    (void)!::write(2, why, std::strlen(why));
    (void)!::write(2, "\n", 1);
    ::_exit(err == ENOENT ? 127 : 126);
  }
  g_child = pid;
  sigprocmask(SIG_SETMASK, &prev, nullptr);
  env.block.clear();  // the child has its own copy until exec replaces it

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(Errc::io, std::string("waitpid: ") + std::strerror(errno));
  }
  g_child = 0;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  (void)ctx;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 70;
}

void add_run_command(CLI::App& app, Context& ctx) {
  static RunOptions o;
  auto* cmd = app.add_subcommand(
      "run", "Run a command with an environment's secrets in its environment "
             "(keyward run --env dev -- CMD ARGS...)");
  cmd->add_option("--env", o.env, "Environment whose secrets to pass, e.g. dev")->required();
  cmd->add_option("--component", o.component, "Only this component's secrets");
  cmd->add_option("command", o.command, "CMD ARGS... (after --)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    auto r = run_command(ctx, o);
    if (!r) return fail_command(ctx, r.error());
    ctx.exit_code = *r;
  });
}

}  // namespace

KEYWARD_COMMAND(80, add_run_command);

}  // namespace keyward::cli

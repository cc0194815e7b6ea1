// `keyward run --env E [--component C] -- CMD ARGS...`: run CMD with the environment's secrets
// added to its environment (variable name = the KEY part of the coordinate). The same KEY in two
// components is refused (choose one with --component). keyward execs CMD in its own process (no
// fork): CMD's exit status and signals are its own (a shell reports 128+N when it is killed by
// signal N), and signals sent to keyward's pid reach CMD. A CMD that cannot be run: 127 (not
// found) or 126. The secrets exist only in locked memory here, then in CMD's environment.
// High secrets of the selection are released by ONE pass of the presence gate that shows their
// whole list (cli/presence.h).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/vault_open.h"

extern char** environ;

namespace keyward::cli {
namespace {

struct RunOptions {
  std::string env;
  std::string component;
  std::vector<std::string> command;
  std::vector<std::string> allow_vars;  // loader variables the user lets through by name
  bool allow_empty = false;             // an environment without records runs CMD with none
  UnlockOptions unlock;
};

// A record whose KEY changes how the command loads code (core policy) is not passed unless the
// user named it with --allow-var (core withholds it): a same-user process that can write a
// normal record must not be able to run code inside the command (and read the high secrets it
// receives).
void say_withheld(std::string_view coordinate, std::string_view key) {
  std::fprintf(stderr, "keyward: not passing %.*s (%.*s): it changes how programs load code; "
                       "`keyward run --allow-var %.*s` passes it\n",
               static_cast<int>(key.size()), key.data(), static_cast<int>(coordinate.size()),
               coordinate.data(), static_cast<int>(key.size()), key.data());
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
  // Inherited variables first, minus the ones the secrets replace and minus keyward's own
  // credentials (passphrase, PINs, recovery code, SEALED_ENV_*): they stay with keyward.
  for (char* e : vault::policy::child_environment(environ)) {
    if (e == nullptr) break;
    std::string_view kv(e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && by_key.count(std::string(kv.substr(0, eq))) != 0) continue;
    out.envp.push_back(e);
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
  // Through a warm agent this is one round trip; otherwise a direct unlock. Core withholds the
  // loader variables not named by --allow-var (neither released nor gated nor recorded) and
  // releases the high records through one pass of the gate whose prompt lists every variable
  // the command receives.
  KW_TRY(auto vault, open_access(ctx, o.unlock));
  KW_TRY(auto read, vault->read_env(access::EnvQuery{o.env, access::components_of(o.component), vault::ReadPurpose::run,
                                                     o.allow_vars, o.allow_empty}));
  for (const auto& c : read.withheld) say_withheld(c, c.substr(c.rfind('/') + 1));
  std::vector<vault::Record> records = std::move(read.records);
  vault.reset();  // closed before CMD runs: no vault descriptor or key outlives this point
  std::vector<EnvValue> values;
  for (const auto& r : records) values.push_back(EnvValue{r.meta.coordinate, r.value.view()});
  KW_TRY(auto env, build_env(values));
  values.clear();
  records.clear();  // wipes the values (SecretBytes)

  std::vector<char*> argv;
  for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // keyward becomes CMD (no fork, no wait): its exit status and signals are CMD's own, and the
  // locked buffers holding the secrets vanish with keyward's image. Every audit entry of this
  // command was written above, before this point. What keyward changed in its own process is
  // put back first: SIGXFSZ, which the vault code ignores (ignored signals survive exec), and
  // buffered output.
  std::fflush(nullptr);
  ::signal(SIGXFSZ, SIG_DFL);
  ::execvpe(argv[0], argv.data(), env.envp.data());
  int err = errno;
  env.block.clear();
  std::fprintf(stderr, "keyward: cannot run %s: %s\n", argv[0], std::strerror(err));
  (void)ctx;
  return err == ENOENT ? 127 : 126;
}

void add_run_command(CLI::App& app, Context& ctx) {
  static RunOptions o;
  auto* cmd = app.add_subcommand(
      "run", "Run a command with an environment's secrets in its environment "
             "(keyward run --env dev -- CMD ARGS...)");
  cmd->add_option("--env", o.env, "Environment whose secrets to pass, e.g. dev")->required();
  cmd->add_option("--component", o.component, "Only this component's secrets");
  cmd->add_option("--allow-var", o.allow_vars,
                  "Pass this loader variable (LD_PRELOAD, BASH_ENV, NODE_OPTIONS, ...; see "
                  "docs/policy.md) if the environment defines it; repeatable. Without it such "
                  "variables are never passed")
      ->allow_extra_args(false);
  cmd->add_flag("--allow-empty", o.allow_empty,
                "Run CMD even if the environment (or component) has no secrets; without it that "
                "is an error naming the known ones (a typo such as --env stagng)");
  cmd->add_option("command", o.command, "CMD ARGS... (after --)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    auto r = run_command(ctx, o);
    if (!r) return fail_command(ctx, r.error());
    ctx.exit_code = *r;
  });
}

}  // namespace

KEYWARD_COMMAND(80, add_run_command, "run");

}  // namespace keyward::cli

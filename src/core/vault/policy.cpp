#include "core/vault/policy.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/vault/format.h"

extern char** environ;

namespace keyward::vault::policy {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.rfind(p, 0) == 0; }

// Exact names (docs/policy.md, "Loader variables").
constexpr std::string_view kLoaderExact[] = {
    // shells
    "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS4", "IFS", "CDPATH",
    "GLOBIGNORE", "ZDOTDIR", "FPATH", "HISTFILE",
    // program lookup and libraries
    "PATH", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF",
    "MALLOC_CHECK_", "MALLOC_TRACE", "GETCONF_DIR", "TZDIR",
    // interpreters and runtimes
    "NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "PERL5OPT", "PERL5LIB", "PERLLIB",
    "PERLIO", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS", "CLASSPATH", "DOTNET_STARTUP_HOOKS", "GIT_EXEC_PATH", "GIT_SSH",
    "GIT_SSH_COMMAND", "GIT_ASKPASS", "SSH_ASKPASS", "EDITOR", "VISUAL", "PAGER", "LESSOPEN",
    "LESSCLOSE", "BROWSER", "TCLLIBPATH", "LUA_INIT", "LUA_PATH", "LUA_CPATH", "R_PROFILE",
    "R_PROFILE_USER", "PHPRC", "PHP_INI_SCAN_DIR", "OPENSSL_CONF", "OPENSSL_ENGINES",
    "SSLKEYLOGFILE", "GEM_PATH", "GEM_HOME", "BUNDLE_GEMFILE", "GOFLAGS", "CARGO_HOME",
    "RUSTC_WRAPPER", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONINSPECT",
    "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONWARNINGS", "PYTHONBREAKPOINT",
    "PYTHONPLATLIBDIR", "PYTHONSAFEPATH", "GTK_MODULES", "GTK_PATH", "GIO_MODULE_DIR",
    "QT_PLUGIN_PATH", "GST_PLUGIN_PATH", "LIBGL_DRIVERS_PATH", "ELECTRON_RUN_AS_NODE",
};
// Prefixes.
constexpr std::string_view kLoaderPrefix[] = {
    "LD_", "DYLD_", "BASH_FUNC_", "GLIBC_", "MALLOC_", "GCONV_", "PERL5",
};

}  // namespace

std::vector<std::string> default_high_envs() { return {"prod", "production"}; }

bool is_reserved_env(std::string_view env) noexcept { return env == kReservedEnv; }

bool is_reserved_coordinate(std::string_view coordinate) noexcept {
  return coordinate.size() > kReservedEnv.size() && starts_with(coordinate, kReservedEnv) &&
         coordinate[kReservedEnv.size()] == '/';
}

Status refuse_reserved(std::string_view env) {
  if (!is_reserved_env(env)) return ok();
  return fail(Errc::policy, std::string(kReservedEnv) +
                                " holds keyward's own keys and settings (package identity, "
                                "sender key, policy); it is not readable or writable through "
                                "the secret commands");
}

Result<std::vector<std::string>> parse_high_envs(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto comma = text.find(',', pos);
    std::string_view name = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (!valid_env_name(name) || is_reserved_env(name)) {
      return fail(Errc::invalid_argument, "a high environment list is comma-separated environment "
                                          "names (like prod,production); '" +
                                              std::string(name.substr(0, 64)) + "' is not one");
    }
    out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > kMaxHighEnvs) {
    return fail(Errc::invalid_argument, "at most " + std::to_string(kMaxHighEnvs) + " high environments");
  }
  return out;
}

std::string format_high_envs(std::vector<std::string> envs) {
  std::sort(envs.begin(), envs.end());
  envs.erase(std::unique(envs.begin(), envs.end()), envs.end());
  std::string out;
  for (const auto& e : envs) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

bool is_loader_variable(std::string_view name) noexcept {
  for (auto e : kLoaderExact) {
    if (name == e) return true;
  }
  for (auto p : kLoaderPrefix) {
    if (starts_with(name, p)) return true;
  }
  return false;
}

std::vector<std::string> loader_variable_patterns() {
  std::vector<std::string> out;
  for (auto p : kLoaderPrefix) out.push_back(std::string(p) + "*");
  for (auto e : kLoaderExact) out.emplace_back(e);
  return out;
}

bool is_credential_variable(std::string_view name) noexcept {
  if (starts_with(name, "SEALED_ENV_")) return true;
  if (!starts_with(name, "KEYWARD_")) return false;
  constexpr std::string_view exact[] = {"KEYWARD_PASSPHRASE", "KEYWARD_NEW_PASSPHRASE",
                                        "KEYWARD_RECOVERY_CODE", "KEYWARD_IDENTITY",
                                        "KEYWARD_FIDO2_PIN", "KEYWARD_PIV_PIN"};
  for (auto e : exact) {
    if (name == e) return true;
  }
  // Anything that looks like a credential in keyward's namespace (a PUK or management key a
  // wrapper script exports, say).
  for (std::string_view part : {"PASSPHRASE", "_PIN", "_PUK", "SECRET", "RECOVERY", "IDENTITY",
                                "_TOKEN", "_KEY"}) {
    if (name.find(part) != std::string_view::npos) return true;
  }
  return false;
}

std::vector<char*> child_environment(char** env) {
  std::vector<char*> out;
  for (char** e = env; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (is_credential_variable(kv.substr(0, eq))) continue;
    out.push_back(*e);
  }
  out.push_back(nullptr);
  return out;
}

void scrub_credential_environment() {
  std::vector<std::string> names;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (is_credential_variable(kv.substr(0, eq))) names.emplace_back(kv.substr(0, eq));
  }
  for (const auto& n : names) ::unsetenv(n.c_str());
}

Result<WriteNeed> may_replace(std::string_view coordinate, bool high_env,
                              const std::optional<RecordMeta>& old, Tier new_tier) {
  KW_TRY(auto c, parse_coordinate(coordinate));
  WriteNeed need;
  if (high_env && is_loader_variable(c.key)) {
    return fail(Errc::policy, c.key + " changes how programs load code (docs/policy.md, "
                                      "\"Loader variables\"); it is refused in the high "
                                      "environment " + c.env);
  }
  if (high_env) {
    need.grant = true;
    need.why = c.env + " is a high environment: every change there needs the presence gate";
  }
  if (old && old->tier == Tier::high) {
    need.grant = true;
    need.why = std::string(coordinate) + " is a high secret: overwriting " +
                   (new_tier == Tier::normal ? std::string("(and downgrading) ") : std::string()) +
                   "it needs the presence gate";
  }
  if (new_tier == Tier::high && !need.grant) {
    need.grant = true;
    need.why = "writing a high secret needs the high key: the presence gate";
  }
  return need;
}

WriteNeed may_remove(std::string_view coordinate, bool high_env, const RecordMeta& old) {
  WriteNeed need;
  if (old.tier == Tier::high) {
    need.grant = true;
    need.why = std::string(coordinate) + " is a high secret: removing it needs the presence gate";
  } else if (high_env) {
    need.grant = true;
    need.why = "removing a record of a high environment needs the presence gate";
  }
  return need;
}

}  // namespace keyward::vault::policy

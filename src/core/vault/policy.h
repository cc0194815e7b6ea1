// The vault's rules, in one place below every front end (the CLI's direct path and the unlock
// agent alike; docs/policy.md). Vault::set / remove / get / read_env / list apply them inside
// their transaction, so no caller can walk around them:
//   * the reserved environment `keyward.internal` (keyward's own keys and settings) is refused
//     for every public request; only Vault's *_internal functions reach it;
//   * high environments (default `prod` and `production`; per vault, kept as the record
//     keyward.internal/policy/HIGH_ENVS, which the header's manifest and MAC cover) hold their
//     integrity: adding, changing or removing any record there needs a grant of the presence
//     gate for its coordinate, and so does overwriting, downgrading or removing a high record in
//     any environment (may_replace);
//   * variables that change how a program loads code (is_loader_variable) are refused in high
//     environments, and `run` never injects them unless the user names them (--allow-var);
//   * credential variables keyward reads at start-up (is_credential_variable) never reach a
//     child process.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/vault/records.h"

namespace keyward::vault::policy {

inline constexpr std::string_view kReservedEnv = "keyward.internal";
// Where a vault keeps its list of high environments (comma-separated names).
inline constexpr std::string_view kHighEnvsCoordinate = "keyward.internal/policy/HIGH_ENVS";
inline constexpr std::size_t kMaxHighEnvs = 64;
// The list when the vault has none of its own.
std::vector<std::string> default_high_envs();

bool is_reserved_env(std::string_view env) noexcept;
// Refuses the reserved environment (Errc::policy, the one message every path gives).
Status refuse_reserved(std::string_view env);
// True if coordinate names a record of the reserved environment.
bool is_reserved_coordinate(std::string_view coordinate) noexcept;

// Parses/prints the stored list: distinct valid environment names, comma-separated, sorted.
Result<std::vector<std::string>> parse_high_envs(std::string_view text);
std::string format_high_envs(std::vector<std::string> envs);

// Variables that make a program load or run code the user did not ask for: the dynamic loader
// (LD_*), shells (BASH_ENV, ENV, BASH_FUNC_*, PROMPT_COMMAND, SHELLOPTS, PS4, IFS),
// interpreters and runtimes (NODE_OPTIONS, PYTHON*, PERL5*, RUBY*, JAVA_TOOL_OPTIONS, ...).
// docs/policy.md has the list; loader_variable_patterns() returns it for --help and docs.
bool is_loader_variable(std::string_view name) noexcept;
std::vector<std::string> loader_variable_patterns();

// Credential variables keyward reads (KEYWARD_PASSPHRASE, KEYWARD_FIDO2_PIN, KEYWARD_PIV_PIN,
// KEYWARD_RECOVERY_CODE, KEYWARD_IDENTITY, KEYWARD_NEW_PASSPHRASE, SEALED_ENV_*, ...): never
// passed to a child (run, sealed-env exec, the agent, editors).
bool is_credential_variable(std::string_view name) noexcept;
// environ without the credential variables (pointers into environ; nullptr-terminated).
std::vector<char*> child_environment(char** env);
// Removes every credential variable from this process's environment (before exec).
void scrub_credential_environment();

// What a write needs, given the record it replaces (nullopt: a new record).
struct WriteNeed {
  bool grant = false;        // a presence-gate grant covering the coordinate
  std::string why;           // for the message when it is missing
};
// May a write of `new_tier` at `coordinate` (environment high or not) replace `old`? Refusals
// that no grant lifts are errors; otherwise what the write needs. Also used by unpack.
Result<WriteNeed> may_replace(std::string_view coordinate, bool high_env,
                              const std::optional<RecordMeta>& old, Tier new_tier);
// May `coordinate` (with `old`) be removed? What it needs.
WriteNeed may_remove(std::string_view coordinate, bool high_env, const RecordMeta& old);

}  // namespace keyward::vault::policy

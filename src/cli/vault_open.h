// Shared unlock logic for the vault commands: where the vault is, which credential to use, and
// opening it. Credentials, in order of precedence:
//   --identity-file FILE            age identity file (recipient slot)
//   --passphrase-file FILE          passphrase (first line) (passphrase slot)
//   --recovery-code-file FILE       recovery code (recovery slot)
//   KEYWARD_IDENTITY                an age identity (AGE-SECRET-KEY-1...) or the path of a file
//   KEYWARD_PASSPHRASE              the passphrase
//   KEYWARD_RECOVERY_CODE           a recovery code
//   --piv / KEYWARD_UNLOCK=piv     a PIV slot (YubiKey; PIN from --pin-file/KEYWARD_PIV_PIN)
//   otherwise a no-echo passphrase prompt on the terminal.
// Files and environment variables are the automation path (weaker than the prompt: the
// environment is visible to the process's own children and to root, files live on disk).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "cli/hw_piv.h"
#include "core/vault/vault.h"

namespace keyward::cli {

struct UnlockOptions {
  std::string passphrase_file;
  std::string identity_file;
  std::string recovery_file;
  PivUnlockOptions piv;  // --piv, --pin-file, --allow-last-pin-try (cli/hw_piv.h)
};

void add_unlock_options(CLI::App* cmd, UnlockOptions& o);
// The vault path: --vault / KEYWARD_VAULT, else the XDG default.
Result<std::string> vault_path(const Context& ctx);
// Options for the vault (pin directory from the environment).
vault::VaultOptions vault_options();
Result<vault::Credential> obtain_credential(const UnlockOptions& o);
// Opens and unlocks the vault; also makes file-size-limit errors return instead of killing us.
// Records the unlock in the vault's audit log; if that fails, the vault is not handed out.
// When the agent is enabled, the unlocked vault's master key is then handed to it
// (cli/agent_access.h).
Result<vault::Vault> open_vault(const Context& ctx, const UnlockOptions& o);
// The same without the audit entry: only for `keyward audit`, which must be able to show why
// a log no longer accepts entries (it records its unlock itself).
Result<vault::Vault> open_vault_unaudited(const Context& ctx, const UnlockOptions& o);
// The environment `keyward.internal` holds keyward's own keys (the package identity and sender
// key, docs/format-package.md section 7): the secret commands refuse it, `list` hides it.
// The number of the user's secrets in `v` (as `list` counts them: keyward's own records, which
// the header's record count includes, left out), as text; the header's count if the index
// cannot be read (for a message after a change that is already committed).
std::string secrets_count(vault::Vault& v);

inline constexpr std::string_view kReservedEnv = "keyward.internal";
Status refuse_reserved_env(std::string_view env);
// A passphrase for a new slot: from `file` (the command's `option`), the variable `env_name`, else
// prompted for twice on a terminal (without one: an error naming `option` and `env_name`).
// Its strength is estimated (core/passphrase_strength.h): below the floor it is refused (asked
// again on a terminal) unless `allow_weak` (--allow-weak-passphrase); a fair one is accepted
// with a warning on stderr.
Result<SecretBytes> new_passphrase(const std::string& file, const char* option, const char* env_name,
                                   bool allow_weak);
// Adds --allow-weak-passphrase to a command that sets a new passphrase.
void add_weak_passphrase_option(CLI::App* cmd, bool& allow_weak);
// Argon2id parameters from --kdf-time/--kdf-memory(MiB)/--kdf-parallelism.
struct KdfOptions {
  std::uint32_t time = 3;
  std::uint32_t memory_mib = 64;
  std::uint32_t parallelism = 4;
};
void add_kdf_options(CLI::App* cmd, KdfOptions& k);
vault::PassphraseParams kdf_params(const KdfOptions& k);
// Prints a command's error and sets its exit code.
void fail_command(Context& ctx, const Error& e);

}  // namespace keyward::cli

#include "cli/vault_open.h"

#include "core/passphrase_strength.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>

#include "cli/agent_access.h"
#include "cli/audit_hook.h"
#include "cli/devices.h"
#include "cli/hw_fido2.h"
#include "cli/prompt.h"
#include "cli/slot_usage.h"
#include "core/vault/storage.h"

namespace keyward::cli {

void add_unlock_options(CLI::App* cmd, UnlockOptions& o) {
  cmd->add_option("--passphrase-file", o.passphrase_file,
                  "Read the passphrase from FILE (automation; also KEYWARD_PASSPHRASE)");
  cmd->add_option("--identity-file", o.identity_file,
                  "Unlock with the age identity in FILE (also KEYWARD_IDENTITY)");
  cmd->add_option("--recovery-code-file", o.recovery_file,
                  "Unlock with the recovery code in FILE (also KEYWARD_RECOVERY_CODE)");
  add_piv_unlock_options(cmd, o.piv);
  add_fido2_unlock_options(cmd);
}

void add_kdf_options(CLI::App* cmd, KdfOptions& k) {
  cmd->add_option("--kdf-time", k.time, "Argon2id iterations (default 3)");
  cmd->add_option("--kdf-memory", k.memory_mib, "Argon2id memory in MiB (default 64, minimum 8)");
  cmd->add_option("--kdf-parallelism", k.parallelism, "Argon2id lanes (default 4)");
}

vault::PassphraseParams kdf_params(const KdfOptions& k) {
  vault::PassphraseParams p;
  p.t = k.time;
  p.m_kib = k.memory_mib > 1024 ? 0 : k.memory_mib * 1024;  // > 1 GiB fails the range check
  p.p = k.parallelism;
  return p;
}

Result<std::string> vault_path(const Context& ctx) {
  if (!ctx.vault_path.empty()) return ctx.vault_path;
  return vault::default_vault_path();
}

vault::VaultOptions vault_options() { return vault::VaultOptions{}; }

Result<vault::Credential> obtain_credential(const UnlockOptions& o) {
  using vault::Credential;
  using vault::SlotType;
  if (piv_unlock_requested(o.piv)) return Credential{SlotType::piv, SecretBytes{}};
  if (fido2_unlock_requested()) return Credential{SlotType::fido2, SecretBytes{}};
  if (!o.identity_file.empty()) {
    KW_TRY(auto text, read_secret_file(o.identity_file));
    return vault::identity_credential(text.reveal_string());
  }
  if (!o.passphrase_file.empty()) {
    KW_TRY(auto pass, read_secret_file(o.passphrase_file));
    return Credential{SlotType::passphrase, std::move(pass)};
  }
  if (!o.recovery_file.empty()) {
    KW_TRY(auto code, read_secret_file(o.recovery_file));
    return vault::recovery_credential(code.reveal_string());
  }
  if (const char* id = std::getenv("KEYWARD_IDENTITY"); id != nullptr && id[0] != '\0') {
    std::string_view v(id);
    if (v.rfind("AGE-SECRET-KEY-1", 0) == 0) return vault::identity_credential(v);
    KW_TRY(auto text, read_secret_file(std::string(v)));
    return vault::identity_credential(text.reveal_string());
  }
  if (const char* p = std::getenv("KEYWARD_PASSPHRASE"); p != nullptr && p[0] != '\0') {
    return Credential{SlotType::passphrase, SecretBytes::copy_of(std::string_view(p))};
  }
  if (const char* c = std::getenv("KEYWARD_RECOVERY_CODE"); c != nullptr && c[0] != '\0') {
    return vault::recovery_credential(c);
  }
  if (!have_tty()) {
    return fail(Errc::invalid_argument,
                "no credential to unlock the vault: no terminal to prompt on; set "
                "KEYWARD_PASSPHRASE or KEYWARD_IDENTITY, or pass --passphrase-file / "
                "--identity-file / --recovery-code-file");
  }
  KW_TRY(auto pass, prompt_secret("Vault passphrase: "));
  return Credential{SlotType::passphrase, std::move(pass)};
}

namespace {
Result<vault::Vault> open_vault_direct(const Context& ctx, const UnlockOptions& o) {
  // Exceeding RLIMIT_FSIZE must be an error we report (SQLite rolls back), not a signal.
  std::signal(SIGXFSZ, SIG_IGN);
  configure_devices(ctx, o.piv);
  KW_TRY(auto path, vault_path(ctx));
  // The vault is there and is one before a credential is asked for (or a device touched).
  KW_TRY_STATUS(vault::probe_vault_file(vault::absolute_vault_path(path)));
  KW_TRY(auto cred, obtain_credential(o));
  if (cred.type == vault::SlotType::piv || cred.type == vault::SlotType::fido2) {
    cred.devices = command_devices(path);
    auto v = vault::Vault::open(path, cred, vault_options());
    if (!v && v.error().code == Errc::auth_failed) {
      return tl::unexpected(device_unlock_error(cred.type, v.error()));
    }
    if (v) note_slot_device(device_answered(cred.type));
    return v;
  }
  return vault::Vault::open(path, cred, vault_options());
}
}  // namespace

Result<vault::Vault> open_vault_unaudited(const Context& ctx, const UnlockOptions& o) {
  KW_TRY(auto v, open_vault_direct(ctx, o));
  note_slot_used(v);  // `slot list` shows "last used" (cli/slot_usage.h)
  return v;
}

Result<vault::Vault> open_vault(const Context& ctx, const UnlockOptions& o) {
  KW_TRY(auto v, open_vault_unaudited(ctx, o));
  // The unlock is recorded before the agent gets the master key: no entry, no session.
  KW_TRY_STATUS(audit_event(v, "unlock", {}, ok()));
  hand_to_agent(ctx, v);
  return v;
}

Status refuse_reserved_env(std::string_view env) { return vault::policy::refuse_reserved(env); }

namespace {

PassphraseEstimate estimate_new_passphrase(const SecretBytes& p) {
  std::vector<std::string> words = {"keyward", "vault", "secret", "password", "passphrase"};
  for (const char* v : {"USER", "LOGNAME"}) {
    if (const char* u = std::getenv(v); u != nullptr && u[0] != '\0') words.emplace_back(u);
  }
  return estimate_passphrase(p, words);
}

void warn_fair(const PassphraseEstimate& e) {
  if (e.strength != PassphraseStrength::fair) return;
  std::fprintf(stderr, "keyward: warning: the new passphrase is only fair: %s\n", e.advice.c_str());
}

}  // namespace

void add_weak_passphrase_option(CLI::App* cmd, bool& allow_weak) {
  cmd->add_flag("--allow-weak-passphrase", allow_weak,
                "Accept a new passphrase below the strength floor (estimated under 20 bits)");
}

Result<SecretBytes> new_passphrase(const std::string& file, const char* option, const char* env_name,
                                   bool allow_weak) {
  auto checked = [allow_weak](SecretBytes p, const std::string& from) -> Result<SecretBytes> {
    const auto e = estimate_new_passphrase(p);
    if (e.strength == PassphraseStrength::weak && !allow_weak) {
      return fail(Errc::policy, "the new passphrase " + from + " is too weak: " + e.advice +
                                    ". Nothing was changed; --allow-weak-passphrase accepts it "
                                    "anyway");
    }
    warn_fair(e);
    return p;
  };
  if (!file.empty()) {
    KW_TRY(auto p, read_secret_file(file));
    if (p.empty()) return fail(Errc::invalid_argument, "the passphrase in " + file + " is empty");
    return checked(std::move(p), "in " + file);
  }
  if (const char* p = std::getenv(env_name); p != nullptr && p[0] != '\0') {
    return checked(SecretBytes::copy_of(std::string_view(p)), std::string("in ") + env_name);
  }
  if (!have_tty()) {
    return fail(Errc::invalid_argument, std::string("no terminal to ask for the new passphrase; "
                                                    "use ") + option + " FILE or " + env_name);
  }
  NewSecretCheck check;
  if (!allow_weak) {
    check = [](const SecretBytes& p) -> std::optional<std::string> {
      auto e = estimate_new_passphrase(p);
      if (e.strength == PassphraseStrength::weak) return "too weak: " + e.advice;
      return std::nullopt;
    };
  }
  KW_TRY(auto p, prompt_new_secret("passphrase", check));
  warn_fair(estimate_new_passphrase(p));
  return p;
}

void fail_command(Context& ctx, const Error& e) {
  if (!ctx.json) {
    ctx.exit_code = report(e);
    return;
  }
  // --json: the error as one JSON object on stderr (docs/json.md), for scripts that parse it.
  ctx.exit_code = exit_code(e.code);
  nlohmann::json j = {{"error", {{"class", std::string(errc_name(e.code))},
                                 {"exit_code", ctx.exit_code},
                                 {"message", e.message}}}};
  std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

std::string secrets_count(vault::Vault& v) {
  auto metas = v.list();
  return std::to_string(metas ? metas->size() : v.header().record_count);
}

}  // namespace keyward::cli

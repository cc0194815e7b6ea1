#include "cli/cli_doc.h"

#include <memory>

#include "cli/cli.h"

namespace keyward::cli {
namespace {

OptionDoc describe_option(const CLI::Option& opt) {
  OptionDoc d;
  d.positional = !opt.nonpositional();
  if (d.positional) {
    d.names.push_back(opt.get_name());
  } else {
    for (const auto& s : opt.get_snames()) d.names.push_back("-" + s);
    for (const auto& l : opt.get_lnames()) d.names.push_back("--" + l);
  }
  if (d.positional || opt.get_type_size() != 0) d.value = opt.get_type_name();  // else a flag
  d.description = opt.get_description();
  d.required = opt.get_required();
  d.repeatable = opt.get_expected_max() > 1 || opt.get_multi_option_policy() ==
                                                  CLI::MultiOptionPolicy::TakeAll;
  return d;
}

CommandDoc describe_app(const CLI::App& app, const std::string& parent_path) {
  CommandDoc c;
  c.name = app.get_name();
  c.path = parent_path.empty() ? (app.get_parent() == nullptr ? "" : c.name)
                               : parent_path + " " + c.name;
  c.description = app.get_description();
  c.requires_subcommand = app.get_require_subcommand_min() > 0;
  const CLI::Option* help = app.get_help_ptr();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt == help || opt->get_group().empty()) continue;  // -h/--help; hidden options
    auto d = describe_option(*opt);
    (d.positional ? c.positionals : c.options).push_back(std::move(d));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden: _manpage, _complete
    c.subcommands.push_back(describe_app(*sub, c.path));
  }
  return c;
}

}  // namespace

CommandDoc describe_cli() {
  // A parser of its own, with every registrar: the app this process runs was built for one
  // subcommand only (register_all).
  CLI::App app;
  Context ctx;
  configure_app(app, ctx);
  register_all(app, ctx);
  return describe_app(app, "");
}

const std::vector<EnvDoc>& environment_doc() {
  static const std::vector<EnvDoc> table = {
      {"KEYWARD_VAULT", "Vault file, when --vault is not given."},
      {"KEYWARD_PASSPHRASE",
       "Passphrase that unlocks a passphrase slot (instead of the no-echo prompt). Read once; "
       "removed from the environment of commands started by keyward run."},
      {"KEYWARD_NEW_PASSPHRASE",
       "Passphrase for a new passphrase slot (init, slot add), instead of prompting twice."},
      {"KEYWARD_IDENTITY",
       "An age identity (AGE-SECRET-KEY-1...) or the path of an identity file that unlocks an "
       "age recipient slot."},
      {"KEYWARD_RECOVERY_CODE", "A recovery code that unlocks the recovery slot."},
      {"KEYWARD_UNLOCK",
       "piv or fido2: unlock with that device, as if --piv or --fido2 had been given."},
      {"KEYWARD_PIV_PIN", "PIV PIN, instead of the no-echo prompt (see also --pin-file)."},
      {"KEYWARD_PIV_TRUST_CA",
       "PEM file of PIV attestation roots to trust (as --trust-ca)."},
      {"KEYWARD_PIV_TRUST_SIM_CA",
       "PEM file of the device simulator's attestation CA, trusted for tests only and said so "
       "in every message (keyward-hwsim(1))."},
      {"KEYWARD_FIDO2_PIN",
       "FIDO2 PIN for credentials that require user verification (see also --fido2-pin-file)."},
      {"KEYWARD_FIDO2_DEVICES",
       "Comma-separated FIDO2 device paths to use besides those libfido2 finds (for example the "
       "simulator's sockets, keyward-hwsim(1))."},
      {"KEYWARD_NO_AGENT", "1: never use or start the unlock agent (as --no-agent)."},
      {"KEYWARD_AGENT_AUTOSTART", "0: use a running agent, but never start one."},
      {"KEYWARD_AGENT_IDLE_TTL",
       "Idle TTL of an agent started on demand (default 15m; 30s, 15m, 8h, 1d or seconds)."},
      {"KEYWARD_AGENT_MAX_TTL", "Absolute TTL of an agent started on demand (default 8h)."},
      {"KEYWARD_AGENT_SOCKET",
       "The agent's socket (default $XDG_RUNTIME_DIR/keyward/agent.sock, else "
       "/tmp/keyward-UID/agent.sock)."},
      {"KEYWARD_AGENT_TIMEOUT_MS",
       "How long a client waits for the agent, in milliseconds (default 30000)."},
      {"KEYWARD_LOCK_TIMEOUT_MS",
       "How long a writer waits for another writer's vault lock, in milliseconds (default "
       "10000)."},
      {"SEALED_ENV_TOKEN", "sealed-env: a Tier A token (or a u/d token)."},
      {"SEALED_ENV_DEPLOY_TOKEN", "sealed-env: a Tier B deploy token (CI)."},
      {"SEALED_ENV_UNSEAL_TOKEN", "sealed-env: an unseal token for an enterprise file."},
      {"SEALED_ENV_DEPLOY_ID",
       "sealed-env: the current deploy challenge (files with CHALLENGE-BIND=enabled)."},
      {"SEALED_ENV_KEY", "sealed-env: deprecated hex key, used only without a Tier A token."},
      {"SEALED_ENV_SIGNING_KEY",
       "sealed-env: deprecated hex signing key, used only without a Tier A token."},
      {"SEALED_ENV_TOTP_SECRET",
       "sealed-env: deprecated hex TOTP secret, used only without a Tier A token."},
      {"XDG_DATA_HOME", "Base of the default vault path (else ~/.local/share)."},
      {"XDG_STATE_HOME",
       "Base of the state directory: audit log, rollback pins, gate state, slot usage (else "
       "~/.local/state)."},
      {"XDG_RUNTIME_DIR", "Base of the agent's socket directory."},
  };
  return table;
}

const std::vector<FileDoc>& files_doc() {
  static const std::vector<FileDoc> table = {
      {"$XDG_DATA_HOME/keyward/vault.db",
       "The default vault (~/.local/share/keyward/vault.db without XDG_DATA_HOME): one SQLite "
       "file, every record encrypted."},
      {"$XDG_STATE_HOME/keyward/audit",
       "The hash-chained audit log of every release (~/.local/state/keyward/audit)."},
      {"$XDG_STATE_HOME/keyward/pins",
       "Rollback pins: the highest vault revision seen per vault id."},
      {"$XDG_STATE_HOME/keyward/gate", "Presence-gate state (used challenges)."},
      {"$XDG_STATE_HOME/keyward", "Slot usage (last use and device per slot, for slot list)."},
      {"$XDG_RUNTIME_DIR/keyward/agent.sock",
       "The unlock agent's socket (directory 0700, socket 0600)."},
      {"/usr/lib/systemd/user/keyward-agent.socket",
       "systemd user socket unit: systemctl --user enable --now keyward-agent.socket."},
      {"/usr/lib/systemd/user/keyward-agent.service",
       "The agent service it starts on first use."},
      {"/usr/lib/udev/rules.d/70-keyward.rules",
       "Gives the logged-in user access to FIDO2 keys and CCID readers (uaccess)."},
  };
  return table;
}

std::vector<ExitDoc> exit_status_doc() {
  std::vector<ExitDoc> out;
  for (int i = static_cast<int>(Errc::invalid_argument); i <= static_cast<int>(Errc::internal);
       ++i) {
    const auto code = static_cast<Errc>(i);
    const char* meaning = "";
    // No default: a new error class fails to build (-Wswitch -Werror) until it is described.
    switch (code) {
      case Errc::invalid_argument: meaning = "bad usage: unknown option, missing argument, value out of range"; break;
      case Errc::malformed: meaning = "input could not be parsed"; break;
      case Errc::unsupported: meaning = "well-formed input in a format version or algorithm keyward does not support"; break;
      case Errc::decrypt_failed: meaning = "decryption failed (deliberately opaque: wrong key, tampered or corrupted data)"; break;
      case Errc::auth_failed: meaning = "wrong passphrase, identity, recovery code or PIN"; break;
      case Errc::not_found: meaning = "no such vault, record, slot, device or file"; break;
      case Errc::already_exists: meaning = "refusing to overwrite"; break;
      case Errc::integrity: meaning = "integrity check failed: rollback, swapped vault, manifest mismatch, tampered audit log"; break;
      case Errc::policy: meaning = "refused by policy (exporting prod, removing the last slot, ...)"; break;
      case Errc::device: meaning = "device or transport problem: no reader, no card, card removed"; break;
      case Errc::pin_blocked: meaning = "PIN or PUK blocked"; break;
      case Errc::presence: meaning = "touch or user verification refused or timed out"; break;
      case Errc::expired: meaning = "token or package past its lifetime"; break;
      case Errc::replay: meaning = "token or nonce already used"; break;
      case Errc::unavailable: meaning = "a required service is unreachable (pcscd, agent, Redis)"; break;
      case Errc::io: meaning = "file system or operating-system failure"; break;
      case Errc::crypto: meaning = "a cryptographic library call failed unexpectedly (or selftest failed)"; break;
      case Errc::cancelled: meaning = "cancelled at a prompt"; break;
      case Errc::followup_failed: meaning = "the change was made, but a step after it failed (rollback pin not raised, or audit entry not written): nothing to undo"; break;
      case Errc::internal: meaning = "internal error (a bug)"; break;
    }
    out.push_back(ExitDoc{code, meaning});
  }
  return out;
}

}  // namespace keyward::cli

// `keyward slot add|list|rm`: manage the key slots. Adding or removing a slot rewraps only the
// header (its cost does not depend on the number of secrets); `rm --rekey` also rotates the
// master key (offboarding).
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/hw_fido2.h"
#include "cli/presence.h"
#include "cli/prompt.h"
#include "cli/audit_hook.h"
#include "cli/slot_usage.h"
#include "cli/vault_open.h"
#include "core/random.h"
#include "core/vault/slot_fido2.h"

namespace keyward::cli {
namespace {

struct SlotOptions {
  std::string type;
  std::string label;
  std::string recipient;
  std::string new_passphrase_file;
  KdfOptions kdf;
  std::uint32_t number = 0;
  bool rekey = false;
  bool allow_weak = false;
  UnlockOptions unlock;
  PivEnrolOptions piv;  // cli/hw_piv.h
};

Result<std::string> recipient_text(const vault::Slot& s) {
  if (s.type != vault::SlotType::recipient) return std::string();
  return vault::format_age_recipient(s.public_key);
}

Status run_add(const Context& ctx, const SlotOptions& o) {
  auto type = vault::slot_type_from_name(o.type);
  if (!type) {
    return fail(Errc::invalid_argument,
                "unknown slot type '" + o.type + "'; choose passphrase, recipient or recovery");
  }
  if (*type == vault::SlotType::recipient && o.recipient.empty()) {
    return fail(Errc::invalid_argument, "a recipient slot needs --recipient age1...");
  }
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  std::string label = o.label.empty() ? std::string(vault::slot_type_name(*type)) + "-" +
                                            std::to_string(v.header().next_slot)
                                      : o.label;
  // Everything that can fail without a device fails here, before any device is changed or a
  // touch is asked for enrolment: the label, and the high key the new slot must receive (one
  // pass of the presence gate with an existing slot, or a recovery-code unlock).
  KW_TRY_STATUS(v.check_slot_label(label));
  const bool device = *type == vault::SlotType::fido2 || *type == vault::SlotType::piv;
  const bool may_hold_high = *type == vault::SlotType::fido2      ? fido2_enrol_may_hold_high()
                             : *type == vault::SlotType::piv      ? piv_enrol_may_hold_high(o.piv)
                             : *type == vault::SlotType::recovery ? true
                                                                  : false;
  std::optional<gate::Grant> grant;
  if (may_hold_high) {
    bool gate_needed = false;
    if (auto st = v.check_high_for_new_slot(o.type, gate_needed); !st) {
      Error e = st.error();
      if (device) e.message += ". Nothing was changed on any device";
      return tl::unexpected(std::move(e));
    }
    if (gate_needed) {
      auto g = vault_gate(ctx, v, "slot add " + o.type, {}, gate::Level::touch);
      if (!g) {
        Error e = g.error();
        if (device) e.message += ". Nothing was changed on the device to enrol";
        return tl::unexpected(std::move(e));
      }
      grant = std::move(*g);
    }
  }
  std::uint32_t number = 0;
  auto commit = [&](vault::Slot slot) -> Status {
    KW_TRY(number, audited(v, "slot-add", v.add_slot(std::move(slot), grant ? &*grant : nullptr),
                           {}, o.type + " slot '" + label + "'"));
    return ok();
  };
  std::string code;
  switch (*type) {
    case vault::SlotType::passphrase: {
      auto params = kdf_params(o.kdf);
      KW_TRY_STATUS(vault::check_passphrase_params(params));
      KW_TRY(auto pass, new_passphrase(o.new_passphrase_file, "--new-passphrase-file", "KEYWARD_NEW_PASSPHRASE", o.allow_weak));
      KW_TRY(auto slot, vault::new_passphrase_slot(label, pass, params, v.header().vault_id));
      KW_TRY_STATUS(commit(std::move(slot)));
      break;
    }
    case vault::SlotType::recipient: {
      KW_TRY(auto slot, vault::new_recipient_slot(label, o.recipient));
      KW_TRY_STATUS(commit(std::move(slot)));
      break;
    }
    case vault::SlotType::fido2: {
      KW_TRY_STATUS(enrol_fido2_slot(ctx, label, v.header().vault_id, commit));
      break;
    }
    case vault::SlotType::piv: {
      KW_TRY_STATUS(enrol_piv_slot(ctx, o.piv, o.unlock.piv, label, v.header().vault_id, commit));
      break;
    }
    default: {
      KW_TRY(auto rec, vault::new_recovery_slot(label, v.header().vault_id));
      code = std::move(rec.code);
      if (auto stored = commit(std::move(rec.slot)); !stored) {
        secure_wipe(code.data(), code.size());
        return stored;
      }
      break;
    }
  }
  note_slot_enrolled(v.header().vault_id, number);  // the device, for `slot list`
  info(ctx, "Added slot " + std::to_string(number) + " (" + o.type + ", '" + label + "')");
  if (ctx.json) {
    // docs/json.md; a recovery slot's code is part of the answer (shown once, as in the text form).
    nlohmann::json j = {{"slot", number}, {"type", o.type}, {"label", label}};
    print_json_with_secret(j.dump(2), "recovery_code", code);
    return ok();
  }
  if (!code.empty()) {
    std::printf("Recovery code (shown once; write it down and keep it offline):\n\n    %s\n\n",
                code.c_str());
    std::fflush(stdout);
    secure_wipe(code.data(), code.size());
  }
  return ok();
}

Status run_list(const Context& ctx, const SlotOptions& o) {
  // Through the unlock agent when it holds the vault (one unlock per session), else directly.
  KW_TRY(auto access, open_access(ctx, o.unlock));
  KW_TRY(auto listing, access->slots());
  nlohmann::json arr = nlohmann::json::array();
  // Last use and device come from the state directory (cli/slot_usage.h), not from the vault.
  const auto usage = slot_usage(listing.vault_id);
  for (const auto& s : listing.slots) {
    const auto u = usage.find(s.number);
    const std::string last_used = u == usage.end() ? "" : u->second.last_used;
    const std::string device = u == usage.end() ? "" : u->second.device;
    const auto* h = vault::slot_handler(s.type);
    bool presence = h != nullptr && h->presence_capable(s);
    KW_TRY(auto recipient, recipient_text(s));
    if (ctx.json) {
      nlohmann::json j = {{"slot", s.number},
                          {"type", vault::slot_type_name(s.type)},
                          {"label", s.label},
                          {"presence", presence},
                          {"high_key", !s.wrapped_high.empty()},
                          {"enforcement", h != nullptr ? h->enforcement(s) : "unknown"}};
      if (vault::fido2_legacy_high(s)) j["problem"] = legacy_high_problem(s);
      if (!recipient.empty()) j["recipient"] = recipient;
      add_piv_slot_json(s, j);
      add_fido2_slot_json(s, j);
      j["last_used"] = last_used.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_used);
      j["used_now"] = listing.unlocked_slot != 0 && s.number == listing.unlocked_slot;
      if (!device.empty()) j["device"] = device;
      arr.push_back(j);
    } else {
      if (recipient.empty()) recipient = piv_slot_description(s);
      if (recipient.empty()) {
        recipient = fido2_slot_description(s);
        if (!recipient.empty() && !device.empty()) recipient = device + " " + recipient;
      }
      std::printf("%-3u %-11s %-24s%s%s%s  last used %s%s\n      enforced by: %s\n", s.number,
                  std::string(vault::slot_type_name(s.type)).c_str(), s.label.c_str(),
                  presence ? " presence" : "", s.wrapped_high.empty() ? "" : " high-key",
                  listing.unlocked_slot != 0 && s.number == listing.unlocked_slot ? " (used now)" : "",
                  last_used.empty() ? "-" : last_used.c_str(),
                  recipient.empty() ? "" : ("  " + recipient).c_str(),
                  h != nullptr ? h->enforcement(s).c_str() : "unknown");
      if (vault::fido2_legacy_high(s)) {
        std::printf("      PROBLEM: %s\n", legacy_high_problem(s).c_str());
      }
    }
  }
  if (ctx.json) std::printf("%s\n", arr.dump(2).c_str());
  std::fflush(stdout);
  return ok();
}

Status run_rm(const Context& ctx, const SlotOptions& o) {
  KW_TRY(auto v, open_vault(ctx, o.unlock));
  bool rekey = o.rekey;
  // Offer the re-key on a terminal (offboarding); --rekey forces it without asking.
  if (!rekey && ::isatty(0) && have_tty()) {
    rekey = prompt_yes_no("Also rotate the master key and re-encrypt every secret now "
                          "(recommended when someone leaves)?");
  }
  std::optional<gate::Grant> grant;
  if (v.needs_verify() && !v.unlocked_with_recovery()) {
    KW_TRY(grant, vault_gate(ctx, v, "slot rm " + std::to_string(o.number) +
                                         (rekey ? " --rekey" : ""),
                             {}, gate::Level::verify));
  }
  KW_TRY_STATUS(audited(v, "slot-rm", v.remove_slot(o.number, rekey, grant ? &*grant : nullptr), {},
                        "slot " + std::to_string(o.number) + (rekey ? ", re-keyed" : "")));
  if (rekey) hand_to_agent(ctx, v);  // the agent's copy of the old key no longer fits
  info(ctx, "Removed slot " + std::to_string(o.number) +
                (rekey ? "; the master key was rotated and every secret re-encrypted"
                         : ". It may still open old copies or backups of this vault; "
                           "`keyward slot rm --rekey` (or `keyward rotate-master`) re-keys"));
  return ok();
}

void add_slot_command(CLI::App& app, Context& ctx) {
  static SlotOptions o;
  auto* slot = app.add_subcommand("slot", "Manage key slots (add, list, rm)");
  slot->require_subcommand(1);

  auto* add = slot->add_subcommand("add", "Add a slot: passphrase, recipient, recovery, piv or fido2");
  add->add_option("type", o.type, "passphrase | recipient | recovery | piv | fido2")
      ->required();
  add->add_option("--label", o.label, "Local label for management (not secret)");
  add->add_flag("--json", ctx.json, "JSON output: the new slot (docs/json.md)");
  add->add_option("--recipient", o.recipient, "age X25519 public key (age1...) for a recipient slot");
  add->add_option("--new-passphrase-file", o.new_passphrase_file,
                  "Read the new slot's passphrase from FILE (also KEYWARD_NEW_PASSPHRASE)");
  add_kdf_options(add, o.kdf);
  add_weak_passphrase_option(add, o.allow_weak);
  add_piv_enrol_options(add, o.piv);
  add_fido2_enrol_options(add);
  add_unlock_options(add, o.unlock);
  add->callback([&ctx] {
    if (auto r = run_add(ctx, o); !r) fail_command(ctx, r.error());
  });

  auto* list = slot->add_subcommand("list", "List the slots");
  list->add_flag("--json", ctx.json, "JSON output");
  add_unlock_options(list, o.unlock);
  list->callback([&ctx] {
    if (auto r = run_list(ctx, o); !r) fail_command(ctx, r.error());
  });

  auto* rm = slot->add_subcommand("rm", "Remove a slot (refuses the last one)");
  rm->add_option("slot", o.number, "Slot number (see `keyward slot list`)")->required();
  rm->add_flag("--rekey", o.rekey, "Also rotate the master key and re-encrypt every secret");
  add_unlock_options(rm, o.unlock);
  rm->callback([&ctx] {
    if (auto r = run_rm(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(100, add_slot_command, "slot");

}  // namespace keyward::cli

// `keyward pubkey [--qr] [--signer]`: the recipient strings a teammate needs to seal a package
// for you, in the format of an age recipients file (so `keyward pubkey > me.pub` can be passed
// to `keyward package --recipient me.pub`):
//   - the vault's package identity (X25519, kept in the vault; created on first use);
//   - each enrolled YubiKey PIV slot as age1yubikey1..., with touch policy and attestation status.
// --signer prints your sender signing key instead (ssh-ed25519, for `unpack --from`).
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/package_common.h"
#include "cli/vault_open.h"
#include "core/package/package.h"
#include "core/vault/slot_piv.h"

namespace keyward::cli {
namespace {

struct PubkeyOptions {
  bool qr = false;
  bool signer = false;
  UnlockOptions unlock;
};

std::string hex2(std::uint8_t v) {
  static const char* d = "0123456789abcdef";
  return std::string{d[v >> 4], d[v & 15]};
}

Status emit(const PubkeyOptions& o, const std::string& comment, const std::string& line) {
  std::printf("# %s\n%s\n", comment.c_str(), line.c_str());
  std::fflush(stdout);
  if (o.qr) KW_TRY_STATUS(pkg::print_qr(line));
  return ok();
}

// --json (docs/json.md): the same facts as one array (--signer: one object).
void print_json(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2).c_str());
  std::fflush(stdout);
}

Status run_pubkey(const Context& ctx, const PubkeyOptions& o) {
  if (ctx.json && o.qr) return fail(Errc::invalid_argument, "--qr and --json do not go together");
  // Through the unlock agent when it holds the vault, else directly (cli/agent_access.h).
  KW_TRY(auto access, open_access(ctx, o.unlock));
  if (o.signer) {
    KW_TRY(auto key, access->own_public_key(true));
    if (key.created) info(ctx, "Created your package sender key in the vault");
    if (ctx.json) {
      print_json({{"kind", "signer"}, {"key", key.text}});
      return ok();
    }
    return emit(o, "keyward package sender key (give it to recipients for `unpack --from`)", key.text);
  }
  KW_TRY(auto key, access->own_public_key(false));
  if (key.created) info(ctx, "Created the package identity of this vault (kept in the vault)");
  nlohmann::json arr = nlohmann::json::array();
  if (ctx.json) {
    arr.push_back({{"kind", "package-identity"}, {"recipient", key.text}, {"vault", access->label()}});
  } else {
    KW_TRY_STATUS(emit(o, "keyward package identity (vault " + access->label() + ")", key.text));
  }
  KW_TRY(auto listing, access->slots());
  for (const auto& s : listing.slots) {
    if (s.type != vault::SlotType::piv) continue;
    auto info_r = vault::piv_key_info(s);
    if (!info_r) continue;
    auto r = age::PivP256Recipient::from_point(info_r->card_public);
    if (!r) continue;
    if (ctx.json) {
      arr.push_back({{"kind", "piv"},
                     {"recipient", r->to_string()},
                     {"serial", info_r->serial},
                     {"key_ref", hex2(info_r->key_ref)},
                     {"slot", s.number},
                     {"slot_label", s.label},
                     {"touch", std::string(vault::piv_touch_policy_name(info_r->touch))},
                     {"attestation", std::string(vault::piv_attestation_name(info_r->attestation))}});
      continue;
    }
    std::string comment = "YubiKey " + std::to_string(info_r->serial) + " PIV key " +
                          hex2(info_r->key_ref) + " (slot '" + s.label + "'): touch=" +
                          std::string(vault::piv_touch_policy_name(info_r->touch)) +
                          " attestation=" +
                          std::string(vault::piv_attestation_name(info_r->attestation));
    KW_TRY_STATUS(emit(o, comment, r->to_string()));
  }
  if (ctx.json) print_json(arr);
  return ok();
}

void add_pubkey_command(CLI::App& app, Context& ctx) {
  static PubkeyOptions o;
  auto* cmd = app.add_subcommand("pubkey", "Print your package recipient strings for teammates");
  cmd->add_flag("--qr", o.qr, "Also print each as a QR code");
  cmd->add_flag("--signer", o.signer, "Print your package sender (signing) key instead");
  cmd->add_flag("--json", ctx.json, "JSON output (docs/json.md)");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_pubkey(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(77, add_pubkey_command, "pubkey");

}  // namespace keyward::cli

// `keyward unpack --in FILE [--token FILE] [--package-identity FILE | --package-identity-piv SERIAL]
//  [--from KEY] [--dry-run] [--overwrite]`: opens a package (docs/format-package.md) and imports
// it into the vault in one transaction. Re-checks prod, the package and token lifetimes and the
// sender signature; nothing is imported on any error. Identity material comes from a file, the
// vault (the package identity `keyward pubkey` made) or the card, never from argv.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/package_common.h"
#include "cli/prompt.h"
#include "core/age/keys.h"
#include "core/hex.h"
#include "core/package/package.h"
#include "core/random.h"

namespace keyward::cli {
namespace {

struct UnpackOptions {
  std::string in;
  std::string token;
  std::string identity;
  std::uint32_t identity_piv = 0;
  std::string old_identity, old_identity_piv;  // the former names, refused with the new ones
  std::string from;
  bool dry_run = false, overwrite = false, allow_older = false;
  UnlockOptions unlock;
};

Result<pubkey::Ed25519Public> read_from(const std::string& arg) {
  if (arg.rfind("ssh-ed25519 ", 0) == 0) return package::parse_signer(arg);
  // A file as `keyward pubkey --signer > alice.signer` writes it: comment lines (#) and blank
  // lines are skipped; exactly one key line must remain.
  KW_TRY(auto text, pkg::read_small_file(arg, 16384));
  std::string_view all = as_chars(text), key;
  int keys = 0;
  while (!all.empty()) {
    auto nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    key = line;
    ++keys;
  }
  if (keys != 1) {
    return fail(Errc::malformed, "--from " + arg + ": expected one sender key line (as `keyward "
                                 "pubkey --signer` writes), found " + std::to_string(keys));
  }
  return package::parse_signer(key);
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The vault's package identity as an age identity whose unwrap is done by the vault's holder
// (this process or the agent): the private key never comes here.
class HeldIdentity : public age::Identity {
 public:
  explicit HeldIdentity(access::Access& access) : access_(access) {}
  Result<std::optional<SecretBytes>> unwrap(std::span<const age::Stanza> stanzas) override {
    return access_.unwrap_package_key(stanzas);
  }

 private:
  access::Access& access_;
};

// The package's facts, the first members of both `unpack --json` answers (docs/json.md).
nlohmann::json package_facts_json(const package::Payload& p, bool trusted) {
  return {{"package_id", encoding::hex_encode(ByteView(p.package_id))},
          {"env", p.env},
          {"created", p.created},
          {"expires", p.expires},
          {"signer", p.signer ? nlohmann::json(package::signer_to_string(*p.signer)) : nlohmann::json(nullptr)},
          {"trusted_signer", trusted}};
}

Status run_unpack(const Context& ctx, const UnpackOptions& o) {
  if (!o.old_identity.empty() || !o.old_identity_piv.empty()) {
    const bool piv = !o.old_identity_piv.empty();
    return fail(Errc::invalid_argument,
                std::string(piv ? "--identity-piv" : "--identity") + " is now " +
                    (piv ? "--package-identity-piv SERIAL" : "--package-identity FILE") +
                    " (the key the package was sealed to); --identity-file FILE unlocks the vault");
  }
  if (!o.identity.empty() && o.identity_piv != 0) {
    return fail(Errc::invalid_argument, "use either --package-identity or --package-identity-piv");
  }
  KW_TRY(auto file, pkg::read_small_file(o.in, package::kMaxPayloadSize + (1u << 20)));
  std::optional<package::Token> token;
  if (!o.token.empty()) {
    KW_TRY(auto raw, pkg::read_small_file(o.token, 8192));
    SecretBytes secret_raw = SecretBytes::copy_of(ByteView(raw));
    secure_wipe(raw.data(), raw.size());
    KW_TRY(auto t, package::parse_token(secret_raw));
    token = std::move(t);
  }
  std::optional<pubkey::Ed25519Public> from;
  if (!o.from.empty()) {
    KW_TRY(auto f, read_from(o.from));
    from = f;
  }

  // Through the unlock agent when it holds the vault (one unlock per session), else directly.
  KW_TRY(auto access, open_access(ctx, o.unlock));

  // Identities: a file, the card, or the vault's package identity (held by the vault's holder).
  std::vector<std::unique_ptr<age::Identity>> owned;
  std::unique_ptr<hw::PivIdentities> card;
  std::vector<age::Identity*> ids;
  if (!o.identity.empty()) {
    KW_TRY(auto raw, pkg::read_small_file(o.identity, 1u << 20));
    SecretBytes text = SecretBytes::copy_of(ByteView(raw));
    secure_wipe(raw.data(), raw.size());
    auto parsed = age::parse_identities(text.reveal_string());
    if (!parsed) return fail(parsed.error().code, "identity file " + o.identity + ": " + parsed.error().message);
    owned = std::move(*parsed);
    ids = age::pointers(owned);
  } else if (o.identity_piv != 0) {
    KW_TRY(card, pkg::open_card(ctx, o.identity_piv, o.unlock.piv, "open package " + o.in));
    ids = card->identities();
  } else {
    owned.push_back(std::make_unique<HeldIdentity>(*access));
    ids = age::pointers(owned);
  }

  age::Stage stage = age::Stage::none;
  auto opened = package::open(ids, file, &stage);
  if (!opened) {
    if (card && card->last_error()) return tl::unexpected(*card->last_error());
    if (stage == age::Stage::no_match) {
      return fail(Errc::auth_failed, "this package is not addressed to " +
                                         std::string(o.identity.empty() && o.identity_piv == 0
                                                         ? "this vault's package identity"
                                                         : "the given identity") +
                                         " (wrong identity, or it was sealed for someone else)");
    }
    return tl::unexpected(opened.error());
  }
  package::Payload& p = *opened;
  const std::uint64_t now = pkg::unix_now();
  KW_TRY_STATUS(package::check_policy(p, now));

  if (from) {
    if (!p.signer) {
      return fail(Errc::auth_failed, "--from: this package is not signed, so it cannot be from "
                                     "that sender; nothing imported");
    }
    if (!ct_equal(*p.signer, *from)) {
      return fail(Errc::auth_failed, "--from: this package is signed by " +
                                         package::signer_to_string(*p.signer) +
                                         ", not by the given sender; nothing imported");
    }
  }

  // High entries: the token, else the card; else they stay sealed.
  std::vector<package::Entry> high;
  bool high_open = false;
  if (token || (card && !p.high.empty())) {
    if (!p.high.empty() && !o.dry_run) {
      // Before the card asks for a touch: storing them needs the vault's high key.
      KW_TRY(auto listing, access->slots());
      if (!access::has_presence_slot(listing)) {
        return fail(Errc::policy,
                    "this package carries " + plural(p.high.size(), "high secret", "high secrets") +
                        "; storing them needs this vault's high key, which only a presence-capable "
                        "slot gives: enrol one with `keyward slot add piv` or `keyward slot add "
                        "fido2` and retry; nothing imported");
      }
    }
    if (token) {
      // Checked even when the package has no high entries: a wrong or expired token is an error.
      KW_TRY(high, package::open_high_with_token(p, *token, now));
      high_open = true;
    } else {
      auto r = package::open_high_with_card(p, card->identities());
      if (!r) {
        if (card->last_error()) return tl::unexpected(*card->last_error());
        return tl::unexpected(r.error());
      }
      if (*r) {
        high = std::move(**r);
        high_open = true;
      }
    }
  }

  std::map<std::string, vault::Tier> existing;
  {
    KW_TRY(auto index, access->list());
    for (const auto& m : index) existing.emplace(m.coordinate, m.tier);
  }
  auto exists_text = [&](const std::string& c) -> std::string {
    auto it = existing.find(c);
    if (it == existing.end()) return "\tnew";
    return "\texists (" + std::string(vault::tier_name(it->second)) + ")";
  };
  std::vector<const package::Entry*> all;
  for (const auto& e : p.entries) all.push_back(&e);
  for (const auto& e : high) all.push_back(&e);
  std::size_t conflicts = 0;
  for (const auto* e : all) conflicts += existing.count(e->coordinate);
  // Trust is explicit: only a signature by the key --from named counts. A signature by any other
  // key proves nothing (anyone can make a key and sign), so it gets the same WARNING as none,
  // with -q too.
  const bool trusted = from.has_value();  // --from matched (checked above)
  if (p.signer) {
    if (!trusted) {
      std::fprintf(stderr,
                   "WARNING: this package is signed by %s, a key you did not name with --from: "
                   "anyone can sign with a key of their own, so this says nothing about who made "
                   "it. Check the sender's key with them and pass --from.\n",
                   package::signer_to_string(*p.signer).c_str());
    }
  } else {
    std::fprintf(stderr, "WARNING: this package is not signed: anyone who knows your recipient "
                         "key could have made it. Ask the sender for `keyward package --sign`.\n");
  }

  // Replay: per sender key, never an older package than the newest one imported, unless asked
  // (checked here to say when, and again by core in the write).
  if (p.signer && !o.allow_older) {
    KW_TRY(auto seen, access->newest_seen(*p.signer));
    if (seen && p.created < *seen) {
      return fail(Errc::policy,
                  "this package is older than one already imported from the same sender "
                  "(created " + pkg::describe_duration(now - std::min(now, p.created)) +
                      " ago, the newest imported " +
                      pkg::describe_duration(now - std::min(now, *seen)) +
                      " ago): it may be a replay that puts old values back. Pass --allow-older "
                      "to import it anyway; nothing imported");
    }
  }

  if (o.dry_run && ctx.json) {
    // docs/json.md: the package's facts and its entries, sorted as the text form.
    auto exists_json = [&](const std::string& c) -> nlohmann::json {
      auto it = existing.find(c);
      if (it == existing.end()) return nullptr;
      return std::string(vault::tier_name(it->second));
    };
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : p.entries) {
      entries.push_back({{"coordinate", e.coordinate}, {"tier", "normal"},
                         {"kind", std::string(vault::kind_name(e.kind))},
                         {"fingerprint", package::fingerprint(p.package_id, e.value)},
                         {"sealed", false}, {"existing", exists_json(e.coordinate)}});
    }
    for (const auto& h : p.high) {
      nlohmann::json fp = nullptr;
      for (const auto& e : high) {
        if (e.coordinate == h.coordinate) fp = package::fingerprint(p.package_id, e.value);
      }
      entries.push_back({{"coordinate", h.coordinate}, {"tier", "high"},
                         {"kind", std::string(vault::kind_name(h.kind))}, {"fingerprint", fp},
                         {"sealed", fp.is_null()}, {"existing", exists_json(h.coordinate)}});
    }
    nlohmann::json j = package_facts_json(p, trusted);
    j["entries"] = entries;
    std::printf("%s\n", j.dump(2).c_str());
    std::fflush(stdout);
    return ok();
  }
  if (o.dry_run) {
    std::string out;
    for (const auto& e : p.entries) {
      out += e.coordinate + "\tnormal\t" + std::string(vault::kind_name(e.kind)) + "\t" +
             package::fingerprint(p.package_id, e.value) +
             exists_text(e.coordinate) + "\n";
    }
    for (const auto& h : p.high) {
      std::string fp = "sealed";
      for (const auto& e : high) {
        if (e.coordinate == h.coordinate) fp = package::fingerprint(p.package_id, e.value);
      }
      out += h.coordinate + "\thigh\t" + std::string(vault::kind_name(h.kind)) + "\t" + fp +
             exists_text(h.coordinate) + "\n";
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    info(ctx, "Dry run: package for env `" + p.env + "`, expires in " +
                  pkg::describe_duration(p.expires - now) + "; nothing imported");
    return ok();
  }

  if (conflicts > 0 && !o.overwrite) {
    if (!have_tty()) {
      return fail(Errc::already_exists,
                  plural(conflicts, "secret of this package already exists", "secrets of this package already exist") +
                      " in the vault; pass --overwrite to replace them (see --dry-run); nothing imported");
    }
    if (!prompt_yes_no("Overwrite " + plural(conflicts, "existing secret", "existing secrets") +
                       " with the package's values?")) {
      return fail(Errc::cancelled, "not overwriting; nothing imported");
    }
  }

  access::UnpackImport in;
  in.items.reserve(all.size());
  for (auto& e : p.entries) {
    vault::SetItem it;
    it.coordinate = e.coordinate;
    it.tier = vault::Tier::normal;
    it.kind = e.kind;
    it.value = std::move(e.value);
    in.items.push_back(std::move(it));
  }
  for (auto& e : high) {
    vault::SetItem it;
    it.coordinate = e.coordinate;
    it.tier = vault::Tier::high;
    it.kind = e.kind;
    it.value = std::move(e.value);
    in.items.push_back(std::move(it));
  }
  in.package_id = p.package_id;
  in.signer = p.signer;
  in.trusted = trusted;
  in.created = p.created;
  in.allow_older = o.allow_older;
  if (!in.items.empty()) {
    // Core applies set's rules: storing high secrets and replacing a record that is high in the
    // vault pass the presence gate (one pass for all of them); the sender's newest-seen time is
    // written in the same transaction.
    KW_TRY_STATUS(access->unpack(in));
    for (const auto& e : in.items) {
      auto it = existing.find(e.coordinate);
      if (e.tier == vault::Tier::normal && it != existing.end() && it->second == vault::Tier::high) {
        std::fprintf(stderr, "WARNING: %s was a high secret; the package's value replaces it as a "
                             "normal one (you passed the gate for it).\n", e.coordinate.c_str());
      }
    }
  }
  if (ctx.json) {
    // docs/json.md: the package's facts, what was imported, what stays sealed.
    nlohmann::json imported = nlohmann::json::array();
    for (const auto& e : in.items) {
      imported.push_back({{"coordinate", e.coordinate}, {"tier", std::string(vault::tier_name(e.tier))}});
    }
    nlohmann::json sealed = nlohmann::json::array();
    if (!high_open) {
      for (const auto& h : p.high) sealed.push_back(h.coordinate);
    }
    nlohmann::json j = package_facts_json(p, trusted);
    j["imported"] = imported;
    j["sealed"] = sealed;
    std::printf("%s\n", j.dump(2).c_str());
    std::fflush(stdout);
  }
  info(ctx, "Imported " + plural(in.items.size(), "secret", "secrets") + " (" +
                std::to_string(high.size()) + " high) from env `" + p.env + "` into the vault");
  if (!p.high.empty() && !high_open) {
    std::string names;
    for (std::size_t i = 0; i < p.high.size() && i < 5; ++i) names += (i ? ", " : "") + p.high[i].coordinate;
    if (p.high.size() > 5) names += ", ...";
    std::fprintf(stderr,
                 "%s sealed and not imported (%s): high entries open only with the access token "
                 "(--token FILE, delivered separately) or a touch on the recipient's YubiKey "
                 "(--package-identity-piv).\n",
                 plural(p.high.size(), "high entry is", "high entries are").c_str(), names.c_str());
  }
  return ok();
}

void add_unpack_command(CLI::App& app, Context& ctx) {
  static UnpackOptions o;
  auto* cmd = app.add_subcommand("unpack", "Open a package and import it into the vault");
  cmd->add_option("--in", o.in, "Package file (binary or armored)")->required();
  cmd->add_option("--token", o.token, "Access token file (releases the high entries)");
  cmd->add_option("--package-identity", o.identity,
                  "The key the package was sealed to: an age identity file (AGE-SECRET-KEY-1...) "
                  "or an OpenSSH Ed25519 key file; default: this vault's package identity. "
                  "(--identity-file unlocks the vault)");
  cmd->add_option("--package-identity-piv", o.identity_piv,
                  "Open with the YubiKey of this serial (an age1yubikey1... recipient; touch)");
  cmd->add_option("--identity", o.old_identity)->group("");  // renamed: refused with the new name
  cmd->add_option("--identity-piv", o.old_identity_piv)->group("");
  cmd->add_option("--from", o.from,
                  "Require the sender's signature: an ssh-ed25519 public key, or a file holding it");
  cmd->add_flag("--dry-run", o.dry_run, "List coordinates and fingerprints; import nothing");
  cmd->add_flag("--json", ctx.json, "JSON output: the entries (--dry-run) or what was imported (docs/json.md)");
  cmd->add_flag("--overwrite", o.overwrite, "Replace existing secrets without asking");
  cmd->add_flag("--allow-older", o.allow_older,
                "Import a package older than the newest one already imported from its sender");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_unpack(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(76, add_unpack_command, "unpack");

}  // namespace keyward::cli

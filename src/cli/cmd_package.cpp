// `keyward package --env E [--component C]... --recipient R... --out FILE --token-out FILE
//  [--ttl 24h] [--token-ttl D] [--sign] [--armor] [--qr]`: seals an environment to one teammate
// (docs/format-package.md). Production is refused; cloud references travel as their addresses;
// high entries open only with the separately delivered access token or the recipient's YubiKey.
#include <sys/stat.h>

#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "cli/agent_access.h"
#include "cli/cli.h"
#include "cli/package_common.h"
#include "core/hex.h"
#include "core/package/package.h"

namespace keyward::cli {
namespace {

struct PackageOptions {
  std::string env;
  std::vector<std::string> components;
  std::vector<std::string> recipients;
  std::string out, token_out;
  std::string ttl = "24h";
  std::string token_ttl;
  bool sign = false, armor = false, binary = false, qr = false, force = false;
  UnlockOptions unlock;
};

// Armored text at most this long fits one QR code (version 40, level L, byte mode: 2953).
constexpr std::size_t kQrMax = 2900;

Status run_package(const Context& ctx, const PackageOptions& o) {
  if (!vault::valid_env_name(o.env)) {
    return fail(Errc::invalid_argument, "--env must be an environment name like dev");
  }
  // Core refuses these too (package::may_package, in the vault read and in seal); said here
  // first so that no credential is asked for a package that cannot be made.
  KW_TRY_STATUS(package::may_package(o.env));
  for (const auto& c : o.components) {
    if (!vault::valid_env_name(c)) return fail(Errc::invalid_argument, "--component '" + c + "' is not a component name");
  }
  if (!o.token_out.empty() && o.out == o.token_out) {
    return fail(Errc::invalid_argument, "--out and --token-out must be different files: they travel separately");
  }
  if (o.qr && !o.armor) return fail(Errc::invalid_argument, "--qr needs --armor (QR codes carry text)");
  if (o.qr && ctx.json) return fail(Errc::invalid_argument, "--qr and --json do not go together");
  KW_TRY(auto ttl, pkg::parse_duration(o.ttl));
  std::uint64_t token_ttl = ttl;
  if (!o.token_ttl.empty()) {
    KW_TRY(token_ttl, pkg::parse_duration(o.token_ttl));
  }
  if (ttl == 0 || ttl > package::kMaxTtl) return fail(Errc::invalid_argument, "--ttl must be between 1s and 30d");
  if (token_ttl == 0 || token_ttl > ttl) {
    return fail(Errc::invalid_argument, "--token-ttl must be between 1s and the package --ttl");
  }
  pkg::Recipients recipients;
  for (const auto& r : o.recipients) KW_TRY_STATUS(pkg::add_recipient_arg(recipients, r));
  if (recipients.all.empty()) return fail(Errc::invalid_argument, "--recipient is required");

  // Checks that need neither the vault nor a device come first: an existing output file is
  // refused before any credential is asked or any touch (issue 18).
  for (const auto* path : {&o.out, &o.token_out}) {
    struct stat st {};
    if (!path->empty() && !o.force && ::stat(path->c_str(), &st) == 0) {
      return fail(Errc::already_exists, *path + " exists; remove it, choose another path or pass --force");
    }
  }
  if (o.qr && o.binary) return fail(Errc::invalid_argument, "--qr needs the armored token (drop --binary)");

  // Through the unlock agent when it holds the vault, else directly (cli/agent_access.h).
  KW_TRY(auto access, open_access(ctx, o.unlock));
  std::set<std::string> wanted(o.components.begin(), o.components.end());
  // The index (no value) says which entries are high before any touch.
  KW_TRY(auto index, access->list());
  std::vector<std::string> high_coords;
  for (const auto& m : index) {
    auto c = vault::parse_coordinate(m.coordinate);
    if (!c || c->env != o.env || (!wanted.empty() && !wanted.count(c->component))) continue;
    if (m.tier == vault::Tier::high) high_coords.push_back(m.coordinate);
  }
  // High entries open only with the access token (or a recipient's YubiKey): said before the
  // touch. Without high entries no token is made (nothing would need it).
  if (!high_coords.empty() && o.token_out.empty()) {
    return fail(Errc::invalid_argument,
                std::to_string(high_coords.size()) + " high entr" +
                    (high_coords.size() == 1 ? "y" : "ies") + " of " + o.env +
                    " would be packaged; they open only with an access token: pass --token-out "
                    "FILE (delivered separately), or --component to leave them out");
  }
  // One release in core: a high or production environment and a mistyped environment or
  // component are refused there (before any touch); high secrets come through ONE pass of the
  // presence gate whose prompt lists them; the release is audited as `package`.
  access::EnvQuery query;
  query.env = o.env;
  query.components.assign(wanted.begin(), wanted.end());
  query.purpose = vault::ReadPurpose::packaging;
  KW_TRY(auto read, access->read_env(query));
  std::vector<vault::Record>& records = read.records;
  if (records.empty()) return fail(Errc::not_found, "no secrets in " + o.env + ": nothing to package");
  // Signed by whoever holds the sender key (the agent, or this process): only the signature
  // comes back.
  std::optional<package::BodySignature> signed_by;
  package::SealInput in;
  in.env = o.env;
  for (auto& r : records) {
    package::Entry e;
    e.coordinate = r.meta.coordinate;
    e.tier = r.meta.tier;
    e.kind = r.meta.kind;
    e.value = std::move(r.value);
    in.entries.push_back(std::move(e));
  }
  in.created = pkg::unix_now();
  in.expires = in.created + ttl;
  in.token_expires = in.created + token_ttl;
  in.recipients = age::pointers(recipients.all);
  in.card_recipients = recipients.cards;
  if (o.sign) {
    in.signer = [&](ByteView body) -> Result<package::BodySignature> {
      KW_TRY(auto sg, access->sign_package(body));
      signed_by = sg;
      return sg;
    };
  }
  in.armor = o.armor;
  KW_TRY(auto sealed, package::seal(in));
  // The token is armored text by default (it travels by chat, mail or paper); --binary keeps
  // the compact binary form.
  auto token = package::encode_token(sealed.token, !o.binary);
  if (o.qr && (sealed.file.size() > kQrMax || token.size() > kQrMax)) {
    return fail(Errc::invalid_argument,
                "the armored package is " + std::to_string(sealed.file.size()) +
                    " bytes, more than one QR code holds (about " + std::to_string(kQrMax) +
                    "): move the files on removable media instead (docs/airgap.md)");
  }
  // The token first, the package last: killed in between, what is left is a token whose package
  // was never written, which opens nothing (its K_h lived only in this process). The other order
  // left a package without its token, i.e. a package whose high entries nobody can open (found
  // by the full fault sweep, issue 15).
  // Without high entries a token is written only when asked for (--token-out): nothing needs it.
  const bool write_token = sealed.high_count > 0 || !o.token_out.empty();
  if (write_token) KW_TRY_STATUS(pkg::write_private_file(o.token_out, token, o.force));
  if (auto w = pkg::write_private_file(o.out, sealed.file, o.force); !w) {
    if (write_token) std::remove(o.token_out.c_str());
    return w;
  }

  if (ctx.json) {
    // docs/json.md: what was written, never a secret (the token file holds the token).
    nlohmann::json j = {
        {"package", o.out},
        {"package_id", encoding::hex_encode(ByteView(sealed.package_id))},
        {"env", o.env},
        {"entries", sealed.normal_count + sealed.high_count},
        {"high", sealed.high_count},
        {"recipients", recipients.all.size()},
        {"hardware_recipients", recipients.cards.size()},
        {"created", in.created},
        {"expires", in.expires},
        {"token", write_token ? nlohmann::json(o.token_out) : nlohmann::json(nullptr)},
        {"token_expires", write_token ? nlohmann::json(in.token_expires) : nlohmann::json(nullptr)},
        {"signer", signed_by ? nlohmann::json(package::signer_to_string(signed_by->signer))
                             : nlohmann::json(nullptr)}};
    std::printf("%s\n", j.dump(2).c_str());
    std::fflush(stdout);
  }
  info(ctx, "Sealed " + std::to_string(sealed.normal_count + sealed.high_count) + " secret(s) (" +
                std::to_string(sealed.high_count) + " high) from env `" + o.env + "` to " +
                std::to_string(recipients.all.size()) + " recipient(s) -> " + o.out +
                " (expires in " + pkg::describe_duration(ttl) + ")");
  if (!recipients.cards.empty()) {
    info(ctx, "High entries also open with a touch on the recipient's YubiKey (" +
                  std::to_string(recipients.cards.size()) + " hardware recipient(s))");
  }
  if (signed_by) {
    info(ctx, std::string("Signed by ") + (signed_by->created ? "your new sender key " : "") +
                  package::signer_to_string(signed_by->signer) +
                  " (the recipient checks it with `keyward unpack --from`)");
  }
  if (!write_token) {
    info(ctx, "No high entries, so no access token was made (none is needed to open it)");
    if (o.qr) {
      std::fprintf(stderr, "Package %s as a QR code:\n", o.out.c_str());
      std::fflush(stderr);
      KW_TRY_STATUS(pkg::print_qr(std::string(as_chars(sealed.file))));
    }
    return ok();
  }
  // The warning is not informational: it is shown even with -q.
  std::fprintf(stderr,
               "Access token -> %s (expires in %s). Deliver it over a SEPARATE channel from the "
               "package (another messenger, in person): together they release the high entries.\n",
               o.token_out.c_str(), pkg::describe_duration(token_ttl).c_str());
  if (sealed.high_count == 0) {
    std::fprintf(stderr, "This package has no high entries: the token is not needed to open it "
                         "(--token-out can be left out).\n");
  }
  if (o.qr) {
    std::fprintf(stderr, "Package %s as a QR code:\n", o.out.c_str());
    std::fflush(stderr);
    KW_TRY_STATUS(pkg::print_qr(std::string(as_chars(sealed.file))));
    std::fprintf(stderr, "Access token %s as a QR code (show it separately):\n", o.token_out.c_str());
    std::fflush(stderr);
    KW_TRY_STATUS(pkg::print_qr(std::string(token.reveal_string())));
  }
  return ok();
}

void add_package_command(CLI::App& app, Context& ctx) {
  static PackageOptions o;
  auto* cmd = app.add_subcommand("package", "Seal an environment for one teammate (not prod)");
  cmd->add_option("--env", o.env, "Environment to share, e.g. dev (prod is refused)")->required();
  cmd->add_option("--component", o.components, "Only this component (repeatable)");
  cmd->add_option("--recipient", o.recipients,
                  "age1... / age1yubikey1... / ssh-ed25519 key, or a file of them (repeatable)")
      ->required();
  cmd->add_option("--out", o.out, "Package file to write")->required();
  cmd->add_flag("--json", ctx.json, "JSON output: what was written (docs/json.md)");
  cmd->add_option("--token-out", o.token_out,
                  "Access token file to write (deliver separately); needed only when the "
                  "selection has high entries");
  cmd->add_option("--ttl", o.ttl, "Package lifetime (default 24h, at most 30d)");
  cmd->add_option("--token-ttl", o.token_ttl, "Token lifetime (default: the package's)");
  cmd->add_flag("--sign", o.sign, "Sign with your sender key (kept in the vault; made on first use)");
  cmd->add_flag("--armor", o.armor, "ASCII-armored package (the token is armored unless --binary)");
  cmd->add_flag("--binary", o.binary, "Write the access token in its binary form");
  cmd->add_flag("--qr", o.qr, "Also print both as QR codes (needs --armor; small packages only)");
  cmd->add_flag("--force", o.force, "Replace existing --out / --token-out files");
  add_unlock_options(cmd, o.unlock);
  cmd->callback([&ctx] {
    if (auto r = run_package(ctx, o); !r) fail_command(ctx, r.error());
  });
}

}  // namespace

KEYWARD_COMMAND(75, add_package_command, "package");

}  // namespace keyward::cli

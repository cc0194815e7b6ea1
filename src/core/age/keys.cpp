#include "core/age/keys.h"

#include "core/age/piv_p256.h"
#include "core/age/ssh_ed25519.h"
#include "core/age/x25519.h"

namespace keyward::age {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class F>
Status for_each_line(std::string_view text, F&& f) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto st = f(line);
    if (!st)
      return fail(st.error().code, "line " + std::to_string(line_no) + ": " + st.error().message);
  }
  return ok();
}

}  // namespace

Result<std::unique_ptr<Recipient>> parse_recipient(std::string_view text) {
  text = trim(text);
  if (text.starts_with("ssh-") || text.starts_with("ecdsa-") || text.starts_with("sk-")) {
    KW_TRY(auto r, SshEd25519Recipient::parse(text));
    return std::unique_ptr<Recipient>(std::make_unique<SshEd25519Recipient>(std::move(r)));
  }
  if (text.starts_with("age1yubikey1")) {
    KW_TRY(auto r, PivP256Recipient::parse(text));
    return std::unique_ptr<Recipient>(std::make_unique<PivP256Recipient>(std::move(r)));
  }
  if (text.starts_with("age1pq1"))
    return fail(Errc::unsupported, "post-quantum hybrid age recipients (age1pq1...) are not supported");
  if (text.starts_with("age1tag1") || text.starts_with("age1tagpq1"))
    return fail(Errc::unsupported, "age tagged recipients (age1tag1...) are not supported");
  // '1' is not in the Bech32 data alphabet: another '1' after "age1" means "age1<plugin>1...".
  if (text.starts_with("age1") && text.find('1', 4) != std::string_view::npos)
    return fail(Errc::unsupported, "age plugin recipients other than age1yubikey1... are not supported");
  KW_TRY(auto r, X25519Recipient::parse(text));
  return std::unique_ptr<Recipient>(std::make_unique<X25519Recipient>(r));
}

Result<std::vector<std::unique_ptr<Recipient>>> parse_recipients_file(std::string_view text) {
  std::vector<std::unique_ptr<Recipient>> out;
  KW_TRY_STATUS(for_each_line(text, [&](std::string_view line) -> Status {
    KW_TRY(auto r, parse_recipient(line));
    out.push_back(std::move(r));
    return ok();
  }));
  if (out.empty()) return fail(Errc::malformed, "no recipients found");
  return out;
}

Result<std::vector<std::unique_ptr<Identity>>> parse_identities(std::string_view text) {
  std::vector<std::unique_ptr<Identity>> out;
  if (text.find("-----BEGIN OPENSSH PRIVATE KEY-----") != std::string_view::npos) {
    KW_TRY(auto id, SshEd25519Identity::parse(text));
    out.push_back(std::make_unique<SshEd25519Identity>(std::move(id)));
    return out;
  }
  KW_TRY_STATUS(for_each_line(text, [&](std::string_view line) -> Status {
    if (line.starts_with("AGE-SECRET-KEY-PQ-1"))
      return fail(Errc::unsupported, "post-quantum hybrid age identities are not supported");
    if (line.starts_with("AGE-PLUGIN-"))
      return fail(Errc::unsupported,
                  "age plugin identities are not read from files here (YubiKey identities are "
                  "opened through the card)");
    if (line.starts_with("-----BEGIN"))
      return fail(Errc::unsupported, "only OpenSSH Ed25519 private keys are supported in PEM form");
    KW_TRY(auto id, X25519Identity::parse(line));
    out.push_back(std::make_unique<X25519Identity>(std::move(id)));
    return ok();
  }));
  if (out.empty()) return fail(Errc::malformed, "no identities found");
  return out;
}

}  // namespace keyward::age

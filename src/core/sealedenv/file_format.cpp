#include "core/sealedenv/file_format.h"

#include <array>
#include <charconv>
#include <vector>

#include "core/base64.h"
#include "core/sealedenv/errors.h"

namespace keyward::sealedenv {
namespace {

constexpr std::string_view kMagicPrefix = "SEALED-ENV-V";

tl::unexpected<Error> bad(std::string_view what) {
  return fail(Errc::malformed, "sealed-env: malformed file: " + std::string(what));
}

// Canonical unsigned decimal: digits only, no sign, no leading zero (except "0").
std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// "a=<int>,b=<int>,c=<int>" with exactly these names in this order.
std::optional<std::array<std::uint64_t, 3>> parse_triple(std::string_view s, const char* n0,
                                                          const char* n1, const char* n2) {
  const char* names[3] = {n0, n1, n2};
  std::array<std::uint64_t, 3> out{};
  for (int i = 0; i < 3; ++i) {
    std::string_view name = names[i];
    if (s.substr(0, name.size()) != name || s.size() <= name.size() || s[name.size()] != '=')
      return std::nullopt;
    s.remove_prefix(name.size() + 1);
    auto comma = s.find(',');
    std::string_view num = i < 2 ? s.substr(0, comma) : s;
    if (i < 2 && comma == std::string_view::npos) return std::nullopt;
    auto v = parse_uint(num);
    if (!v) return std::nullopt;
    out[static_cast<std::size_t>(i)] = *v;
    if (i < 2) s.remove_prefix(comma + 1);
  }
  return out;
}

Result<Bytes> b64_field(std::string_view key, std::string_view value, std::size_t size) {
  auto raw = encoding::base64_decode(value);
  if (!raw || raw->size() != size)
    return bad(std::string(key) + " must be base64 of " + std::to_string(size) + " bytes");
  return std::move(*raw);
}

bool valid_key_chars(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!((c >= 'A' && c <= 'Z') || c == '-')) return false;
  return true;
}

bool valid_value_chars(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

// The §4 table: key, position, and in which modes it is required / allowed.
struct FieldRule {
  std::string_view key;
  bool basic, team, enterprise;  // allowed in mode
  bool optional;                 // may be absent even where allowed (ROTATED)
};
constexpr FieldRule kFields[] = {
    {"KDF", true, true, true, false},
    {"KDF-PARAMS", true, true, true, false},
    {"SALT", true, true, true, false},
    {"NONCE", true, true, true, false},
    {"EPOCH-COMMIT", false, false, true, false},
    {"CHALLENGE-BIND", false, false, true, false},
    {"AAD-DIGEST", true, true, true, false},
    {"HMAC", false, true, true, false},
    {"CREATED", true, true, true, false},
    {"ROTATED", true, true, true, true},
};

bool allowed_in(const FieldRule& r, Mode m) {
  switch (m) {
    case Mode::basic: return r.basic;
    case Mode::team: return r.team;
    case Mode::enterprise: return r.enterprise;
  }
  return false;
}

std::vector<std::string> metadata_lines(const SealedFile& f, const MetadataOptions& o) {
  std::vector<std::string> lines;
  lines.push_back("KDF=" + std::string(f.kdf.kind == KdfKind::argon2id ? "argon2id" : "scrypt"));
  lines.push_back("KDF-PARAMS=" + kdf_params_text(f.kdf));
  lines.push_back("SALT=" + encoding::base64_encode(f.salt));
  lines.push_back("NONCE=" + encoding::base64_encode(f.nonce));
  if (f.epoch_commit) lines.push_back("EPOCH-COMMIT=" + encoding::base64_encode(*f.epoch_commit));
  if (f.challenge_bind)
    lines.push_back(std::string("CHALLENGE-BIND=") + (*f.challenge_bind ? "enabled" : "disabled"));
  if (o.include_aad_digest) lines.push_back("AAD-DIGEST=" + encoding::base64_encode(f.aad_digest));
  if (o.include_hmac && f.hmac) lines.push_back("HMAC=" + encoding::base64_encode(*f.hmac));
  lines.push_back("CREATED=" + f.created);
  if (f.rotated) lines.push_back("ROTATED=" + *f.rotated);
  return lines;
}

}  // namespace

std::string_view mode_name(Mode m) noexcept {
  switch (m) {
    case Mode::basic: return "basic";
    case Mode::team: return "team";
    case Mode::enterprise: return "enterprise";
  }
  return "basic";
}

std::optional<Mode> mode_from_name(std::string_view s) noexcept {
  if (s == "basic") return Mode::basic;
  if (s == "team") return Mode::team;
  if (s == "enterprise") return Mode::enterprise;
  return std::nullopt;
}

std::string kdf_params_text(const KdfSpec& k) {
  if (k.kind == KdfKind::argon2id)
    return "t=" + std::to_string(k.argon2.t_cost) + ",m=" + std::to_string(k.argon2.m_cost_kib) +
           ",p=" + std::to_string(k.argon2.parallelism);
  return "N=" + std::to_string(k.scrypt.n) + ",r=" + std::to_string(k.scrypt.r) +
         ",p=" + std::to_string(k.scrypt.p);
}

bool valid_timestamp(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
  if (s.size() < 20) return false;
  const char* shape = "dddd-dd-ddTdd:dd:dd";
  for (std::size_t i = 0; i < 19; ++i) {
    if (shape[i] == 'd') {
      if (s[i] < '0' || s[i] > '9') return false;
    } else if (s[i] != shape[i]) {
      return false;
    }
  }
  std::string_view rest = s.substr(19);
  if (rest[0] == '.') {
    std::size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1 || n > 10) return false;
    rest.remove_prefix(n);
  }
  return rest == "Z";
}

std::string magic_line(Mode m) { return "SEALED-ENV-V1 MODE=" + std::string(mode_name(m)); }

std::string canonical_header(const SealedFile& f, const MetadataOptions& opts) {
  std::string out = magic_line(f.mode);
  for (const auto& l : metadata_lines(f, opts)) {
    out += '\n';
    out += l;
  }
  return out;
}

std::string aad_text(const SealedFile& f) { return canonical_header(f, {false, false}); }

Bytes hmac_message(const SealedFile& f) {
  Bytes out = to_bytes(aad_text(f));
  append(out, f.ciphertext);
  return out;
}

Bytes hmac_message_keyward01(const SealedFile& f) {
  Bytes out = to_bytes(canonical_header(f, {true, false}));
  append(out, f.ciphertext);
  return out;
}

Status check_kdf_limits(const KdfSpec& k) {
  if (k.kind == KdfKind::argon2id) {
    const auto& a = k.argon2;
    if (a.t_cost > kMaxArgon2T || a.m_cost_kib > kMaxArgon2MKib || a.parallelism > kMaxArgon2P)
      return fail(Errc::unsupported,
                  "sealed-env: KDF-PARAMS=" + kdf_params_text(k) + " exceed keyward's limits (" +
                      std::string(kArgon2LimitsText) + ")");
    return ok();
  }
  const auto& s = k.scrypt;
  if (s.n > kMaxScryptN || s.r > kMaxScryptR || s.p > kMaxScryptP ||
      s.n * static_cast<std::uint64_t>(s.r) > kMaxScryptNR)
    return fail(Errc::unsupported,
                "sealed-env: KDF-PARAMS=" + kdf_params_text(k) + " exceed keyward's limits (" +
                    std::string(kScryptLimitsText) + ")");
  return ok();
}

Result<SealedFile> parse_file(std::string_view text) {
  if (text.size() > kMaxFileBytes) return bad("file is too large");
  // Line 1: magic. A newer version is refused with its own message (§14).
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return bad("no header");
  std::string_view magic = text.substr(0, nl);
  if (magic.substr(0, kMagicPrefix.size()) == kMagicPrefix) {
    std::string_view ver = magic.substr(kMagicPrefix.size());
    ver = ver.substr(0, ver.find(' '));
    auto v = parse_uint(ver);
    if (v && *v >= 2) return fail(Errc::unsupported, std::string(kFormatTooNewMessage));
  }
  constexpr std::string_view kV1 = "SEALED-ENV-V1 MODE=";
  if (magic.substr(0, kV1.size()) != kV1) return bad("line 1 must be 'SEALED-ENV-V1 MODE=<mode>'");
  auto mode = mode_from_name(magic.substr(kV1.size()));
  if (!mode) return bad("line 1: unknown mode (expected basic, team or enterprise)");

  SealedFile f;
  f.mode = *mode;
  std::size_t pos = nl + 1;
  std::size_t next_rule = 0;
  int line_no = 1;
  bool have_salt = false, have_nonce = false, have_aad = false, have_created = false;
  bool have_kdf = false, have_params = false;
  std::string_view params_text;
  while (true) {
    ++line_no;
    nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return bad("missing the empty line before the body");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) break;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return bad(where + "expected KEY=VALUE");
    std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (!valid_key_chars(key)) return bad(where + "key must be upper-case ASCII letters and '-'");
    if (!valid_value_chars(value))
      return bad(where + "value must be non-empty printable ASCII without spaces");
    std::size_t r = next_rule;
    while (r < std::size(kFields) && kFields[r].key != key) ++r;
    if (r == std::size(kFields)) return bad(where + "unknown or out-of-order field " + std::string(key));
    // Every skipped field must be one that this mode does not have (or an optional one).
    for (std::size_t s = next_rule; s < r; ++s)
      if (allowed_in(kFields[s], f.mode) && !kFields[s].optional)
        return bad(where + "missing field " + std::string(kFields[s].key));
    if (!allowed_in(kFields[r], f.mode))
      return bad(where + std::string(key) + " is not allowed in mode " +
                 std::string(mode_name(f.mode)));
    next_rule = r + 1;
    if (key == "KDF") {
      if (value == "argon2id") f.kdf.kind = KdfKind::argon2id;
      else if (value == "scrypt") f.kdf.kind = KdfKind::scrypt;
      else return bad(where + "KDF must be argon2id or scrypt");
      have_kdf = true;
    } else if (key == "KDF-PARAMS") {
      params_text = value;
      have_params = true;
    } else if (key == "SALT") {
      KW_TRY(f.salt, b64_field(key, value, kSaltSize));
      have_salt = true;
    } else if (key == "NONCE") {
      KW_TRY(f.nonce, b64_field(key, value, kNonceSize));
      have_nonce = true;
    } else if (key == "EPOCH-COMMIT") {
      KW_TRY(auto b, b64_field(key, value, kDigestSize));
      f.epoch_commit = std::move(b);
    } else if (key == "CHALLENGE-BIND") {
      if (value == "enabled") f.challenge_bind = true;
      else if (value == "disabled") f.challenge_bind = false;
      else return bad(where + "CHALLENGE-BIND must be enabled or disabled");
    } else if (key == "AAD-DIGEST") {
      KW_TRY(f.aad_digest, b64_field(key, value, kDigestSize));
      have_aad = true;
    } else if (key == "HMAC") {
      KW_TRY(auto b, b64_field(key, value, kDigestSize));
      f.hmac = std::move(b);
    } else if (key == "CREATED" || key == "ROTATED") {
      if (!valid_timestamp(value)) return bad(where + std::string(key) + " must be an ISO-8601 UTC timestamp");
      if (key == "CREATED") {
        f.created = std::string(value);
        have_created = true;
      } else {
        f.rotated = std::string(value);
      }
    }
  }
  for (std::size_t s = next_rule; s < std::size(kFields); ++s)
    if (allowed_in(kFields[s], f.mode) && !kFields[s].optional)
      return bad("missing field " + std::string(kFields[s].key));
  if (!(have_kdf && have_params && have_salt && have_nonce && have_aad && have_created))
    return bad("missing a required field");
  // Syntax first (malformed), then keyward's limits (their own clear refusal, not the opaque
  // error: the header is public), both before any key derivation.
  auto too_costly = [&](std::string_view limits) {
    return fail(Errc::unsupported, "sealed-env: KDF-PARAMS=" + std::string(params_text) +
                                       " exceed keyward's limits (" + std::string(limits) +
                                       "); the file is refused before running the KDF");
  };
  if (f.kdf.kind == KdfKind::argon2id) {
    auto p = parse_triple(params_text, "t", "m", "p");
    if (!p || (*p)[0] == 0 || (*p)[2] == 0)
      return bad("KDF-PARAMS must be t=<int>,m=<int>,p=<int> with t, p >= 1");
    if ((*p)[0] > kMaxArgon2T || (*p)[1] > kMaxArgon2MKib || (*p)[2] > kMaxArgon2P)
      return too_costly(kArgon2LimitsText);
    if ((*p)[1] < 8 * (*p)[2]) return bad("KDF-PARAMS: Argon2id needs m >= 8 * p");
    f.kdf.argon2 = {static_cast<std::uint32_t>((*p)[0]), static_cast<std::uint32_t>((*p)[1]),
                    static_cast<std::uint32_t>((*p)[2])};
  } else {
    auto p = parse_triple(params_text, "N", "r", "p");
    if (!p || (*p)[0] < 2 || ((*p)[0] & ((*p)[0] - 1)) != 0 || (*p)[1] == 0 || (*p)[2] == 0)
      return bad("KDF-PARAMS must be N=<power of two>,r=<int>,p=<int>");
    if ((*p)[0] > kMaxScryptN || (*p)[1] > kMaxScryptR || (*p)[2] > kMaxScryptP ||
        (*p)[0] * (*p)[1] > kMaxScryptNR)
      return too_costly(kScryptLimitsText);
    f.kdf.scrypt = {(*p)[0], static_cast<std::uint32_t>((*p)[1]),
                    static_cast<std::uint32_t>((*p)[2])};
  }
  // Body: one base64 line, optionally followed by a single LF.
  std::string_view body = text.substr(pos);
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  if (body.find('\n') != std::string_view::npos) return bad("the body must be a single line");
  auto ct = encoding::base64_decode(body);
  if (!ct || ct->size() < 16) return bad("the body must be base64 of the ciphertext and tag");
  f.ciphertext = std::move(*ct);
  return f;
}

Result<SealedFile> parse_for_decrypt(std::string_view text) {
  auto f = parse_file(text);
  if (!f && f.error().code == Errc::malformed) return decrypt_fail();
  return f;
}

Result<std::string> write_file(const SealedFile& f) {
  const bool ent = f.mode == Mode::enterprise;
  if (f.salt.size() != kSaltSize || f.nonce.size() != kNonceSize ||
      f.aad_digest.size() != kDigestSize || f.ciphertext.size() < 16)
    return fail(Errc::invalid_argument, "sealed-env: bad field sizes");
  if (ent != (f.epoch_commit.has_value() && f.challenge_bind.has_value()) ||
      (f.epoch_commit && f.epoch_commit->size() != kDigestSize))
    return fail(Errc::invalid_argument, "sealed-env: EPOCH-COMMIT/CHALLENGE-BIND only in enterprise mode");
  if ((f.mode != Mode::basic) != f.hmac.has_value() || (f.hmac && f.hmac->size() != kDigestSize))
    return fail(Errc::invalid_argument, "sealed-env: HMAC only in team and enterprise mode");
  if (!valid_timestamp(f.created) || (f.rotated && !valid_timestamp(*f.rotated)))
    return fail(Errc::invalid_argument, "sealed-env: timestamps must be ISO-8601 UTC");
  std::string out = canonical_header(f, {true, true});
  out += "\n\n";
  out += encoding::base64_encode(f.ciphertext);
  return out;
}

}  // namespace keyward::sealedenv

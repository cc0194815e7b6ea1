#include "core/age/scrypt.h"

#include "core/age/wrap.h"
#include "core/base64.h"
#include "core/kdf.h"
#include "core/random.h"

namespace keyward::age {
namespace {

constexpr std::string_view kSaltLabel = "age-encryption.org/v1/scrypt";
constexpr std::size_t kSaltSize = 16;

Result<SecretBytes> wrap_key(const SecretBytes& passphrase, ByteView salt, int log2n) {
  Bytes s = to_bytes(kSaltLabel);
  append(s, salt);
  kdf::ScryptParams params;
  params.n = std::uint64_t{1} << log2n;
  params.r = 8;
  params.p = 1;
  const std::uint64_t mem = 128ull * params.r * (params.n + params.p + 2);
  return kdf::scrypt(passphrase, s, params, 32, mem);
}

// ^[1-9][0-9]*$, at most two digits (anything larger is above every limit anyway).
std::optional<int> parse_work_factor(std::string_view text) {
  if (text.empty() || text.size() > 2 || text[0] < '1' || text[0] > '9') return std::nullopt;
  int v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool all_digits(std::string_view t) {
  if (t.empty() || t[0] == '0') return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

Result<std::vector<Stanza>> ScryptRecipient::wrap(ByteView file_key) {
  if (log2n_ < 1 || log2n_ > kScryptMaxLog2N)
    return fail(Errc::invalid_argument, "scrypt work factor must be in [1, 30]");
  const Bytes salt = random_bytes(kSaltSize);
  KW_TRY(const SecretBytes key, wrap_key(passphrase_, salt, log2n_));
  KW_TRY(Bytes body, detail::seal_file_key(key, file_key));
  Stanza s;
  s.type = std::string(kScryptStanzaType);
  s.args = {encoding::base64_raw_encode(salt), std::to_string(log2n_)};
  s.body = std::move(body);
  std::vector<Stanza> out;
  out.push_back(std::move(s));
  return out;
}

Result<std::optional<SecretBytes>> ScryptIdentity::unwrap(std::span<const Stanza> stanzas) {
  for (const Stanza& s : stanzas) {
    if (s.type != kScryptStanzaType) continue;
    if (s.args.size() != 2) return detail::invalid_stanza(s.type, "expected exactly two arguments");
    KW_TRY(const Bytes salt, detail::decode_arg(s.type, s.args[0], kSaltSize, "the salt"));
    const auto log2n = parse_work_factor(s.args[1]);
    if (!log2n) {
      if (all_digits(s.args[1]))
        return fail(Errc::policy, "scrypt work factor " + s.args[1] + " is above the limit " +
                                      std::to_string(max_log2n_));
      return detail::invalid_stanza(s.type, "the work factor is not a decimal number");
    }
    if (*log2n > max_log2n_ || *log2n > kScryptMaxLog2N)
      return fail(Errc::policy, "scrypt work factor " + std::to_string(*log2n) +
                                    " is above the limit " + std::to_string(max_log2n_) +
                                    " (it would take too long or need too much memory)");
    KW_TRY_STATUS(detail::check_body(s));
    KW_TRY(const SecretBytes key, wrap_key(passphrase_, salt, *log2n));
    KW_TRY(auto file_key, detail::open_file_key(key, s.body));
    if (file_key) return file_key;
  }
  return std::optional<SecretBytes>{};
}

}  // namespace keyward::age

#include "core/age/piv_p256.h"

#include <algorithm>

#include "core/age/wrap.h"
#include "core/base64.h"
#include "core/bech32.h"
#include "core/hash.h"
#include "core/kdf.h"
#include "core/p256.h"

namespace keyward::age {
namespace {

constexpr std::string_view kRecipientHrp = "age1yubikey";
constexpr std::string_view kIdentityHrp = "age-plugin-yubikey-";
constexpr std::string_view kLabel = "piv-p256";

Result<SecretBytes> wrap_key(ByteView shared, ByteView epk, ByteView recipient) {
  Bytes salt(epk.begin(), epk.end());
  append(salt, recipient);
  return kdf::hkdf_sha256(shared, salt, as_bytes(kLabel), 32);
}

bool is_compressed(ByteView p) {
  return p.size() == p256::kCompressedSize && (p[0] == 0x02 || p[0] == 0x03);
}

}  // namespace

std::array<std::uint8_t, 4> piv_p256_tag(ByteView compressed_point) {
  const auto d = hash::sha256(compressed_point);
  return {d[0], d[1], d[2], d[3]};
}

Result<PivP256Recipient> PivP256Recipient::from_point(ByteView sec1) {
  auto compressed = p256::to_compressed(sec1);
  if (!compressed) return fail(Errc::malformed, "not a valid P-256 point");
  PivP256Recipient r;
  r.point_ = std::move(*compressed);
  return r;
}

Result<PivP256Recipient> PivP256Recipient::parse(std::string_view text) {
  auto decoded = encoding::bech32_decode(text);
  if (!decoded || decoded->hrp != kRecipientHrp || !is_compressed(decoded->data) ||
      std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return fail(Errc::malformed,
                "not an age-plugin-yubikey recipient (expected age1yubikey1... with a compressed "
                "P-256 point)");
  return from_point(decoded->data);
}

std::string PivP256Recipient::to_string() const {
  auto s = encoding::bech32_encode(kRecipientHrp, point_);
  return s ? *s : std::string();
}

Result<std::vector<Stanza>> PivP256Recipient::wrap(ByteView file_key) {
  const p256::KeyPair eph = p256::generate();
  KW_TRY(const Bytes epk, p256::to_compressed(eph.public_uncompressed));
  KW_TRY(const SecretBytes shared, p256::ecdh(eph.private_scalar, point_));
  KW_TRY(const SecretBytes key, wrap_key(shared, epk, point_));
  KW_TRY(Bytes body, detail::seal_file_key(key, file_key));
  const auto tag = piv_p256_tag(point_);
  Stanza s;
  s.type = std::string(kPivP256StanzaType);
  s.args = {encoding::base64_raw_encode(tag), encoding::base64_raw_encode(epk)};
  s.body = std::move(body);
  std::vector<Stanza> out;
  out.push_back(std::move(s));
  return out;
}

Result<std::optional<SecretBytes>> PivP256Identity::unwrap(std::span<const Stanza> stanzas) {
  const Bytes point = card_.public_point();
  if (!is_compressed(point))
    return fail(Errc::internal, "the card key's public point must be given compressed");
  const auto tag = piv_p256_tag(point);
  for (const Stanza& s : stanzas) {
    if (s.type != kPivP256StanzaType) continue;
    if (s.args.size() != 2) return detail::invalid_stanza(s.type, "expected exactly two arguments");
    KW_TRY(const Bytes stanza_tag, detail::decode_arg(s.type, s.args[0], 4, "the tag"));
    KW_TRY(const Bytes epk, detail::decode_arg(s.type, s.args[1], 33, "the ephemeral point"));
    if (!std::equal(tag.begin(), tag.end(), stanza_tag.begin())) continue;
    if (!is_compressed(epk)) return detail::invalid_stanza(s.type, "the ephemeral point is not compressed");
    auto epk_full = p256::to_uncompressed(epk);
    if (!epk_full) return detail::invalid_stanza(s.type, "the ephemeral point is not on P-256");
    KW_TRY_STATUS(detail::check_body(s));
    KW_TRY(const SecretBytes shared, card_.ecdh(*epk_full));
    KW_TRY(const SecretBytes key, wrap_key(shared, epk, point));
    KW_TRY(auto file_key, detail::open_file_key(key, s.body));
    if (!file_key) return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
    return file_key;
  }
  return std::optional<SecretBytes>{};
}

Result<YubikeyIdentityRef> parse_yubikey_identity(std::string_view text) {
  auto decoded = encoding::bech32_decode(text);
  if (!decoded || decoded->hrp != kIdentityHrp || decoded->data.size() != 9)
    return fail(Errc::malformed, "not an age-plugin-yubikey identity (AGE-PLUGIN-YUBIKEY-1...)");
  const Bytes& d = decoded->data;
  YubikeyIdentityRef ref;
  ref.serial = static_cast<std::uint32_t>(d[0]) | static_cast<std::uint32_t>(d[1]) << 8 |
               static_cast<std::uint32_t>(d[2]) << 16 | static_cast<std::uint32_t>(d[3]) << 24;
  ref.slot = d[4];
  if (ref.slot < 0x82 || ref.slot > 0x95)
    return fail(Errc::malformed, "age-plugin-yubikey identity names a slot outside 82-95");
  std::copy(d.begin() + 5, d.end(), ref.tag.begin());
  return ref;
}

Result<std::string> encode_yubikey_identity(const YubikeyIdentityRef& ref) {
  if (ref.slot < 0x82 || ref.slot > 0x95)
    return fail(Errc::invalid_argument, "PIV retired slots are 82-95");
  Bytes d = {static_cast<std::uint8_t>(ref.serial), static_cast<std::uint8_t>(ref.serial >> 8),
             static_cast<std::uint8_t>(ref.serial >> 16), static_cast<std::uint8_t>(ref.serial >> 24),
             ref.slot};
  append(d, ref.tag);
  return encoding::bech32_encode(kIdentityHrp, d, /*upper=*/true);
}

}  // namespace keyward::age

#include "core/age/x25519.h"

#include <algorithm>

#include "core/age/wrap.h"
#include "core/base64.h"
#include "core/bech32.h"
#include "core/kdf.h"

namespace keyward::age {
namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/X25519";
constexpr std::string_view kRecipientHrp = "age";
constexpr std::string_view kIdentityHrp = "age-secret-key-";

Result<SecretBytes> wrap_key(ByteView shared, ByteView share, ByteView recipient) {
  Bytes salt(share.begin(), share.end());
  append(salt, recipient);
  return kdf::hkdf_sha256(shared, salt, as_bytes(kLabel), 32);
}

}  // namespace

Result<X25519Recipient> X25519Recipient::parse(std::string_view text) {
  auto decoded = encoding::bech32_decode(text);
  if (!decoded || decoded->hrp != kRecipientHrp || decoded->data.size() != 32)
    return fail(Errc::malformed, "not an age X25519 recipient (expected age1... with a 32-byte key)");
  if (std::any_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return fail(Errc::malformed, "age X25519 recipients are lower case");
  pubkey::X25519Public pk{};
  std::copy(decoded->data.begin(), decoded->data.end(), pk.begin());
  return X25519Recipient(pk);
}

std::string X25519Recipient::to_string() const {
  auto s = encoding::bech32_encode(kRecipientHrp, public_key_);
  return s ? *s : std::string();  // 32 bytes always fit
}

Result<std::vector<Stanza>> X25519Recipient::wrap(ByteView file_key) {
  pubkey::X25519KeyPair eph = pubkey::x25519_generate();
  KW_TRY(const SecretBytes shared, pubkey::x25519(eph.secret, public_key_));
  KW_TRY(const SecretBytes key, wrap_key(shared, eph.public_key, public_key_));
  KW_TRY(Bytes body, detail::seal_file_key(key, file_key));
  Stanza s;
  s.type = std::string(kX25519StanzaType);
  s.args.push_back(encoding::base64_raw_encode(eph.public_key));
  s.body = std::move(body);
  std::vector<Stanza> out;
  out.push_back(std::move(s));
  return out;
}

X25519Identity X25519Identity::generate() {
  pubkey::X25519KeyPair kp = pubkey::x25519_generate();
  return X25519Identity(std::move(kp.secret), kp.public_key);
}

Result<X25519Identity> X25519Identity::from_secret(ByteView secret32) {
  if (secret32.size() != 32) return fail(Errc::invalid_argument, "X25519 secret must be 32 bytes");
  KW_TRY(const pubkey::X25519Public pub, pubkey::x25519_public(secret32));
  return X25519Identity(SecretBytes::copy_of(secret32), pub);
}

Result<X25519Identity> X25519Identity::parse(std::string_view text) {
  auto decoded = encoding::bech32_decode_secret(text);
  if (!decoded || decoded->hrp != kIdentityHrp || decoded->data.size() != 32)
    return fail(Errc::malformed,
                "not an age X25519 identity (expected AGE-SECRET-KEY-1... with a 32-byte key)");
  return from_secret(decoded->data);
}

Result<SecretBytes> X25519Identity::to_string() const {
  return encoding::bech32_encode_secret(kIdentityHrp, secret_, /*upper=*/true);
}

Result<std::optional<SecretBytes>> X25519Identity::unwrap(std::span<const Stanza> stanzas) {
  for (const Stanza& s : stanzas) {
    if (s.type != kX25519StanzaType) continue;
    if (s.args.size() != 1) return detail::invalid_stanza(s.type, "expected exactly one argument");
    KW_TRY(const Bytes share, detail::decode_arg(s.type, s.args[0], 32, "the ephemeral share"));
    KW_TRY_STATUS(detail::check_body(s));
    auto shared = pubkey::x25519(secret_, share);
    if (!shared) return detail::invalid_stanza(s.type, "the ephemeral share is a low-order point");
    KW_TRY(const SecretBytes key, wrap_key(*shared, share, public_key_));
    KW_TRY(auto file_key, detail::open_file_key(key, s.body));
    if (file_key) return file_key;
  }
  return std::optional<SecretBytes>{};
}

}  // namespace keyward::age

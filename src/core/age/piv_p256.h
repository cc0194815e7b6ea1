// The `piv-p256` stanza of age-plugin-yubikey (c2sp.org/age-piv-p256, historical spec; and
// ../shared/docs/hw-protocols.md §7): age files sealed to a P-256 key on a PIV card.
//   recipient: Bech32 (BIP-173) "age1yubikey1..." of the 33-byte compressed P-256 point
//   identity:  Bech32 "AGE-PLUGIN-YUBIKEY-1..." of serial (u32 LE) || slot || 4-byte tag
//   stanza:    -> piv-p256 <base64 tag> <base64 compressed ephemeral point>
//     tag      = SHA-256(compressed recipient point)[:4]
//     shared   = ECDH(ephemeral, recipient): 32-byte X coordinate
//     wrap key = HKDF-SHA-256(ikm = shared, salt = epk(33) || recipient(33), info = "piv-p256")
//     body     = ChaCha20-Poly1305(wrap key, nonce = 0, file key): 32 bytes
// Wrapping is pure software. Unwrapping needs the card's ECDH, reached through P256Decapsulator,
// which the hardware layer implements (and tests implement with a software key).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/age/age.h"

namespace keyward::age {

inline constexpr std::string_view kPivP256StanzaType = "piv-p256";

// The card side of a piv-p256 identity.
class P256Decapsulator {
 public:
  virtual ~P256Decapsulator() = default;
  // The card key's public point, SEC1 compressed (33 bytes).
  virtual Bytes public_point() const = 0;
  // ECDH with the card key: the 32-byte X coordinate of key * peer. `peer_uncompressed` is a
  // validated SEC1 uncompressed point (65 bytes), the form PIV GENERAL AUTHENTICATE takes.
  virtual Result<SecretBytes> ecdh(ByteView peer_uncompressed) = 0;
};

// SHA-256(compressed point)[:4]: matches stanzas to a card key without using the card.
std::array<std::uint8_t, 4> piv_p256_tag(ByteView compressed_point);

class PivP256Recipient final : public Recipient {
 public:
  // "age1yubikey1..." (lower case, the point must be valid and compressed).
  static Result<PivP256Recipient> parse(std::string_view text);
  // Any valid SEC1 encoding; stored compressed.
  static Result<PivP256Recipient> from_point(ByteView sec1);
  std::string to_string() const;
  const Bytes& point() const { return point_; }

  Result<std::vector<Stanza>> wrap(ByteView file_key) override;

 private:
  PivP256Recipient() = default;
  Bytes point_;  // compressed, 33 bytes
};

// Unwraps piv-p256 stanzas whose tag matches the card key. A matching stanza that does not open
// is an error (Errc::decrypt_failed), as in age-plugin-yubikey; the card is used only then.
class PivP256Identity final : public Identity {
 public:
  explicit PivP256Identity(P256Decapsulator& card) : card_(card) {}
  Result<std::optional<SecretBytes>> unwrap(std::span<const Stanza> stanzas) override;

 private:
  P256Decapsulator& card_;
};

// The plugin identity string, which names the card and slot (no secret in it).
struct YubikeyIdentityRef {
  std::uint32_t serial = 0;
  std::uint8_t slot = 0;  // 0x82-0x95
  std::array<std::uint8_t, 4> tag{};
};
Result<YubikeyIdentityRef> parse_yubikey_identity(std::string_view text);
Result<std::string> encode_yubikey_identity(const YubikeyIdentityRef& ref);

}  // namespace keyward::age

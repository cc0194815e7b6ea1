// The native X25519 recipient type (c2sp.org/age, "The X25519 recipient type").
//   recipient: Bech32 "age1..." of the 32-byte public key
//   identity:  Bech32 "AGE-SECRET-KEY-1..." of the 32-byte secret scalar
//   stanza:    -> X25519 <base64 ephemeral share>  body = ChaCha20-Poly1305(wrap key, file key)
//   wrap key = HKDF-SHA-256(ikm = X25519(eph, recipient), salt = share || recipient,
//                           info = "age-encryption.org/v1/X25519")
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/age/age.h"
#include "core/pubkey.h"

namespace keyward::age {

inline constexpr std::string_view kX25519StanzaType = "X25519";

class X25519Recipient final : public Recipient {
 public:
  explicit X25519Recipient(const pubkey::X25519Public& public_key) : public_key_(public_key) {}
  // "age1..." (lower case). Errc::malformed for anything else.
  static Result<X25519Recipient> parse(std::string_view text);
  std::string to_string() const;
  const pubkey::X25519Public& public_key() const { return public_key_; }

  Result<std::vector<Stanza>> wrap(ByteView file_key) override;

 private:
  pubkey::X25519Public public_key_;
};

class X25519Identity final : public Identity {
 public:
  static X25519Identity generate();
  // "AGE-SECRET-KEY-1..." (the text is secret; errors never quote it).
  static Result<X25519Identity> parse(std::string_view text);
  static Result<X25519Identity> from_secret(ByteView secret32);
  // The identity string, upper case, in locked memory.
  Result<SecretBytes> to_string() const;
  X25519Recipient recipient() const { return X25519Recipient(public_key_); }

  Result<std::optional<SecretBytes>> unwrap(std::span<const Stanza> stanzas) override;

 private:
  X25519Identity(SecretBytes secret, const pubkey::X25519Public& pub)
      : secret_(std::move(secret)), public_key_(pub) {}
  SecretBytes secret_;
  pubkey::X25519Public public_key_;
};

}  // namespace keyward::age

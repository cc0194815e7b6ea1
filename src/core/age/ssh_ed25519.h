// The ssh-ed25519 recipient type of age (compatibility with existing OpenSSH Ed25519 keys).
//   recipient: an OpenSSH public key line "ssh-ed25519 AAAA... [comment]"
//   identity:  an unencrypted OpenSSH private key ("-----BEGIN OPENSSH PRIVATE KEY-----")
//   stanza:    -> ssh-ed25519 <tag> <base64 ephemeral share>
//     tag   = base64(SHA-256(SSH wire public key)[:4])
//     tweak = HKDF-SHA-256(ikm = "", salt = SSH wire public key, info = label), 32 bytes
//     pk    = the Ed25519 public key in Montgomery form; sk = clamp(SHA-512(seed)[:32])
//     shared = X25519(tweak, X25519(ephemeral, pk))     (X25519(tweak, X25519(sk, share)))
//     wrap key = HKDF-SHA-256(ikm = shared, salt = share || pk, info = label)
//   label = "age-encryption.org/v1/ssh-ed25519". A stanza whose tag is not ours is not ours;
//   one whose tag matches must have a 32-byte share and a 32-byte body.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/age/age.h"

namespace keyward::age {

inline constexpr std::string_view kSshEd25519StanzaType = "ssh-ed25519";

class SshEd25519Recipient final : public Recipient {
 public:
  // "ssh-ed25519 AAAA... [comment]". Other key types (ssh-rsa, ecdsa) -> Errc::unsupported.
  static Result<SshEd25519Recipient> parse(std::string_view line);
  static Result<SshEd25519Recipient> from_public_key(ByteView ed25519_public32);
  // "ssh-ed25519 AAAA..." without comment.
  std::string to_string() const;

  Result<std::vector<Stanza>> wrap(ByteView file_key) override;

 private:
  SshEd25519Recipient() = default;
  Bytes wire_;                            // SSH wire encoding of the public key
  std::array<std::uint8_t, 32> mont_{};   // Montgomery form
};

class SshEd25519Identity final : public Identity {
 public:
  // An unencrypted OpenSSH private key file holding one Ed25519 key. Encrypted keys are refused
  // with Errc::unsupported and a message on how to proceed; other key types too.
  static Result<SshEd25519Identity> parse(std::string_view pem);
  static Result<SshEd25519Identity> from_seed(ByteView seed32);
  SshEd25519Recipient recipient() const;

  Result<std::optional<SecretBytes>> unwrap(std::span<const Stanza> stanzas) override;

 private:
  SshEd25519Identity() = default;
  SecretBytes scalar_;                    // X25519 secret derived from the Ed25519 seed
  std::array<std::uint8_t, 32> ed_pub_{};
};

}  // namespace keyward::age

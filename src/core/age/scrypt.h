// The scrypt passphrase recipient type (c2sp.org/age, "The scrypt recipient type").
//   stanza:   -> scrypt <base64 16-byte salt> <log2 N in decimal, no leading zero>
//   wrap key = scrypt(N = 2^log2N, r = 8, p = 1, dkLen = 32,
//                     S = "age-encryption.org/v1/scrypt" || salt, P = passphrase)
//   body     = ChaCha20-Poly1305(wrap key, nonce = 0, file key)
// An scrypt stanza must be the only stanza of a file: encrypt refuses to mix it with other
// recipients and decrypt refuses headers that do (see age.h).
#pragma once

#include <optional>

#include "core/age/age.h"

namespace keyward::age {

inline constexpr std::string_view kScryptStanzaType = "scrypt";
inline constexpr int kScryptDefaultLog2N = 18;     // what age writes (256 MiB, ~1 s)
inline constexpr int kScryptDefaultMaxLog2N = 22;  // decrypt limit (4 GiB of memory)
inline constexpr int kScryptMaxLog2N = 30;         // hard upper bound for either setting

class ScryptRecipient final : public Recipient {
 public:
  // log2n in [1, kScryptMaxLog2N]; checked by wrap().
  explicit ScryptRecipient(SecretBytes passphrase, int log2n = kScryptDefaultLog2N)
      : passphrase_(std::move(passphrase)), log2n_(log2n) {}
  Result<std::vector<Stanza>> wrap(ByteView file_key) override;
  bool must_be_alone() const override { return true; }

 private:
  SecretBytes passphrase_;
  int log2n_;
};

class ScryptIdentity final : public Identity {
 public:
  // Stanzas with a work factor above max_log2n are refused (Errc::policy) before any work.
  explicit ScryptIdentity(SecretBytes passphrase, int max_log2n = kScryptDefaultMaxLog2N)
      : passphrase_(std::move(passphrase)), max_log2n_(max_log2n) {}
  Result<std::optional<SecretBytes>> unwrap(std::span<const Stanza> stanzas) override;

 private:
  SecretBytes passphrase_;
  int max_log2n_;
};

}  // namespace keyward::age

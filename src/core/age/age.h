// The age v1 file format (c2sp.org/age): encrypt to recipients, decrypt with identities.
//
//   age file = header (version line, recipient stanzas, HMAC) || STREAM payload
//
// The payload is processed one 64 KiB chunk at a time: encrypt and decrypt read from a
// ByteReader and write to a ByteWriter (io.h; adapters for std::istream/std::ostream and memory
// exist), so a payload of any size is never held in memory. Decrypted chunks are written to the
// output as soon as they are authenticated; if a later chunk fails, the plaintext already written
// is authentic but incomplete, and decrypt returns an error (the caller discards the output).
//
// Recipient types live in their own files: x25519.h, scrypt.h, ssh_ed25519.h, piv_p256.h;
// string parsing of recipients/identities in keys.h. The file key and payload key only ever
// live in SecretBytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/age/io.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::age {

inline constexpr std::size_t kFileKeySize = 16;

// One recipient stanza: `-> <type> <args...>` and its body. `type` is the first argument.
struct Stanza {
  std::string type;
  std::vector<std::string> args;  // the arguments after the type
  Bytes body;
};

// Wraps a file key for one recipient.
class Recipient {
 public:
  virtual ~Recipient() = default;
  // Returns the stanza(s) that carry `file_key` (16 bytes) to this recipient.
  virtual Result<std::vector<Stanza>> wrap(ByteView file_key) = 0;
  // True for recipient types that must be the only recipient of a file (scrypt).
  virtual bool must_be_alone() const { return false; }
};

// Unwraps a file key.
class Identity {
 public:
  virtual ~Identity() = default;
  // Looks at all stanzas of a file and returns
  //   - the 16-byte file key when a stanza addressed to this identity opens;
  //   - std::nullopt when no stanza is for this identity ("not mine": the next identity is tried);
  //   - an error when a stanza of this identity's type is invalid (bad arguments or body size,
  //     a low-order share, an excessive work factor) or a device failed: decryption stops.
  virtual Result<std::optional<SecretBytes>> unwrap(std::span<const Stanza> stanzas) = 0;
};

struct EncryptOptions {
  bool armor = false;  // ASCII armor (PEM "AGE ENCRYPTED FILE")
};

enum class ArmorMode {
  detect,    // armored if the input starts with '-' or whitespace, binary otherwise
  armored,   // the input must be armored
  binary,    // the input must be binary
};

struct DecryptOptions {
  ArmorMode armor = ArmorMode::detect;
};

// Where decryption failed; lets callers and the conformance tests tell the failure classes apart.
enum class Stage {
  none,      // success
  io,        // reading the input or writing the output failed
  armor,     // the ASCII armor is invalid
  header,    // the header does not parse, or the payload nonce is missing
  unwrap,    // an identity rejected a stanza of its type as invalid (fatal)
  no_match,  // no identity could unwrap any stanza
  hmac,      // a file key was unwrapped but the header MAC does not match
  payload,   // the STREAM payload failed (tag, truncation, trailing data, empty last chunk)
};

struct DecryptInfo {
  bool armored = false;
  std::uint64_t plaintext_size = 0;
  std::string header;  // the header bytes up to and including "---" (names every stanza)
};

// Encrypts all of `in` to `recipients` (at least one; a scrypt recipient must be alone).
Status encrypt(std::span<Recipient* const> recipients, ByteReader& in, ByteWriter& out,
               const EncryptOptions& options = {});

// Decrypts `in` with the first identity that unwraps a stanza. Error classes: Errc::malformed
// (armor, header or invalid stanza), Errc::unsupported (other age version), Errc::policy
// (scrypt work factor above the identity's limit), Errc::auth_failed (no identity matched),
// Errc::decrypt_failed (HMAC or payload: opaque), Errc::io. `failed_stage`, when given, receives
// the stage (Stage::none on success).
Result<DecryptInfo> decrypt(std::span<Identity* const> identities, ByteReader& in, ByteWriter& out,
                            const DecryptOptions& options = {}, Stage* failed_stage = nullptr);

// Conveniences over the above.
Status encrypt(std::span<Recipient* const> recipients, std::istream& in, std::ostream& out,
               const EncryptOptions& options = {});
Result<DecryptInfo> decrypt(std::span<Identity* const> identities, std::istream& in,
                            std::ostream& out, const DecryptOptions& options = {},
                            Stage* failed_stage = nullptr);
// Small payloads in memory: the ciphertext as Bytes, the plaintext as SecretBytes.
Result<Bytes> encrypt_bytes(std::span<Recipient* const> recipients, ByteView plaintext,
                            const EncryptOptions& options = {});
// `header`, when given, receives DecryptInfo::header.
Result<SecretBytes> decrypt_bytes(std::span<Identity* const> identities, ByteView file,
                                  const DecryptOptions& options = {},
                                  Stage* failed_stage = nullptr, std::string* header = nullptr);
// Encrypts a payload that depends on the file's own header: `make` receives the header bytes up
// to and including "---" (every recipient stanza, before the MAC) and returns the plaintext, so
// the payload can commit to its recipients (keyward packages, docs/format-package.md).
Result<Bytes> encrypt_bytes_bound(
    std::span<Recipient* const> recipients,
    const std::function<Result<SecretBytes>(std::string_view header)>& make,
    const EncryptOptions& options = {});

// Raw pointers for the span-based API from owning vectors.
template <class T>
std::vector<T*> pointers(const std::vector<std::unique_ptr<T>>& owned) {
  std::vector<T*> out;
  out.reserve(owned.size());
  for (const auto& p : owned) out.push_back(p.get());
  return out;
}

}  // namespace keyward::age

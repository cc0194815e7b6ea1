// SecretBytes: the only container for key material, passphrases, PINs and plaintext secrets.
//
// Memory comes from sodium_malloc: guard pages around the buffer, a canary, mlock()ed so it is
// never swapped, and zeroed when freed. Move-only: a secret is never silently duplicated.
// Never printable: stream and fmt output show "[redacted N bytes]".
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>

#include "core/bytes.h"

namespace keyward {

class SecretBytes {
 public:
  SecretBytes() noexcept = default;
  // Zero-filled buffer of n bytes. Throws std::bad_alloc when locked memory is exhausted.
  explicit SecretBytes(std::size_t n);
  static SecretBytes copy_of(ByteView src);
  static SecretBytes copy_of(std::string_view src) { return copy_of(as_bytes(src)); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes();

  std::uint8_t* data() noexcept { return data_; }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  ByteView view() const noexcept { return {data_, size_}; }
  MutableByteView span() noexcept { return {data_, size_}; }
  operator ByteView() const noexcept { return view(); }  // NOLINT: views are cheap and safe
  // The secret as text (passphrases, dotenv values). Explicit so that every use is greppable.
  std::string_view reveal_string() const noexcept {
    return {reinterpret_cast<const char*>(data_), size_};
  }

  // A deliberate copy (e.g. to hand a key to two owners). Named so copies are visible in review.
  SecretBytes clone() const { return copy_of(view()); }
  // First n bytes as a new secret; n must be <= size().
  SecretBytes prefix(std::size_t n) const;
  // Constant-time equality (lengths are not secret).
  bool equals(ByteView other) const noexcept;
  // Wipe and release now.
  void clear() noexcept;

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Formatting a secret never shows its bytes.
std::ostream& operator<<(std::ostream& os, const SecretBytes& s);

}  // namespace keyward

#include "core/age/wrap.h"

#include <array>

#include "core/aead.h"
#include "core/base64.h"

namespace keyward::age::detail {
namespace {
constexpr std::array<std::uint8_t, aead::kNonceSize> kZeroNonce{};
}

Result<Bytes> seal_file_key(ByteView wrap_key, ByteView file_key) {
  if (file_key.size() != kFileKeySize)
    return fail(Errc::invalid_argument, "age file key must be 16 bytes");
  return aead::chacha_seal(wrap_key, kZeroNonce, file_key, {});
}

Result<std::optional<SecretBytes>> open_file_key(ByteView wrap_key, ByteView body) {
  auto opened = aead::chacha_open(wrap_key, kZeroNonce, body, {});
  if (!opened) {
    if (opened.error().code == Errc::decrypt_failed) return std::optional<SecretBytes>{};
    return tl::unexpected(opened.error());
  }
  if (opened->size() != kFileKeySize) return std::optional<SecretBytes>{};
  return std::optional<SecretBytes>(std::move(*opened));
}

tl::unexpected<Error> invalid_stanza(std::string_view stanza_type, std::string_view what) {
  return fail(Errc::malformed,
              "invalid " + std::string(stanza_type) + " stanza: " + std::string(what));
}

Result<Bytes> decode_arg(std::string_view stanza_type, std::string_view arg, std::size_t size,
                         std::string_view what) {
  auto bytes = encoding::base64_raw_decode(arg);
  if (!bytes || bytes->size() != size)
    return invalid_stanza(stanza_type, std::string(what) + " is not canonical base64 of " +
                                           std::to_string(size) + " bytes");
  return std::move(*bytes);
}

Status check_body(const Stanza& s) {
  if (s.body.size() != kFileKeySize + aead::kTagSize)
    return invalid_stanza(s.type, "the body must be 32 bytes, got " + std::to_string(s.body.size()));
  return ok();
}

}  // namespace keyward::age::detail

// Helpers shared by the recipient types (internal to src/core/age): the file-key AEAD with a
// zero nonce, and canonical base64 arguments of an exact size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/age/age.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::age::detail {

// body = ChaCha20-Poly1305(key, nonce = 12 zero bytes, plaintext = file key): 32 bytes.
Result<Bytes> seal_file_key(ByteView wrap_key, ByteView file_key);
// Opens a body whose size the caller has already checked is 32 bytes; std::nullopt when the tag
// does not verify (the stanza is not for this key).
Result<std::optional<SecretBytes>> open_file_key(ByteView wrap_key, ByteView body);

// Decodes a stanza argument that must be canonical unpadded base64 of exactly `size` bytes.
Result<Bytes> decode_arg(std::string_view stanza_type, std::string_view arg, std::size_t size,
                         std::string_view what);

// Errc::malformed "invalid <type> stanza: <what>".
tl::unexpected<Error> invalid_stanza(std::string_view stanza_type, std::string_view what);

// Checks the body is exactly 32 bytes (16-byte file key + tag) before any decryption, as the spec
// requires against partitioning oracles.
Status check_body(const Stanza& s);

}  // namespace keyward::age::detail

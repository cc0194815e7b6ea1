// Base64 variants (RFC 4648). Decoders are strict: they reject characters outside the alphabet,
// whitespace, wrong padding and non-canonical encodings (non-zero unused bits), so every byte
// string has exactly one accepted text form.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::encoding {

// Standard alphabet, '=' padding (RFC 4648 §4).
std::string base64_encode(ByteView data);
Result<Bytes> base64_decode(std::string_view text);

// Standard alphabet without padding (age header stanzas, RFC 4648 §3.2).
std::string base64_raw_encode(ByteView data);
Result<Bytes> base64_raw_decode(std::string_view text);

// URL-safe alphabet without padding (RFC 4648 §5; tokens).
std::string base64url_encode(ByteView data);
Result<Bytes> base64url_decode(std::string_view text);

}  // namespace keyward::encoding

// Hexadecimal. Encoding is lower-case; decoding accepts either case but nothing else.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::encoding {

std::string hex_encode(ByteView data);
Result<Bytes> hex_decode(std::string_view text);

}  // namespace keyward::encoding

// Strict decoder for deterministic CBOR (RFC 8949 §4.2.1): accepts exactly the bytes that
// encode() produces. Every rejection is Errc::malformed with the offset of the offending item.
//
// Robustness against hostile input (RFC 8949 §10): lengths and counts are checked against the
// remaining input before anything is allocated, pre-allocation is capped, recursion depth is
// bounded by DecodeLimits::max_depth and the number of items by DecodeLimits::max_items.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cbor.h"
#include "core/cbor_internal.h"

namespace keyward::cbor {
namespace detail {

using namespace internal;

class Decoder {
 public:
  Decoder(ByteView in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  Result<Value> item(std::size_t depth);
  std::size_t pos() const { return pos_; }

 private:
  struct Head {
    std::uint8_t major;
    std::uint8_t ai;
    std::uint64_t arg;
  };

  std::size_t remaining() const { return in_.size() - pos_; }
  tl::unexpected<Error> error(std::size_t at, const std::string& what) const {
    return fail(Errc::malformed, "cbor: " + what + " (offset " + std::to_string(at) + ")");
  }

  Result<Head> head();
  Result<Value> float_item(std::size_t start, const Head& h);
  Result<Value> map_item(std::size_t start, std::uint64_t pairs, std::size_t depth);

  ByteView in_;
  DecodeLimits limits_;
  std::size_t pos_ = 0;
  std::size_t items_ = 0;
};

Result<Decoder::Head> Decoder::head() {
  const std::size_t start = pos_;
  if (remaining() == 0) return error(start, "unexpected end of input");
  const std::uint8_t ib = in_[pos_++];
  Head h{static_cast<std::uint8_t>(ib >> 5), static_cast<std::uint8_t>(ib & 0x1f), 0};
  if (h.ai < 24) {
    h.arg = h.ai;
    return h;
  }
  if (h.ai <= 27) {
    const std::size_t n = std::size_t{1} << (h.ai - 24);
    if (remaining() < n) return error(start, "unexpected end of input inside a head");
    for (std::size_t i = 0; i < n; ++i) h.arg = (h.arg << 8) | in_[pos_++];
    if (h.major == kSimpleFloat) {
      if (h.ai == 24 && h.arg < 32) {
        return error(start, "simple value " + std::to_string(h.arg) + " in two bytes is not well-formed");
      }
      return h;  // 25..27 are floats, checked in float_item
    }
    static constexpr std::uint64_t kMinForWidth[] = {24, 0x100, 0x10000, 0x100000000};
    if (h.arg < kMinForWidth[h.ai - 24]) {
      return error(start, "non-shortest head: argument " + std::to_string(h.arg) + " in " +
                              std::to_string(n) + " bytes");
    }
    return h;
  }
  if (h.ai <= 30) return error(start, "reserved additional information " + std::to_string(h.ai));
  // ai == 31
  if (h.major == kSimpleFloat) return error(start, "\"break\" outside an indefinite-length item");
  if (h.major >= kBytes && h.major <= kMap) {
    return error(start, "indefinite-length item (not allowed in deterministic CBOR)");
  }
  return error(start, "additional information 31 is not well-formed for major type " +
                          std::to_string(h.major));
}

Result<Value> Decoder::float_item(std::size_t start, const Head& h) {
  double d;
  int width;
  if (h.ai == 25) {
    width = 2;
    d = half_to_double(static_cast<std::uint16_t>(h.arg));
  } else if (h.ai == 26) {
    width = 4;
    const auto bits = static_cast<std::uint32_t>(h.arg);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    d = static_cast<double>(f);  // exact; NaNs are rejected below anyway
  } else {
    width = 8;
    std::memcpy(&d, &h.arg, sizeof d);
  }
  const FloatBits preferred = preferred_float(d);
  if (preferred.width != width || preferred.bits != h.arg) {
    return error(start, std::isnan(d) ? "NaN must be encoded as 0xf97e00"
                                      : "non-preferred float: value fits in " +
                                            std::to_string(preferred.width) + " bytes");
  }
  return Value::floating(d);
}

Result<Value> Decoder::map_item(std::size_t start, std::uint64_t pairs, std::size_t depth) {
  if (pairs > remaining() / 2) {
    return error(start, "map of " + std::to_string(pairs) + " pairs cannot fit in the remaining " +
                            std::to_string(remaining()) + " bytes");
  }
  Map m;
  m.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(pairs, 64)));
  std::size_t prev_start = 0, prev_end = 0;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    const std::size_t key_start = pos_;
    KW_TRY(Value key, item(depth + 1));
    const std::size_t key_end = pos_;
    if (i > 0) {
      // The input is deterministic (checked recursively), so its key bytes are the keys'
      // deterministic encodings; compare them bytewise (RFC 8949 §4.2.1).
      const auto prev = in_.subspan(prev_start, prev_end - prev_start);
      const auto cur = in_.subspan(key_start, key_end - key_start);
      const bool equal = std::equal(prev.begin(), prev.end(), cur.begin(), cur.end());
      if (equal) return error(key_start, "duplicate map key");
      if (!std::lexicographical_compare(prev.begin(), prev.end(), cur.begin(), cur.end())) {
        return error(key_start, "map keys are not in deterministic (bytewise) order");
      }
    }
    prev_start = key_start;
    prev_end = key_end;
    KW_TRY(Value value, item(depth + 1));
    m.emplace_back(std::move(key), std::move(value));
  }
  return Value(Value::Storage{std::move(m)});
}

Result<Value> Decoder::item(std::size_t depth) {
  const std::size_t start = pos_;
  if (++items_ > limits_.max_items) {
    return error(start, "more than " + std::to_string(limits_.max_items) + " data items");
  }
  KW_TRY(const Head h, head());
  const bool container = h.major == kArray || h.major == kMap || h.major == kTag;
  if (container && depth >= limits_.max_depth) {
    return error(start, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
  }
  switch (h.major) {
    case kUnsigned: return Value::uint(h.arg);
    case kNegative: return Value::negative(h.arg);
    case kBytes:
    case kText: {
      if (h.arg > remaining()) {
        return error(start, "string of " + std::to_string(h.arg) + " bytes exceeds the remaining " +
                                std::to_string(remaining()) + " bytes");
      }
      const auto body = in_.subspan(pos_, static_cast<std::size_t>(h.arg));
      pos_ += body.size();
      if (h.major == kBytes) return Value::bytes(body);
      const std::string_view text = as_chars(body);
      if (!valid_utf8(text)) return error(start, "text string is not valid UTF-8");
      return Value(Value::Storage{std::string(text)});
    }
    case kArray: {
      if (h.arg > remaining()) {
        return error(start, "array of " + std::to_string(h.arg) + " items cannot fit in the remaining " +
                                std::to_string(remaining()) + " bytes");
      }
      Array a;
      a.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(h.arg, 64)));
      for (std::uint64_t i = 0; i < h.arg; ++i) {
        KW_TRY(Value v, item(depth + 1));
        a.push_back(std::move(v));
      }
      return Value::array(std::move(a));
    }
    case kMap: return map_item(start, h.arg, depth);
    case kTag: {
      KW_TRY(Value content, item(depth + 1));
      return Value::tag(h.arg, std::move(content));
    }
    default:  // kSimpleFloat
      if (h.ai >= 25) return float_item(start, h);
      return Value(Value::Storage{Value::SimpleVal{static_cast<std::uint8_t>(h.arg)}});
  }
}

}  // namespace detail

Result<std::pair<Value, std::size_t>> decode_prefix(ByteView data, const DecodeLimits& limits) {
  detail::Decoder d(data, limits);
  KW_TRY(Value v, d.item(0));
  return std::make_pair(std::move(v), d.pos());
}

Result<Value> decode(ByteView data, const DecodeLimits& limits) {
  KW_TRY(auto r, decode_prefix(data, limits));
  if (r.second != data.size()) {
    return fail(Errc::malformed, "cbor: " + std::to_string(data.size() - r.second) +
                                     " trailing bytes after the item (offset " +
                                     std::to_string(r.second) + ")");
  }
  return std::move(r.first);
}

}  // namespace keyward::cbor

// Deterministic CBOR (RFC 8949 §4.2.1 core deterministic encoding).
//
// The encoder always produces the deterministic form: shortest-form heads, definite lengths,
// map keys sorted by the bytewise order of their encodings, shortest float that preserves the
// value (NaN is always 0xf97e00, RFC 8949 §4.2.2). The strict decoder rejects anything else
// (non-shortest heads or floats, indefinite lengths, unsorted or duplicate map keys, trailing
// bytes, excessive nesting or item counts, invalid UTF-8 in text, reserved or malformed initial
// bytes, NaN other than 0xf97e00) so that a value has exactly one accepted encoding:
// decode(x) succeeds  =>  encode(decode(x)) == x.
// Tags and simple values are kept as they are; no tag semantics are checked. Used by CTAP2 and
// credential tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::cbor {

class Value;
using Array = std::vector<Value>;
using Map = std::vector<std::pair<Value, Value>>;  // kept in deterministic key order

namespace detail {
class Decoder;
}

class Value {
 public:
  enum class Type { unsigned_int, negative_int, bytes, text, array, map, tag, simple, float_ };

  Value() : v_(SimpleVal{kNull}) {}  // null
  static Value uint(std::uint64_t u);
  // Any int64; negative values become major type 1.
  static Value integer(std::int64_t i);
  // Major type 1 with argument n: the value -1 - n (covers the full range down to -2^64).
  static Value negative(std::uint64_t n);
  static Value bytes(Bytes b);
  static Value bytes(ByteView b) { return bytes(Bytes(b.begin(), b.end())); }
  // Text must be UTF-8. For literals and strings already known to be UTF-8; invalid sequences
  // are replaced by U+FFFD so that the encoding stays valid. Use text_checked for untrusted input.
  static Value text(std::string_view s);
  static Result<Value> text_checked(std::string s);  // invalid UTF-8 -> invalid_argument
  static Value array(Array a);
  // Keys are sorted into deterministic order; duplicate keys -> invalid_argument.
  static Result<Value> map(Map m);
  static Value tag(std::uint64_t tag, Value content);
  static Value boolean(bool b);
  static Value null();
  static Value undefined();
  // Simple values 0..23 and 32..255 (20..23 are false, true, null, undefined); 24..31 do not
  // exist in CBOR -> invalid_argument.
  static Result<Value> simple(std::uint8_t s);
  static Value floating(double d);

  Type type() const;
  bool is_uint() const { return type() == Type::unsigned_int; }
  bool is_int() const { return is_uint() || type() == Type::negative_int; }
  bool is_bytes() const { return type() == Type::bytes; }
  bool is_text() const { return type() == Type::text; }
  bool is_array() const { return type() == Type::array; }
  bool is_map() const { return type() == Type::map; }
  bool is_tag() const { return type() == Type::tag; }
  bool is_float() const { return type() == Type::float_; }
  bool is_simple() const { return type() == Type::simple; }
  bool is_bool() const;
  bool is_null() const;
  bool is_undefined() const;

  // Accessors have the matching is_*() as precondition (checked: a mismatch throws
  // std::bad_variant_access, which is a bug in the caller, never a parse error).
  std::uint64_t as_uint() const;
  std::optional<std::int64_t> as_int64() const;  // nullopt if not an int or out of range
  const Bytes& as_bytes() const;
  const std::string& as_text() const;
  const Array& as_array() const;
  const Map& as_map() const;
  bool as_bool() const;
  double as_double() const;
  std::uint64_t tag_number() const;
  const Value& tag_content() const;
  std::uint8_t simple_value() const;
  // Major type 1 argument n (value is -1 - n).
  std::uint64_t negative_arg() const;

  // Map lookups (nullptr if absent or not a map). Integer keys cover COSE's negative labels.
  const Value* find(std::int64_t key) const;
  const Value* find(std::string_view key) const;

  // Equality of the data model values: same type and contents (floats compare by bit pattern,
  // all NaNs equal; 0.0 and -0.0 differ), i.e. equal values have equal encodings.
  friend bool operator==(const Value& a, const Value& b);

 private:
  friend class detail::Decoder;
  static constexpr std::uint8_t kFalse = 20, kTrue = 21, kNull = 22, kUndefined = 23;

  struct NegInt {
    std::uint64_t n;
  };
  struct Tagged {
    std::uint64_t number;
    std::shared_ptr<const Value> content;  // immutable, so sharing keeps value semantics
  };
  struct SimpleVal {
    std::uint8_t v;
  };
  using Storage =
      std::variant<std::uint64_t, NegInt, Bytes, std::string, Array, Map, Tagged, SimpleVal, double>;

  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

Bytes encode(const Value& v);

struct DecodeLimits {
  std::size_t max_depth = 16;        // nesting of arrays, maps and tags
  std::size_t max_items = 1u << 16;  // total number of data items (keys and values count)
};
// Strict deterministic decoding of exactly one item filling all of `data`.
Result<Value> decode(ByteView data, const DecodeLimits& limits = {});
// Strict decoding of one item at the start of `data`; returns the item and bytes consumed.
Result<std::pair<Value, std::size_t>> decode_prefix(ByteView data, const DecodeLimits& limits = {});

// Diagnostic notation (RFC 8949 §8), for tests and debugging; never used on secrets.
// Text is escaped JSON-style with \uXXXX for non-ASCII; floats use the shortest round-trip
// digits (so 1.0e+300 prints as 1e+300).
std::string diagnostic(const Value& v);

}  // namespace keyward::cbor

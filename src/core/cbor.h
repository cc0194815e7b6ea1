// Deterministic CBOR (RFC 8949 §4.2.1 core deterministic encoding).
//
// The encoder always produces the deterministic form: shortest-form heads, definite lengths,
// map keys sorted by the bytewise order of their encodings, shortest float that preserves the
// value. The strict decoder rejects anything else (non-shortest heads, indefinite lengths,
// unsorted or duplicate map keys, trailing bytes, excessive nesting, invalid UTF-8 in text) so
// that a value has exactly one accepted encoding. Used by CTAP2 and credential tokens.
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

enum class Simple : std::uint8_t { false_ = 20, true_ = 21, null = 22, undefined = 23 };

class Value {
 public:
  enum class Type { unsigned_int, negative_int, bytes, text, array, map, tag, simple, float_ };

  Value() : v_(Simple::null) {}
  static Value uint(std::uint64_t u);
  // Any int64; negative values become major type 1.
  static Value integer(std::int64_t i);
  // Major type 1 with argument n: the value -1 - n (covers the full range down to -2^64).
  static Value negative(std::uint64_t n);
  static Value bytes(Bytes b);
  static Value text(std::string s);
  static Value array(Array a);
  // Keys are sorted into deterministic order; duplicate keys -> invalid_argument.
  static Result<Value> map(Map m);
  static Value tag(std::uint64_t tag, Value inner);
  static Value boolean(bool b);
  static Value null();
  static Value undefined();
  static Value simple(std::uint8_t s);  // unassigned simple values 0..19, 32..255
  static Value floating(double d);

  Type type() const;
  bool is_uint() const { return type() == Type::unsigned_int; }
  bool is_int() const { return type() == Type::unsigned_int || type() == Type::negative_int; }
  bool is_bytes() const { return type() == Type::bytes; }
  bool is_text() const { return type() == Type::text; }
  bool is_array() const { return type() == Type::array; }
  bool is_map() const { return type() == Type::map; }
  bool is_bool() const;
  bool is_null() const;

  std::uint64_t as_uint() const;                 // precondition: is_uint()
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

  // Map lookup helpers (nullptr if absent or not a map).
  const Value* find(std::uint64_t key) const;
  const Value* find(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b);

 private:
  struct NegInt { std::uint64_t n; };
  struct TagBox { std::uint64_t tag; std::shared_ptr<Value> inner; };
  struct SimpleVal { std::uint8_t v; };
  std::variant<std::uint64_t, NegInt, Bytes, std::string, Array, Map, TagBox, Simple, SimpleVal,
               double>
      v_;
};

Bytes encode(const Value& v);

struct DecodeLimits {
  std::size_t max_depth = 16;
  std::size_t max_items = 1u << 16;  // total number of data items
};
// Strict deterministic decoding of exactly one item filling all of `data`.
Result<Value> decode(ByteView data, const DecodeLimits& limits = {});
// Strict decoding of one item at the start of `data`; returns the item and bytes consumed.
Result<std::pair<Value, std::size_t>> decode_prefix(ByteView data, const DecodeLimits& limits = {});

// Diagnostic notation (RFC 8949 §8), for tests and debugging; never used on secrets.
std::string diagnostic(const Value& v);

}  // namespace keyward::cbor

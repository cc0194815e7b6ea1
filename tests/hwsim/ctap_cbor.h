// Small CBOR value type for the virtual authenticator: a strict decoder for requests and an
// encoder that always produces CTAP2 canonical form (shortest heads, definite lengths, map
// keys sorted by the first byte of their encoding, then length, then bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto.h"

namespace hwsim {

struct Cbor {
  enum class Type { uint, nint, bytes, text, array, map, boolean, null };
  Type type = Type::null;
  std::uint64_t num = 0;  // uint: value; nint: n where the value is -1 - n
  Bytes bytes;
  std::string text;
  std::vector<Cbor> items;                   // array
  std::vector<std::pair<Cbor, Cbor>> pairs;  // map
  bool flag = false;

  // Out of line: std::pair<Cbor, Cbor> needs the complete type.
  Cbor();
  ~Cbor();
  Cbor(const Cbor&);
  Cbor(Cbor&&) noexcept;
  Cbor& operator=(const Cbor&);
  Cbor& operator=(Cbor&&) noexcept;

  static Cbor integer(std::int64_t v);
  static Cbor byte_string(Bytes b);
  static Cbor text_string(std::string s);
  static Cbor boolean(bool b);
  static Cbor array(std::vector<Cbor> a);
  static Cbor map(std::vector<std::pair<Cbor, Cbor>> m);

  bool is_int() const { return type == Type::uint || type == Type::nint; }
  // Integer value (clamped to int64 range); only meaningful when is_int().
  std::int64_t as_int() const;
  const Cbor* get(std::int64_t key) const;
  const Cbor* get(std::string_view key) const;
};

Bytes cbor_encode(const Cbor& v);
// Decodes exactly one item filling all of `in`; nullopt on malformed or trailing data.
std::optional<Cbor> cbor_decode(const Bytes& in);

}  // namespace hwsim

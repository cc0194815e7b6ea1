// CBOR values, the deterministic encoder (RFC 8949 §4.2.1) and diagnostic notation (§8).
// The strict decoder is in cbor_decode.cpp.
#include "core/cbor.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/cbor_internal.h"

namespace keyward::cbor {
namespace internal {

void put_head(Bytes& out, Major major, std::uint64_t arg) {
  const auto mt = static_cast<std::uint8_t>(major << 5);
  auto put_be = [&out](std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  if (arg < 24) {
    out.push_back(static_cast<std::uint8_t>(mt | arg));
  } else if (arg <= 0xff) {
    out.push_back(mt | 24);
    put_be(arg, 1);
  } else if (arg <= 0xffff) {
    out.push_back(mt | 25);
    put_be(arg, 2);
  } else if (arg <= 0xffffffff) {
    out.push_back(mt | 26);
    put_be(arg, 4);
  } else {
    out.push_back(mt | 27);
    put_be(arg, 8);
  }
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (RFC 3629 §4).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  std::size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;  // no overlong forms
    if (c == 0xed) hi = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;  // no overlong forms
    if (c == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return len;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

namespace {

// Does the binary64 value (unbiased exponent e, 52-bit fraction m, normal) fit a binary format
// with `mant` fraction bits and normal exponents emin..emax, possibly as a subnormal?
bool fits(int e, std::uint64_t m, int mant, int emin, int emax) {
  if (e > emax) return false;
  int dropped = 52 - mant;                  // fraction bits the narrow format cannot keep
  if (e < emin) {
    if (e < emin - mant) return false;      // below the smallest subnormal
    dropped += emin - e;                    // subnormal: the leading 1 moves into the fraction
  }
  if (dropped >= 53) return false;
  const std::uint64_t sig = (std::uint64_t{1} << 52) | m;
  return (sig & ((std::uint64_t{1} << dropped) - 1)) == 0;
}

// Narrow encoding of a normal binary64 that fits (see fits()).
std::uint64_t narrow(std::uint64_t sign, int e, std::uint64_t m, int mant, int emin, int bias,
                     int width_bits) {
  const std::uint64_t sign_bit = sign << (width_bits - 1);
  if (e >= emin) {
    return sign_bit | (static_cast<std::uint64_t>(e + bias) << mant) | (m >> (52 - mant));
  }
  const std::uint64_t sig = (std::uint64_t{1} << 52) | m;
  return sign_bit | (sig >> (52 - mant + (emin - e)));
}

}  // namespace

FloatBits preferred_float(double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  const std::uint64_t sign = bits >> 63;
  const int exp = static_cast<int>((bits >> 52) & 0x7ff);
  const std::uint64_t m = bits & ((std::uint64_t{1} << 52) - 1);
  if (exp == 0x7ff) {
    if (m != 0) return {2, 0x7e00};               // NaN: the single deterministic form
    return {2, (sign << 15) | 0x7c00};            // +-Infinity
  }
  if (exp == 0) {
    if (m == 0) return {2, sign << 15};           // +-0.0
    return {8, bits};                             // binary64 subnormals fit nothing shorter
  }
  const int e = exp - 1023;
  if (fits(e, m, 10, -14, 15)) return {2, narrow(sign, e, m, 10, -14, 15, 16)};
  if (fits(e, m, 23, -126, 127)) return {4, narrow(sign, e, m, 23, -126, 127, 32)};
  return {8, bits};
}

double half_to_double(std::uint16_t h) {
  const bool neg = (h & 0x8000) != 0;
  const int exp = (h >> 10) & 0x1f;
  const int frac = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(frac, -24);
  } else if (exp == 31) {
    v = frac == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else {
    v = std::ldexp(frac + 1024, exp - 25);
  }
  return neg ? -v : v;
}

}  // namespace internal

using namespace internal;

// ---- construction

Value Value::uint(std::uint64_t u) { return Value(Storage{u}); }

Value Value::integer(std::int64_t i) {
  if (i >= 0) return uint(static_cast<std::uint64_t>(i));
  return negative(static_cast<std::uint64_t>(-(i + 1)));
}

Value Value::negative(std::uint64_t n) { return Value(Storage{NegInt{n}}); }
Value Value::bytes(Bytes b) { return Value(Storage{std::move(b)}); }

Value Value::text(std::string_view s) {
  if (valid_utf8(s)) return Value(Storage{std::string(s)});
  std::string clean;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      clean.append("\xef\xbf\xbd");  // U+FFFD for each byte that starts no valid sequence
      i += 1;
    } else {
      clean.append(s.substr(i, n));
      i += n;
    }
  }
  return Value(Storage{std::move(clean)});
}

Result<Value> Value::text_checked(std::string s) {
  if (!valid_utf8(s)) return fail(Errc::invalid_argument, "cbor: text is not valid UTF-8");
  return Value(Storage{std::move(s)});
}

Value Value::array(Array a) { return Value(Storage{std::move(a)}); }

Result<Value> Value::map(Map m) {
  std::vector<Bytes> keys;
  keys.reserve(m.size());
  for (const auto& kv : m) keys.push_back(encode(kv.first));
  std::vector<std::size_t> order(m.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  Map sorted;
  sorted.reserve(m.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k > 0 && keys[order[k]] == keys[order[k - 1]]) {
      // The key itself is not quoted: map contents may be sensitive.
      return fail(Errc::invalid_argument, "cbor: duplicate map key (" + std::to_string(m.size()) +
                                              "-entry map)");
    }
    sorted.push_back(std::move(m[order[k]]));
  }
  return Value(Storage{std::move(sorted)});
}

Value Value::tag(std::uint64_t number, Value content) {
  return Value(Storage{Tagged{number, std::make_shared<const Value>(std::move(content))}});
}

Value Value::boolean(bool b) { return Value(Storage{SimpleVal{b ? kTrue : kFalse}}); }
Value Value::null() { return Value(Storage{SimpleVal{kNull}}); }
Value Value::undefined() { return Value(Storage{SimpleVal{kUndefined}}); }

Result<Value> Value::simple(std::uint8_t s) {
  if (s >= 24 && s < 32) {
    return fail(Errc::invalid_argument, "cbor: simple values 24..31 do not exist (RFC 8949 §3.3)");
  }
  return Value(Storage{SimpleVal{s}});
}

Value Value::floating(double d) { return Value(Storage{d}); }

// ---- inspection

Value::Type Value::type() const {
  static constexpr Type kTypes[] = {Type::unsigned_int, Type::negative_int, Type::bytes,
                                    Type::text,         Type::array,        Type::map,
                                    Type::tag,          Type::simple,       Type::float_};
  return kTypes[v_.index()];
}

bool Value::is_bool() const {
  const auto* s = std::get_if<SimpleVal>(&v_);
  return s != nullptr && (s->v == kFalse || s->v == kTrue);
}
bool Value::is_null() const {
  const auto* s = std::get_if<SimpleVal>(&v_);
  return s != nullptr && s->v == kNull;
}
bool Value::is_undefined() const {
  const auto* s = std::get_if<SimpleVal>(&v_);
  return s != nullptr && s->v == kUndefined;
}

std::uint64_t Value::as_uint() const { return std::get<std::uint64_t>(v_); }

std::optional<std::int64_t> Value::as_int64() const {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    if (*u <= kMax) return static_cast<std::int64_t>(*u);
  } else if (const auto* n = std::get_if<NegInt>(&v_)) {
    if (n->n <= kMax) return -1 - static_cast<std::int64_t>(n->n);
  }
  return std::nullopt;
}

const Bytes& Value::as_bytes() const { return std::get<Bytes>(v_); }
const std::string& Value::as_text() const { return std::get<std::string>(v_); }
const Array& Value::as_array() const { return std::get<Array>(v_); }
const Map& Value::as_map() const { return std::get<Map>(v_); }
bool Value::as_bool() const {
  if (!is_bool()) throw std::bad_variant_access();
  return std::get<SimpleVal>(v_).v == kTrue;
}
double Value::as_double() const { return std::get<double>(v_); }
std::uint64_t Value::tag_number() const { return std::get<Tagged>(v_).number; }
const Value& Value::tag_content() const { return *std::get<Tagged>(v_).content; }
std::uint8_t Value::simple_value() const { return std::get<SimpleVal>(v_).v; }
std::uint64_t Value::negative_arg() const { return std::get<NegInt>(v_).n; }

const Value* Value::find(std::int64_t key) const {
  const auto* m = std::get_if<Map>(&v_);
  if (m == nullptr) return nullptr;
  for (const auto& [k, v] : *m) {
    if (k.as_int64() == key) return &v;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  const auto* m = std::get_if<Map>(&v_);
  if (m == nullptr) return nullptr;
  for (const auto& [k, v] : *m) {
    if (k.is_text() && k.as_text() == key) return &v;
  }
  return nullptr;
}

bool operator==(const Value& a, const Value& b) {
  if (a.v_.index() != b.v_.index()) return false;
  switch (a.type()) {
    case Value::Type::unsigned_int: return a.as_uint() == b.as_uint();
    case Value::Type::negative_int: return a.negative_arg() == b.negative_arg();
    case Value::Type::bytes: return a.as_bytes() == b.as_bytes();
    case Value::Type::text: return a.as_text() == b.as_text();
    case Value::Type::array: return a.as_array() == b.as_array();
    case Value::Type::map: return a.as_map() == b.as_map();
    case Value::Type::tag: return a.tag_number() == b.tag_number() && a.tag_content() == b.tag_content();
    case Value::Type::simple: return a.simple_value() == b.simple_value();
    case Value::Type::float_: {
      const auto pa = preferred_float(a.as_double());
      const auto pb = preferred_float(b.as_double());
      return pa.width == pb.width && pa.bits == pb.bits;
    }
  }
  return false;
}

// ---- encoding

namespace {

void encode_into(const Value& v, Bytes& out) {
  switch (v.type()) {
    case Value::Type::unsigned_int: put_head(out, kUnsigned, v.as_uint()); break;
    case Value::Type::negative_int: put_head(out, kNegative, v.negative_arg()); break;
    case Value::Type::bytes:
      put_head(out, kBytes, v.as_bytes().size());
      append(out, v.as_bytes());
      break;
    case Value::Type::text:
      put_head(out, kText, v.as_text().size());
      append(out, keyward::as_bytes(v.as_text()));
      break;
    case Value::Type::array:
      put_head(out, kArray, v.as_array().size());
      for (const auto& item : v.as_array()) encode_into(item, out);
      break;
    case Value::Type::map:
      put_head(out, kMap, v.as_map().size());
      for (const auto& [key, value] : v.as_map()) {
        encode_into(key, out);
        encode_into(value, out);
      }
      break;
    case Value::Type::tag:
      put_head(out, kTag, v.tag_number());
      encode_into(v.tag_content(), out);
      break;
    case Value::Type::simple:
      // put_head gives 0xe0|s below 24 and 0xf8 s from 32 on (24..31 cannot be constructed).
      put_head(out, kSimpleFloat, v.simple_value());
      break;
    case Value::Type::float_: {
      const auto f = preferred_float(v.as_double());
      out.push_back(static_cast<std::uint8_t>(0xe0 | (f.width == 2 ? 25 : f.width == 4 ? 26 : 27)));
      for (int i = f.width - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(f.bits >> (8 * i)));
      break;
    }
  }
}

}  // namespace

Bytes encode(const Value& v) {
  Bytes out;
  encode_into(v, out);
  return out;
}

// ---- diagnostic notation

namespace {

void hex4(std::string& out, unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xf]);
}

void diag_text(const std::string& s, std::string& out) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    unsigned cp;
    std::size_t n;
    if (c < 0x80) { cp = c; n = 1; }
    else if (c < 0xe0) { cp = c & 0x1fu; n = 2; }
    else if (c < 0xf0) { cp = c & 0x0fu; n = 3; }
    else { cp = c & 0x07u; n = 4; }
    n = std::min(n, s.size() - i);  // text is valid UTF-8; stay in bounds regardless
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3fu);
    i += n;
    if (cp == '"' || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp >= 0x20 && cp < 0x7f) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x10000) {
      hex4(out, cp);
    } else {
      cp -= 0x10000;
      hex4(out, 0xd800 + (cp >> 10));
      hex4(out, 0xdc00 + (cp & 0x3ff));
    }
  }
  out.push_back('"');
}

void diag_float(double d, std::string& out) {
  if (std::isnan(d)) { out += "NaN"; return; }
  if (std::isinf(d)) { out += d < 0 ? "-Infinity" : "Infinity"; return; }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string s(buf, r.ptr);
  out += s;
  if (s.find_first_of(".e") == std::string::npos) out += ".0";
}

void diag_into(const Value& v, std::string& out) {
  switch (v.type()) {
    case Value::Type::unsigned_int: out += std::to_string(v.as_uint()); break;
    case Value::Type::negative_int: {
      const std::uint64_t n = v.negative_arg();
      out += n == std::numeric_limits<std::uint64_t>::max() ? "-18446744073709551616"
                                                             : "-" + std::to_string(n + 1);
      break;
    }
    case Value::Type::bytes: {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "h'";
      for (std::uint8_t b : v.as_bytes()) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xf]);
      }
      out += "'";
      break;
    }
    case Value::Type::text: diag_text(v.as_text(), out); break;
    case Value::Type::array: {
      out += "[";
      bool first = true;
      for (const auto& item : v.as_array()) {
        if (!first) out += ", ";
        first = false;
        diag_into(item, out);
      }
      out += "]";
      break;
    }
    case Value::Type::map: {
      out += "{";
      bool first = true;
      for (const auto& [key, value] : v.as_map()) {
        if (!first) out += ", ";
        first = false;
        diag_into(key, out);
        out += ": ";
        diag_into(value, out);
      }
      out += "}";
      break;
    }
    case Value::Type::tag:
      out += std::to_string(v.tag_number()) + "(";
      diag_into(v.tag_content(), out);
      out += ")";
      break;
    case Value::Type::simple:
      switch (v.simple_value()) {
        case 20: out += "false"; break;
        case 21: out += "true"; break;
        case 22: out += "null"; break;
        case 23: out += "undefined"; break;
        default: out += "simple(" + std::to_string(v.simple_value()) + ")";
      }
      break;
    case Value::Type::float_: diag_float(v.as_double(), out); break;
  }
}

}  // namespace

std::string diagnostic(const Value& v) {
  std::string out;
  diag_into(v, out);
  return out;
}

}  // namespace keyward::cbor

#include "ctap_cbor.h"

#include <algorithm>
#include <limits>

namespace hwsim {
namespace {

void head(Bytes& out, int major, std::uint64_t v) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  if (v < 24) {
    out.push_back(static_cast<std::uint8_t>(m | v));
  } else if (v <= 0xFF) {
    out.push_back(m | 24);
    out.push_back(static_cast<std::uint8_t>(v));
  } else if (v <= 0xFFFF) {
    out.push_back(m | 25);
    for (int s = 8; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  } else if (v <= 0xFFFFFFFFull) {
    out.push_back(m | 26);
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  } else {
    out.push_back(m | 27);
    for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
  }
}

void encode(Bytes& out, const Cbor& v) {
  switch (v.type) {
    case Cbor::Type::uint: head(out, 0, v.num); break;
    case Cbor::Type::nint: head(out, 1, v.num); break;
    case Cbor::Type::bytes:
      head(out, 2, v.bytes.size());
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      break;
    case Cbor::Type::text:
      head(out, 3, v.text.size());
      out.insert(out.end(), v.text.begin(), v.text.end());
      break;
    case Cbor::Type::array:
      head(out, 4, v.items.size());
      for (const auto& i : v.items) encode(out, i);
      break;
    case Cbor::Type::map: {
      std::vector<std::pair<Bytes, Bytes>> enc;
      for (const auto& [k, val] : v.pairs) {
        Bytes kb, vb;
        encode(kb, k);
        encode(vb, val);
        enc.emplace_back(std::move(kb), std::move(vb));
      }
      std::sort(enc.begin(), enc.end(), [](const auto& a, const auto& b) {
        if (a.first[0] != b.first[0]) return a.first[0] < b.first[0];
        if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
        return a.first < b.first;
      });
      head(out, 5, enc.size());
      for (const auto& [k, val] : enc) {
        out.insert(out.end(), k.begin(), k.end());
        out.insert(out.end(), val.begin(), val.end());
      }
      break;
    }
    case Cbor::Type::boolean: out.push_back(v.flag ? 0xF5 : 0xF4); break;
    case Cbor::Type::null: out.push_back(0xF6); break;
  }
}

struct Reader {
  const Bytes& in;
  std::size_t pos = 0;

  bool arg(std::uint8_t info, std::uint64_t& v) {
    if (info < 24) {
      v = info;
      return true;
    }
    int n = info == 24 ? 1 : info == 25 ? 2 : info == 26 ? 4 : info == 27 ? 8 : 0;
    if (n == 0 || in.size() - pos < static_cast<std::size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | in[pos++];
    return true;
  }

  std::optional<Cbor> item(int depth) {
    if (depth > 16 || pos >= in.size()) return std::nullopt;
    const std::uint8_t ib = in[pos++];
    const int major = ib >> 5;
    const std::uint8_t info = ib & 0x1F;
    Cbor c;
    if (major == 7) {
      if (info == 20 || info == 21) {
        c.type = Cbor::Type::boolean;
        c.flag = info == 21;
        return c;
      }
      if (info == 22) return c;  // null
      return std::nullopt;     // floats, undefined, simple values: not used by CTAP2
    }
    std::uint64_t v = 0;
    if (!arg(info, v)) return std::nullopt;
    switch (major) {
      case 0: c.type = Cbor::Type::uint; c.num = v; return c;
      case 1: c.type = Cbor::Type::nint; c.num = v; return c;
      case 2:
      case 3: {
        if (in.size() - pos < v) return std::nullopt;
        auto b = in.begin() + static_cast<long>(pos);
        auto e = b + static_cast<long>(v);
        if (major == 2) {
          c.type = Cbor::Type::bytes;
          c.bytes.assign(b, e);
        } else {
          c.type = Cbor::Type::text;
          c.text.assign(b, e);
        }
        pos += v;
        return c;
      }
      case 4:
        c.type = Cbor::Type::array;
        if (v > in.size()) return std::nullopt;
        for (std::uint64_t i = 0; i < v; ++i) {
          auto x = item(depth + 1);
          if (!x) return std::nullopt;
          c.items.push_back(std::move(*x));
        }
        return c;
      case 5:
        c.type = Cbor::Type::map;
        if (v > in.size()) return std::nullopt;
        for (std::uint64_t i = 0; i < v; ++i) {
          auto k = item(depth + 1);
          if (!k) return std::nullopt;
          auto x = item(depth + 1);
          if (!x) return std::nullopt;
          c.pairs.emplace_back(std::move(*k), std::move(*x));
        }
        return c;
      default: return std::nullopt;  // tags are not used by CTAP2
    }
  }
};

}  // namespace

Cbor::Cbor() = default;
Cbor::~Cbor() = default;
Cbor::Cbor(const Cbor&) = default;
Cbor::Cbor(Cbor&&) noexcept = default;
Cbor& Cbor::operator=(const Cbor&) = default;
Cbor& Cbor::operator=(Cbor&&) noexcept = default;

Cbor Cbor::integer(std::int64_t v) {
  Cbor c;
  if (v >= 0) {
    c.type = Type::uint;
    c.num = static_cast<std::uint64_t>(v);
  } else {
    c.type = Type::nint;
    c.num = static_cast<std::uint64_t>(-1 - v);
  }
  return c;
}

Cbor Cbor::byte_string(Bytes b) {
  Cbor c;
  c.type = Type::bytes;
  c.bytes = std::move(b);
  return c;
}

Cbor Cbor::text_string(std::string s) {
  Cbor c;
  c.type = Type::text;
  c.text = std::move(s);
  return c;
}

Cbor Cbor::boolean(bool b) {
  Cbor c;
  c.type = Type::boolean;
  c.flag = b;
  return c;
}

Cbor Cbor::array(std::vector<Cbor> a) {
  Cbor c;
  c.type = Type::array;
  c.items = std::move(a);
  return c;
}

Cbor Cbor::map(std::vector<std::pair<Cbor, Cbor>> m) {
  Cbor c;
  c.type = Type::map;
  c.pairs = std::move(m);
  return c;
}

std::int64_t Cbor::as_int() const {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (type == Type::uint) return static_cast<std::int64_t>(std::min(num, max));
  if (type == Type::nint) return -1 - static_cast<std::int64_t>(std::min(num, max - 1));
  return 0;
}

const Cbor* Cbor::get(std::int64_t key) const {
  for (const auto& [k, v] : pairs) {
    if (k.is_int() && k.as_int() == key) return &v;
  }
  return nullptr;
}

const Cbor* Cbor::get(std::string_view key) const {
  for (const auto& [k, v] : pairs) {
    if (k.type == Type::text && k.text == key) return &v;
  }
  return nullptr;
}

Bytes cbor_encode(const Cbor& v) {
  Bytes out;
  encode(out, v);
  return out;
}

std::optional<Cbor> cbor_decode(const Bytes& in) {
  Reader r{in};
  auto v = r.item(0);
  if (!v || r.pos != in.size()) return std::nullopt;
  return v;
}

}  // namespace hwsim

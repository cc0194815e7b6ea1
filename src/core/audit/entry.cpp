#include "core/audit/entry.h"

#include <ctime>

#include "core/hash.h"
#include "core/hex.h"

namespace keyward::audit {
namespace {

constexpr std::uint64_t kMaxNumber = (std::uint64_t{1} << 63) - 1;

bool is_safe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/' || c == ':' || c == '@';
}

tl::unexpected<Error> bad(std::string_view what) {
  return fail(Errc::malformed, "audit entry: " + std::string(what));
}

std::string u64s(std::uint64_t v) { return std::to_string(v); }

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxNumber) return false;
  out = v;
  return true;
}

bool lower_hex(std::string_view s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

template <std::size_t N>
std::array<std::uint8_t, N> from_hex(std::string_view s) {
  std::array<std::uint8_t, N> a{};
  auto b = encoding::hex_decode(s);
  if (b && b->size() == N) std::copy(b->begin(), b->end(), a.begin());
  return a;
}

bool valid_slot_type(std::string_view s) {
  if (s.size() > 16) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// Splits "key=value" tokens in the fixed order; value may be empty.
class Fields {
 public:
  explicit Fields(std::string_view line) : rest_(line) {}
  bool next(std::string_view key, std::string_view& value) {
    if (done_) return false;
    auto sp = rest_.find(' ');
    std::string_view tok = rest_.substr(0, sp);
    if (sp == std::string_view::npos) {
      done_ = true;
    } else {
      rest_.remove_prefix(sp + 1);
    }
    if (tok.size() <= key.size() || tok.substr(0, key.size()) != key || tok[key.size()] != '=') {
      return false;
    }
    value = tok.substr(key.size() + 1);
    return true;
  }
  bool word(std::string_view w) {
    auto sp = rest_.find(' ');
    if (sp == std::string_view::npos || rest_.substr(0, sp) != w) return false;
    rest_.remove_prefix(sp + 1);
    return true;
  }
  bool done() const { return done_; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::ok: return "ok";
    case Outcome::denied: return "denied";
    case Outcome::error: return "error";
  }
  return "error";
}

Outcome outcome_of(Errc code) {
  switch (code) {
    case Errc::auth_failed:
    case Errc::policy:
    case Errc::presence:
    case Errc::pin_blocked:
    case Errc::cancelled:
    case Errc::expired:
    case Errc::replay: return Outcome::denied;
    default: return Outcome::error;
  }
}

bool valid_op(std::string_view s) {
  if (s.empty() || s.size() > 32 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool valid_item_name(std::string_view s) {
  if (s.empty() || s.size() > 300) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '.' || c == '_' || c == '/' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool valid_tier(std::string_view s) { return s == "normal" || s == "high" || s == "unknown"; }

std::string pct_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (is_safe(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<std::string> pct_decode(std::string_view s) {
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '%') {
      if (i + 2 >= s.size()) return bad("truncated %-escape");
      int hi = nib(s[i + 1]), lo = nib(s[i + 2]);
      if (hi < 0 || lo < 0) return bad("bad %-escape");
      auto b = static_cast<unsigned char>(hi * 16 + lo);
      if (is_safe(b)) return bad("needless %-escape");
      out.push_back(static_cast<char>(b));
      i += 2;
    } else if (is_safe(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      return bad("unescaped character");
    }
  }
  return out;
}

std::string format_time(std::uint64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::uint64_t> parse_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ, exactly.
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return bad("time is not YYYY-MM-DDTHH:MM:SSZ");
  }
  auto num = [&](std::size_t at, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) ||
      !num(17, 2, sec) || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      sec > 59) {
    return bad("time is out of range");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t t = ::timegm(&tm);
  if (t < 0) return bad("time is out of range");
  auto v = static_cast<std::uint64_t>(t);
  if (format_time(v) != s) return bad("time is not a valid calendar date");
  return v;
}

Result<std::uint64_t> parse_since(std::string_view s, std::uint64_t now) {
  auto invalid = [&] {
    return fail(Errc::invalid_argument,
                "--since takes a UTC time (2026-01-31T12:00:00Z), a date (2026-01-31) or an age "
                "such as 30m, 12h or 7d; got '" + std::string(s) + "'");
  };
  if (s.size() == 10) {
    auto t = parse_time(std::string(s) + "T00:00:00Z");
    if (!t) return invalid();
    return *t;
  }
  if (s.size() == 20) {
    auto t = parse_time(s);
    if (!t) return invalid();
    return *t;
  }
  if (s.size() >= 2) {
    std::uint64_t n = 0;
    if (!parse_u64(s.substr(0, s.size() - 1), n) || n > 100000000) return invalid();
    std::uint64_t unit = 0;
    switch (s.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return invalid();
    }
    return n * unit > now ? 0 : now - n * unit;
  }
  return invalid();
}

Result<std::string> encode_body(const Entry& e) {
  const Event& ev = e.event;
  auto invalid = [](std::string_view what) {
    return fail(Errc::invalid_argument, "audit entry: " + std::string(what));
  };
  if (e.seq == 0 || e.seq > kMaxNumber) return invalid("sequence number out of range");
  if (e.time > 253402300799ULL) return invalid("time out of range");
  if (!lower_hex(e.key, 16)) return invalid("key id must be 16 lowercase hex digits");
  if (!valid_op(ev.op)) return invalid("bad operation name");
  if (!valid_slot_type(ev.slot_type) || ev.slot_label.size() > 128) return invalid("bad slot");
  if (ev.detail.size() > kMaxDetail) return invalid("detail too long");
  if (ev.requester.argv.size() > kMaxArgs || ev.requester.pid > kMaxNumber ||
      ev.requester.ppid > kMaxNumber || ev.requester.parent.size() > 256 ||
      ev.requester.tty.size() > 256) {
    return invalid("requester out of range");
  }
  std::string out;
  out.reserve(256);
  out += kEntryMagic;
  out += " seq=" + u64s(e.seq);
  out += " time=" + format_time(e.time);
  out += " key=" + e.key;
  out += " prev=" + encoding::hex_encode(e.prev);
  out += " op=" + ev.op;
  out += " outcome=" + std::string(outcome_name(ev.outcome));
  out += " slot=" + u64s(ev.slot);
  out += " slot-type=" + ev.slot_type;
  out += " slot-label=" + pct_encode(ev.slot_label);
  out += " items=";
  for (std::size_t i = 0; i < ev.items.size(); ++i) {
    if (!valid_item_name(ev.items[i].name) || !valid_tier(ev.items[i].tier)) {
      return invalid("bad item '" + pct_encode(ev.items[i].name) + "'");
    }
    if (i > 0) out += ',';
    out += ev.items[i].name + ":" + ev.items[i].tier;
  }
  out += " cmd=";
  for (std::size_t i = 0; i < ev.requester.argv.size(); ++i) {
    const std::string& a = ev.requester.argv[i];
    if (a.empty() || a.size() > kMaxArg) return invalid("bad command-line argument");
    if (i > 0) out += '+';
    out += pct_encode(a);
  }
  out += " pid=" + u64s(ev.requester.pid);
  out += " ppid=" + u64s(ev.requester.ppid);
  out += " parent=" + pct_encode(ev.requester.parent);
  out += " tty=" + pct_encode(ev.requester.tty);
  out += " detail=" + pct_encode(ev.detail);
  if (out.size() + 69 > kMaxLine) return invalid("entry too long");
  return out;
}

Result<std::string> encode_line(const Entry& e) {
  KW_TRY(auto body, encode_body(e));
  return body + " mac=" + encoding::hex_encode(e.mac);
}

std::string_view line_body(std::string_view line) {
  auto at = line.rfind(" mac=");
  return at == std::string_view::npos ? line : line.substr(0, at);
}

Result<Entry> parse_line(std::string_view line) {
  if (line.size() > kMaxLine) return bad("line too long");
  Fields f(line);
  Entry e;
  Event& ev = e.event;
  std::string_view v;
  if (!f.word(kEntryMagic)) return bad("not a kwaudit1 line");
  if (!f.next("seq", v) || !parse_u64(v, e.seq) || e.seq == 0) return bad("bad seq");
  if (!f.next("time", v)) return bad("bad time");
  KW_TRY(e.time, parse_time(v));
  if (!f.next("key", v) || !lower_hex(v, 16)) return bad("bad key");
  e.key = std::string(v);
  if (!f.next("prev", v) || !lower_hex(v, 64)) return bad("bad prev");
  e.prev = from_hex<32>(v);
  if (!f.next("op", v) || !valid_op(v)) return bad("bad op");
  ev.op = std::string(v);
  if (!f.next("outcome", v)) return bad("bad outcome");
  if (v == "ok") {
    ev.outcome = Outcome::ok;
  } else if (v == "denied") {
    ev.outcome = Outcome::denied;
  } else if (v == "error") {
    ev.outcome = Outcome::error;
  } else {
    return bad("bad outcome");
  }
  std::uint64_t n = 0;
  if (!f.next("slot", v) || !parse_u64(v, n) || n > 0xFFFFFFFFu) return bad("bad slot");
  ev.slot = static_cast<std::uint32_t>(n);
  if (!f.next("slot-type", v) || !valid_slot_type(v)) return bad("bad slot-type");
  ev.slot_type = std::string(v);
  if (!f.next("slot-label", v)) return bad("bad slot-label");
  KW_TRY(ev.slot_label, pct_decode(v));
  if (ev.slot_label.size() > 128) return bad("bad slot-label");
  if (!f.next("items", v)) return bad("bad items");
  while (!v.empty()) {
    auto comma = v.find(',');
    std::string_view it = v.substr(0, comma);
    auto colon = it.rfind(':');
    if (colon == std::string_view::npos) return bad("bad item");
    Item item{std::string(it.substr(0, colon)), std::string(it.substr(colon + 1))};
    if (!valid_item_name(item.name) || !valid_tier(item.tier)) return bad("bad item");
    ev.items.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
    if (v.empty()) return bad("bad items");
  }
  if (!f.next("cmd", v)) return bad("bad cmd");
  while (!v.empty()) {
    auto plus = v.find('+');
    KW_TRY(auto arg, pct_decode(v.substr(0, plus)));
    if (arg.empty() || arg.size() > kMaxArg || ev.requester.argv.size() >= kMaxArgs) {
      return bad("bad cmd");
    }
    ev.requester.argv.push_back(std::move(arg));
    if (plus == std::string_view::npos) break;
    v.remove_prefix(plus + 1);
    if (v.empty()) return bad("bad cmd");
  }
  if (!f.next("pid", v) || !parse_u64(v, ev.requester.pid)) return bad("bad pid");
  if (!f.next("ppid", v) || !parse_u64(v, ev.requester.ppid)) return bad("bad ppid");
  if (!f.next("parent", v)) return bad("bad parent");
  KW_TRY(ev.requester.parent, pct_decode(v));
  if (!f.next("tty", v)) return bad("bad tty");
  KW_TRY(ev.requester.tty, pct_decode(v));
  if (!f.next("detail", v)) return bad("bad detail");
  KW_TRY(ev.detail, pct_decode(v));
  if (ev.detail.size() > kMaxDetail || ev.requester.parent.size() > 256 ||
      ev.requester.tty.size() > 256) {
    return bad("field too long");
  }
  if (!f.next("mac", v) || !lower_hex(v, 64) || !f.done()) return bad("bad mac");
  e.mac = from_hex<32>(v);
  return e;
}

Digest entry_mac(const SecretBytes& key, const VaultId& vid, std::string_view body) {
  Bytes msg = to_bytes(label::kEntry);
  append(msg, vid);
  auto len = static_cast<std::uint32_t>(body.size());
  for (int s = 24; s >= 0; s -= 8) msg.push_back(static_cast<std::uint8_t>(len >> s));
  append(msg, as_bytes(body));
  Bytes mac = hash::hmac_sha256(key, msg);
  Digest d{};
  std::copy(mac.begin(), mac.end(), d.begin());
  return d;
}

Digest chain_hash(std::string_view line) {
  Bytes msg = to_bytes(label::kChain);
  append(msg, as_bytes(line));
  return hash::sha256(msg);
}

}  // namespace keyward::audit

// dotenv parser and canonical writer. The rules implemented here are specified in
// docs/dotenv.md; keep the two in step.
//
// Secrecy: values are copied straight from the document into SecretBytes (their length is
// computed first, then they are decoded into an exactly sized buffer), so no std::string ever
// holds a value. Error messages are built from fixed text and line numbers only.
#include "core/dotenv.h"

#include <string_view>
#include <unordered_map>

namespace keyward {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_key_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9'); }

// Length of the well-formed UTF-8 sequence (RFC 3629) starting at s[i], or 0 if ill-formed.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  const unsigned c = b(0);
  if (c < 0x80) return 1;
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < left && b(k) >= lo && b(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no UTF-16 surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Code point of the (valid) UTF-8 sequence starting at s[i].
char32_t decode_at(std::string_view s, std::size_t i) {
  const std::size_t n = utf8_len(s, i);
  auto b = [&](std::size_t k) -> char32_t { return static_cast<unsigned char>(s[i + k]); };
  if (n == 1) return b(0);
  if (n == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (n == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

// Characters JavaScript's String.prototype.trim() and \s treat as white space (ECMA-262
// WhiteSpace + LineTerminator). npm dotenv trims unquoted values with them.
bool is_js_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

tl::unexpected<Error> line_error(std::size_t line, std::string_view reason) {
  return fail(Errc::malformed, "dotenv line " + std::to_string(line) + ": " + std::string(reason));
}

class Parser {
 public:
  Parser(std::string_view s, const DotenvOptions& o) : s_(s), opt_(o) {}

  Result<std::vector<DotenvEntry>> run() {
    KW_TRY_STATUS(check_text());
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") i_ = 3;  // UTF-8 byte order mark
    std::vector<DotenvEntry> out;
    std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> seen;  // key -> index, line
    while (true) {
      skip_blanks();
      if (at_end()) break;
      if (at_eol()) {
        consume_eol();
        continue;
      }
      if (s_[i_] == '#') {
        skip_to_eol();
        consume_eol();
        continue;
      }
      const std::size_t entry_line = line_;
      KW_TRY(std::string key, parse_key());
      KW_TRY(SecretBytes value, parse_value());
      if (!at_eol()) return line_error(line_, "internal: value did not end at a line end");
      consume_eol();
      auto it = seen.find(key);
      if (it == seen.end()) {
        seen.emplace(key, std::make_pair(out.size(), entry_line));
        out.push_back(DotenvEntry{std::move(key), std::move(value)});
      } else if (opt_.duplicates == DotenvDuplicates::last_wins) {
        out[it->second.first].value = std::move(value);
      } else {
        return line_error(entry_line, "duplicate key (first defined on line " +
                                          std::to_string(it->second.second) + ")");
      }
    }
    return out;
  }

 private:
  bool strict() const { return opt_.dialect == DotenvDialect::sealed_env_v1; }
  bool at_end() const { return i_ >= s_.size(); }
  // After check_text() every CR is followed by LF, so a CR always starts a line end.
  bool at_eol() const { return at_end() || s_[i_] == '\n' || s_[i_] == '\r'; }
  void skip_blanks() {
    while (!at_end() && is_blank(s_[i_])) ++i_;
  }
  void skip_to_eol() {
    while (!at_eol()) ++i_;
  }
  void consume_eol() {
    if (at_end()) return;
    if (s_[i_] == '\r') ++i_;
    ++i_;
    ++line_;
  }

  // Whole-document checks, so the grammar below only ever sees clean text.
  Status check_text() const {
    if (s_.size() > opt_.max_document_bytes)
      return fail(Errc::malformed, "dotenv document is larger than the limit of " +
                                       std::to_string(opt_.max_document_bytes) + " bytes");
    std::size_t line = 1;
    for (std::size_t i = 0; i < s_.size();) {
      const char c = s_[i];
      if (c == '\0') return line_error(line, "NUL byte (a dotenv document is text)");
      if (c == '\r' && (i + 1 >= s_.size() || s_[i + 1] != '\n'))
        return line_error(line, "carriage return not followed by a line feed");
      if (c == '\n') ++line;
      const std::size_t n = utf8_len(s_, i);
      if (n == 0) return line_error(line, "invalid UTF-8");
      i += n;
    }
    return ok();
  }

  Result<std::string> parse_key() {
    if (s_.compare(i_, 6, "export") == 0 && i_ + 6 < s_.size() && is_blank(s_[i_ + 6])) {
      i_ += 6;
      skip_blanks();
      if (at_eol()) return line_error(line_, "'export' must be followed by KEY=value");
    }
    if (!is_key_start(s_[i_]))
      return line_error(line_, "expected a key (keys match [A-Za-z_][A-Za-z0-9_]*)");
    const std::size_t start = i_;
    while (!at_end() && is_key_char(s_[i_])) ++i_;
    if (i_ - start > opt_.max_key_length)
      return line_error(line_, "key is longer than " + std::to_string(opt_.max_key_length) +
                                   " bytes");
    std::string key(s_.substr(start, i_ - start));
    if (!at_eol() && !is_blank(s_[i_]) && s_[i_] != '=')
      return line_error(line_, "invalid character in key (keys match [A-Za-z_][A-Za-z0-9_]*)");
    skip_blanks();
    if (at_eol() || s_[i_] != '=') return line_error(line_, "expected '=' after the key");
    ++i_;
    skip_blanks();
    return key;
  }

  Result<SecretBytes> parse_value() {
    if (at_eol()) return SecretBytes();
    const char c = s_[i_];
    if (c == '`')
      return line_error(line_, "backtick quotes are not supported; use single or double quotes");
    if (c != '\'' && c != '"') return unquoted();
    KW_TRY(SecretBytes v, c == '\'' ? single_quoted() : double_quoted());
    skip_blanks();  // after a closing quote: only blanks and an optional comment
    if (!at_eol()) {
      if (s_[i_] != '#') return line_error(line_, "unexpected text after the closing quote");
      skip_to_eol();
    }
    return v;
  }

  Result<SecretBytes> unquoted() {
    const std::size_t start = i_;
    skip_to_eol();
    std::size_t end = i_;
    // A '#' preceded by a space or tab starts a comment (start > 0: '=' precedes the value).
    for (std::size_t p = start; p < i_; ++p) {
      if (s_[p] == '#' && is_blank(s_[p - 1])) {
        end = p;
        break;
      }
    }
    while (end > start && is_blank(s_[end - 1])) --end;
    const std::string_view v = s_.substr(start, end - start);
    if (strict() && !v.empty()) {
      if (v.find('#') != std::string_view::npos)
        return line_error(line_, "SEALED-ENV-V1: an unquoted value must not contain '#' (npm "
                                 "dotenv cuts the value there); quote the value");
      std::size_t last = v.size() - 1;
      while (last > 0 && (static_cast<unsigned char>(v[last]) & 0xC0) == 0x80) --last;
      if (is_js_space(decode_at(v, 0)) || is_js_space(decode_at(v, last)))
        return line_error(line_, "SEALED-ENV-V1: an unquoted value must not start or end with "
                                 "Unicode white space (npm dotenv trims it); quote the value");
    }
    return SecretBytes::copy_of(v);
  }

  Result<SecretBytes> single_quoted() {
    const std::size_t open_line = line_;
    const std::size_t close = s_.find('\'', i_ + 1);
    if (close == std::string_view::npos)
      return line_error(open_line, "unterminated single-quoted value (opened on line " +
                                       std::to_string(open_line) + ")");
    const std::string_view raw = s_.substr(i_ + 1, close - i_ - 1);
    std::size_t crs = 0;
    for (char c : raw) {
      if (c == '\r') ++crs;  // always the CR of a CRLF (check_text): the line end reads as LF
      if (c == '\n') ++line_;
    }
    if (strict() && !raw.empty() && raw.back() == '\\')
      return line_error(line_, "SEALED-ENV-V1: a single-quoted value must not end with a "
                               "backslash (npm dotenv reads \\' as an escaped quote)");
    SecretBytes out(raw.size() - crs);
    std::size_t n = 0;
    for (char c : raw)
      if (c != '\r') out.data()[n++] = static_cast<std::uint8_t>(c);
    i_ = close + 1;
    return out;
  }

  // Maps the character after a backslash to the byte it stands for, or -1 if not allowed.
  int escape(char e) const {
    switch (e) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return strict() ? -1 : '\t';
      case '"': return strict() ? -1 : '"';
      case '\\': return strict() ? -1 : '\\';
      case '$': return strict() ? -1 : '$';
      default: return -1;
    }
  }

  Result<SecretBytes> double_quoted() {
    const std::size_t open_line = line_;
    const auto unterminated = [&] {
      return line_error(open_line, "unterminated double-quoted value (opened on line " +
                                       std::to_string(open_line) + ")");
    };
    // Pass 1: validate, find the closing quote, count the decoded length.
    std::size_t p = i_ + 1, len = 0;
    while (true) {
      if (p >= s_.size()) return unterminated();
      const char c = s_[p];
      if (c == '"') break;
      if (c == '\\') {
        if (p + 1 >= s_.size()) return unterminated();
        if (escape(s_[p + 1]) < 0)
          return line_error(line_, strict()
              ? "SEALED-ENV-V1: only the escapes \\n and \\r are allowed in a double-quoted "
                "value (npm dotenv keeps other backslashes); use single quotes"
              : "unsupported escape sequence in a double-quoted value (supported: \\n \\r \\t "
                "\\\" \\\\ \\$)");
        p += 2;
        ++len;
        continue;
      }
      if (c == '\n') ++line_;
      if (c != '\r') ++len;  // CR of CRLF: the line end reads as LF
      ++p;
    }
    const std::size_t close = p;
    // Pass 2: decode into an exactly sized secret buffer.
    SecretBytes out(len);
    std::size_t n = 0;
    for (p = i_ + 1; p < close; ++p) {
      char c = s_[p];
      if (c == '\r') continue;
      if (c == '\\') c = static_cast<char>(escape(s_[++p]));
      out.data()[n++] = static_cast<std::uint8_t>(c);
    }
    i_ = close + 1;
    return out;
  }

  std::string_view s_;
  const DotenvOptions& opt_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
};

// ---- writer

enum class Form { empty, plain, single, dbl, raw };

bool is_plain_char(char c) {
  return is_key_char(c) || std::string_view("-./:@%+,=").find(c) != std::string_view::npos;
}

Form choose_form(std::string_view v) {
  if (v.empty()) return Form::empty;
  bool plain = true, single_ok = v.back() != '\\';
  for (char c : v) {
    if (!is_plain_char(c)) plain = false;
    if (c == '\'' || c == '\r') single_ok = false;
  }
  if (plain) return Form::plain;
  return single_ok ? Form::single : Form::dbl;
}

// SEALED-ENV-V1 fallback for a value the double-quoted form cannot carry there: the value as
// unquoted text, when npm dotenv and keyward both read it back unchanged (one line, no '#',
// not starting with a quote, no white space at either end).
bool raw_ok(std::string_view v) {
  if (v.empty() || v.find_first_of("#\n\r") != std::string_view::npos) return false;
  if (v[0] == '\'' || v[0] == '"' || v[0] == '`') return false;
  std::size_t last = v.size() - 1;
  while (last > 0 && (static_cast<unsigned char>(v[last]) & 0xC0) == 0x80) --last;
  return !is_js_space(decode_at(v, 0)) && !is_js_space(decode_at(v, last));
}

std::size_t dbl_extra(std::string_view v) {
  std::size_t extra = 0;
  for (char c : v)
    if (c == '\\' || c == '"' || c == '\n' || c == '\r') ++extra;
  return extra;
}

}  // namespace

bool dotenv_valid_key(std::string_view key, std::size_t max_length) noexcept {
  if (key.empty() || key.size() > max_length || !is_key_start(key[0])) return false;
  for (char c : key)
    if (!is_key_char(c)) return false;
  return true;
}

Result<std::vector<DotenvEntry>> dotenv_parse(ByteView text, const DotenvOptions& options) {
  return Parser(as_chars(text), options).run();
}

Result<SecretBytes> dotenv_write(const std::vector<DotenvEntry>& entries,
                                 const DotenvOptions& options) {
  const bool strict = options.dialect == DotenvDialect::sealed_env_v1;
  std::unordered_map<std::string_view, std::size_t> seen;
  std::vector<Form> forms;
  forms.reserve(entries.size());
  std::size_t total = 0;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const auto& e = entries[k];
    const std::string where = "dotenv entry " + std::to_string(k + 1);
    if (!dotenv_valid_key(e.key, options.max_key_length))
      return fail(Errc::invalid_argument,
                  where + ": invalid key (keys match [A-Za-z_][A-Za-z0-9_]*, at most " +
                      std::to_string(options.max_key_length) + " bytes)");
    const std::string named = where + " (" + e.key + ")";
    if (auto [it, fresh] = seen.emplace(e.key, k); !fresh)
      return fail(Errc::invalid_argument,
                  named + ": duplicate key (also entry " + std::to_string(it->second + 1) + ")");
    const std::string_view v = e.value.reveal_string();
    if (v.find('\0') != std::string_view::npos)
      return fail(Errc::invalid_argument, named + ": value contains a NUL byte, which a dotenv "
                                                  "document cannot represent");
    if (!valid_utf8(v)) return fail(Errc::invalid_argument, named + ": value is not valid UTF-8");
    Form f = choose_form(v);
    if (strict && f == Form::dbl &&
        (v.find('"') != std::string_view::npos || v.find('\\') != std::string_view::npos)) {
      if (!raw_ok(v))
        return fail(Errc::invalid_argument,
                    named + ": SEALED-ENV-V1: npm dotenv cannot read this value back: it needs "
                            "double quotes (a single quote, a carriage return or a final "
                            "backslash) but contains a double quote or a backslash, which npm "
                            "dotenv does not unescape, and it cannot be left unquoted (line "
                            "break, '#', leading quote or white space at an end)");
      f = Form::raw;
    }
    forms.push_back(f);
    total += e.key.size() + 2 + v.size();  // KEY = value LF
    if (f == Form::single) total += 2;
    if (f == Form::dbl) total += 2 + dbl_extra(v);
  }
  if (total > options.max_document_bytes)
    return fail(Errc::invalid_argument, "dotenv document would be larger than the limit of " +
                                            std::to_string(options.max_document_bytes) + " bytes");
  SecretBytes out(total);
  std::size_t n = 0;
  auto put = [&](char c) { out.data()[n++] = static_cast<std::uint8_t>(c); };
  for (std::size_t k = 0; k < entries.size(); ++k) {
    for (char c : entries[k].key) put(c);
    put('=');
    const std::string_view v = entries[k].value.reveal_string();
    switch (forms[k]) {
      case Form::empty: break;
      case Form::plain:
      case Form::raw:
        for (char c : v) put(c);
        break;
      case Form::single:
        put('\'');
        for (char c : v) put(c);
        put('\'');
        break;
      case Form::dbl:
        put('"');
        for (char c : v) {
          if (c == '\\' || c == '"') put('\\');
          if (c == '\n') { put('\\'); c = 'n'; }
          if (c == '\r') { put('\\'); c = 'r'; }
          put(c);
        }
        put('"');
        break;
    }
    put('\n');
  }
  return out;
}

bool dotenv_entries_equal(const std::vector<DotenvEntry>& a, const std::vector<DotenvEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k].key != b[k].key || !a[k].value.equals(b[k].value.view())) return false;
  return true;
}

}  // namespace keyward

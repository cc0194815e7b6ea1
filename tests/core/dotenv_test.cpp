// dotenv parser and writer: every rule of docs/dotenv.md with a concrete example, the
// secrecy of error messages, and round-trip property tests over a nasty value alphabet.
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "core/dotenv.h"

using namespace keyward;
using Catch::Matchers::Contains;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs to_pairs(const std::vector<DotenvEntry>& entries) {
  Pairs out;
  for (const auto& e : entries) out.emplace_back(e.key, std::string(e.value.reveal_string()));
  return out;
}

std::vector<DotenvEntry> to_entries(const Pairs& pairs) {
  std::vector<DotenvEntry> out;
  for (const auto& [k, v] : pairs) out.push_back({k, SecretBytes::copy_of(std::string_view(v))});
  return out;
}

Pairs parse_ok(std::string_view text, const DotenvOptions& o = {}) {
  auto r = dotenv_parse(as_bytes(text), o);
  INFO((r ? std::string("ok") : r.error().message));
  REQUIRE(r);
  return to_pairs(*r);
}

// Parsing must fail; returns the message after checking it is a malformed-input error.
std::string parse_err(std::string_view text, const DotenvOptions& o = {}) {
  auto r = dotenv_parse(as_bytes(text), o);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().code == Errc::malformed);
  return r.error().message;
}

std::string write_ok(const Pairs& pairs, const DotenvOptions& o = {}) {
  auto r = dotenv_write(to_entries(pairs), o);
  INFO((r ? std::string("ok") : r.error().message));
  REQUIRE(r);
  return std::string(r->reveal_string());
}

std::string write_err(const Pairs& pairs, const DotenvOptions& o = {}) {
  auto r = dotenv_write(to_entries(pairs), o);
  REQUIRE_FALSE(r);
  REQUIRE(r.error().code == Errc::invalid_argument);
  return r.error().message;
}

const DotenvOptions kSealed = DotenvOptions::sealed_env_v1();

}  // namespace

TEST_CASE("dotenv: KEY=value lines in document order", "[dotenv]") {
  REQUIRE(parse_ok("A=1\nB=two\nC=3") == Pairs{{"A", "1"}, {"B", "two"}, {"C", "3"}});
  REQUIRE(parse_ok("").empty());
  REQUIRE(parse_ok("URL=postgres://u@h:5432/db?x=y&z=1\n") ==
          Pairs{{"URL", "postgres://u@h:5432/db?x=y&z=1"}});  // '=' after the first is data
}

TEST_CASE("dotenv: optional export prefix", "[dotenv]") {
  REQUIRE(parse_ok("export A=1\nexport\t B=2\n") == Pairs{{"A", "1"}, {"B", "2"}});
  REQUIRE(parse_ok("export=1\n") == Pairs{{"export", "1"}});  // a key named export
  REQUIRE(parse_ok("exportX=1\n") == Pairs{{"exportX", "1"}});
  REQUIRE_THAT(parse_err("A=1\nexport   \n"), Contains("line 2") && Contains("export"));
  REQUIRE_THAT(parse_err("export A\n"), Contains("line 1") && Contains("expected '='"));
}

TEST_CASE("dotenv: comment lines, inline comments and blank lines", "[dotenv]") {
  REQUIRE(parse_ok("# top\n\n   \t\n  # indented\nA=1\n\n#B=2\n") == Pairs{{"A", "1"}});
  // ' #' or tab-'#' starts a comment in an unquoted value; any other '#' is data.
  REQUIRE(parse_ok("A=value # note\n") == Pairs{{"A", "value"}});
  REQUIRE(parse_ok("A=value\t#note\n") == Pairs{{"A", "value"}});
  REQUIRE(parse_ok("A=a#b\n") == Pairs{{"A", "a#b"}});
  REQUIRE(parse_ok("A=#notacomment\n") == Pairs{{"A", "#notacomment"}});
  REQUIRE(parse_ok("A= #comment\n") == Pairs{{"A", ""}});
  REQUIRE(parse_ok("A=x #one #two\n") == Pairs{{"A", "x"}});
  REQUIRE(parse_ok("A=x# #y\n") == Pairs{{"A", "x#"}});
  // After a closing quote: blanks and an optional comment (no blank needed).
  REQUIRE(parse_ok("A='a # b' # c\nB=\"x\"#c\n") == Pairs{{"A", "a # b"}, {"B", "x"}});
}

TEST_CASE("dotenv: unquoted values are trimmed, literal, and whitespace around = is allowed",
          "[dotenv]") {
  REQUIRE(parse_ok("A=   spaced out \t \n") == Pairs{{"A", "spaced out"}});
  REQUIRE(parse_ok("A \t=  v\n") == Pairs{{"A", "v"}});
  REQUIRE(parse_ok("A=\n") == Pairs{{"A", ""}});
  REQUIRE(parse_ok("A=  \t\n") == Pairs{{"A", ""}});
  REQUIRE(parse_ok("A=\\n\\t\"q'\n") == Pairs{{"A", "\\n\\t\"q'"}});  // no escapes unquoted
  REQUIRE(parse_ok("  A=1") == Pairs{{"A", "1"}});  // leading blanks, no final newline
}

TEST_CASE("dotenv: single quotes are literal and may span lines", "[dotenv]") {
  REQUIRE(parse_ok("A='  x\\n$HOME\"#  '\n") == Pairs{{"A", "  x\\n$HOME\"#  "}});
  REQUIRE(parse_ok("A=''\n") == Pairs{{"A", ""}});
  REQUIRE(parse_ok("K='-----BEGIN KEY-----\nabc\n-----END KEY-----'\nB=2\n") ==
          Pairs{{"K", "-----BEGIN KEY-----\nabc\n-----END KEY-----"}, {"B", "2"}});
  REQUIRE_THAT(parse_err("A=1\nB='open\nC=3\n"),
               Contains("line 2") && Contains("unterminated single-quoted"));
  // A quote inside ends the value; what follows is an error, not a silent misread.
  REQUIRE_THAT(parse_err("A='it's'\n"), Contains("line 1") && Contains("after the closing quote"));
}

TEST_CASE("dotenv: double quotes with escapes, multi-line", "[dotenv]") {
  REQUIRE(parse_ok(R"(A="l1\nl2\r\t\"q\" back\\slash \$HOME it's #x")") ==
          Pairs{{"A", "l1\nl2\r\t\"q\" back\\slash $HOME it's #x"}});
  REQUIRE(parse_ok("A=\"\"\n") == Pairs{{"A", ""}});
  REQUIRE(parse_ok("A=\"two\nlines\"\nB=\"\\\\n\"\n") ==
          Pairs{{"A", "two\nlines"}, {"B", "\\n"}});
  REQUIRE(parse_ok("A=\"  keep  \"\n") == Pairs{{"A", "  keep  "}});
  // Unknown escapes are rejected (never guessed), with the line where they occur.
  for (const char* bad : {R"(A="\q")", R"(A="\'")", R"(A="\x41")", R"(A="\u00e9")", "A=\"\\\nx\""}) {
    INFO(bad);
    REQUIRE_THAT(parse_err(std::string("X=1\n") + bad), Contains("line 2") && Contains("escape"));
  }
  REQUIRE_THAT(parse_err("A=\"a\nb\nc\\zd\"\n"), Contains("line 3"));
  REQUIRE_THAT(parse_err("A=\"open\n\nB=2\n"),
               Contains("line 1") && Contains("unterminated double-quoted"));
  REQUIRE_THAT(parse_err("A=\"abc\\"), Contains("unterminated"));
  REQUIRE_THAT(parse_err("A=\"x\" y\n"), Contains("after the closing quote"));
}

TEST_CASE("dotenv: no interpolation, $VAR stays literal", "[dotenv]") {
  REQUIRE(parse_ok("HOME=/root\nA=$HOME\nB=\"${HOME}/x\"\nC='$HOME'\n") ==
          Pairs{{"HOME", "/root"}, {"A", "$HOME"}, {"B", "${HOME}/x"}, {"C", "$HOME"}});
}

TEST_CASE("dotenv: CRLF line endings, lone CR rejected", "[dotenv]") {
  REQUIRE(parse_ok("A=1\r\n# c\r\n\r\nB='x\r\ny'\r\nC=\"p\r\nq\" \r\nD=v #c\r\n") ==
          Pairs{{"A", "1"}, {"B", "x\ny"}, {"C", "p\nq"}, {"D", "v"}});
  REQUIRE_THAT(parse_err("A=1\nB=x\ry\n"), Contains("line 2") && Contains("carriage return"));
  REQUIRE_THAT(parse_err("A='x\ry'"), Contains("line 1") && Contains("carriage return"));
  REQUIRE_THAT(parse_err("A=1\r"), Contains("carriage return"));
}

TEST_CASE("dotenv: duplicate keys are rejected by default, last_wins is opt-in", "[dotenv]") {
  REQUIRE_THAT(parse_err("A=1\nB=2\nexport A=3\n"),
               Contains("line 3") && Contains("duplicate") && Contains("line 1"));
  DotenvOptions lw;
  lw.duplicates = DotenvDuplicates::last_wins;
  REQUIRE(parse_ok("A=1\nB=2\nA=3\n", lw) == Pairs{{"A", "3"}, {"B", "2"}});
  REQUIRE(parse_ok("a=1\nA=2\n") == Pairs{{"a", "1"}, {"A", "2"}});  // keys are case-sensitive
}

TEST_CASE("dotenv: strict key charset and maximum key length", "[dotenv]") {
  REQUIRE(parse_ok("_=1\n_a9=2\nZz_0=3\n") == Pairs{{"_", "1"}, {"_a9", "2"}, {"Zz_0", "3"}});
  for (const char* bad : {"1A=x", "A-B=x", "A.B=x", "A:B=x", "=x", "\xC3\xA9=x", "A$=x", "'A'=x"}) {
    INFO(bad);
    REQUIRE_THAT(parse_err(std::string("OK=1\n") + bad), Contains("line 2") && Contains("key"));
  }
  REQUIRE_THAT(parse_err("A\n"), Contains("expected '='"));
  REQUIRE_THAT(parse_err("A B=1\n"), Contains("expected '='"));
  REQUIRE_THAT(parse_err("A: 1\n"), Contains("invalid character in key"));
  const std::string k255(255, 'K');
  REQUIRE(parse_ok(k255 + "=v") == Pairs{{k255, "v"}});
  REQUIRE_THAT(parse_err(k255 + "K=v"), Contains("longer than 255"));
  DotenvOptions small;
  small.max_key_length = 4;
  REQUIRE_THAT(parse_err("ABCDE=1", small), Contains("longer than 4"));
  REQUIRE(dotenv_valid_key("A_1"));
  REQUIRE_FALSE(dotenv_valid_key(""));
  REQUIRE_FALSE(dotenv_valid_key("9A"));
  REQUIRE_FALSE(dotenv_valid_key("ABCDE", 4));
}

TEST_CASE("dotenv: NUL, invalid UTF-8, backticks, BOM and size limit", "[dotenv]") {
  REQUIRE_THAT(parse_err(std::string("A=1\nB=x\0y\n", 10)), Contains("line 2") && Contains("NUL"));
  REQUIRE_THAT(parse_err("A=1\n\nB=\xC3\x28\n"), Contains("line 3") && Contains("UTF-8"));
  REQUIRE_THAT(parse_err("A='\xED\xA0\x80'"), Contains("UTF-8"));  // encoded surrogate
  REQUIRE_THAT(parse_err("A=\xC0\xAF"), Contains("UTF-8"));        // overlong
  REQUIRE_THAT(parse_err("A=`x`\n"), Contains("line 1") && Contains("backtick"));
  REQUIRE(parse_ok("A=a`b`\n") == Pairs{{"A", "a`b`"}});
  REQUIRE(parse_ok("\xEF\xBB\xBF" "A=caf\xC3\xA9 \xF0\x9F\x94\x91\n") ==
          Pairs{{"A", "caf\xC3\xA9 \xF0\x9F\x94\x91"}});
  DotenvOptions tiny;
  tiny.max_document_bytes = 8;
  REQUIRE(parse_ok("A=123456", tiny) == Pairs{{"A", "123456"}});
  REQUIRE_THAT(parse_err("A=1234567", tiny), Contains("larger than the limit of 8"));
}

TEST_CASE("dotenv: error messages never contain document text", "[dotenv]") {
  const std::string secret = "sk_live_hunter2XYZ";
  const std::vector<std::string> docs = {
      "A=\"" + secret + "\\q\"\n",                 // bad escape
      "A='" + secret + "\n",                       // unterminated
      "A=\"" + secret + "\n",                      // unterminated
      "A=1\n" + secret + "\n",                     // value line without a key's '='
      "A=1\n" + secret + "-x=1\n",                 // invalid key
      "A='" + secret + "'" + secret + "\n",        // text after quote
      "A=" + secret + "\r" + secret + "\n",        // lone CR
      "A=" + secret + "\xFF\n",                    // invalid UTF-8
      "A=" + secret + std::string(1, '\0') + "\n",  // NUL
      secret + "=1\n" + secret + "=2\n",           // duplicate (key text is document text)
  };
  for (const auto& d : docs) {
    const auto msg = parse_err(d);
    INFO(msg);
    REQUIRE_THAT(msg, Contains("line "));
    REQUIRE(msg.find("hunter2") == std::string::npos);
  }
  const auto strict_msg = parse_err("A=" + secret + "#x\n", kSealed);
  REQUIRE(strict_msg.find("hunter2") == std::string::npos);
  const auto wmsg = write_err({{"A", secret + std::string(1, '\0')}});
  REQUIRE(wmsg.find("hunter2") == std::string::npos);
  REQUIRE(write_err({{"A", secret + "\xFF"}}).find("hunter2") == std::string::npos);
  REQUIRE(write_err({{"A", "it's \"" + secret + "\n"}}, kSealed).find("hunter2") == std::string::npos);
}

TEST_CASE("dotenv: canonical writer form", "[dotenv]") {
  REQUIRE(write_ok({}).empty());
  // Unquoted only for [A-Za-z0-9_./:@%+,=-]+ (also safe for a POSIX shell).
  REQUIRE(write_ok({{"A", "cross-stack"}, {"B", "postgres://u@h:1/d,c+d%20=x"}}) ==
          "A=cross-stack\nB=postgres://u@h:1/d,c+d%20=x\n");
  REQUIRE(write_ok({{"Q", "h/d?a=b&c"}}) == "Q='h/d?a=b&c'\n");
  REQUIRE(write_ok({{"E", ""}}) == "E=\n");
  REQUIRE(write_ok({{"S", "hello world"}}) == "S='hello world'\n");
  REQUIRE(write_ok({{"S", " lead#trail\t"}}) == "S=' lead#trail\t'\n");
  REQUIRE(write_ok({{"S", "$HOME \\n \"x\""}}) == "S='$HOME \\n \"x\"'\n");
  REQUIRE(write_ok({{"P", "-----BEGIN-----\nAAA\n-----END-----\n"}}) ==
          "P='-----BEGIN-----\nAAA\n-----END-----\n'\n");
  REQUIRE(write_ok({{"U", "caf\xC3\xA9"}}) == "U='caf\xC3\xA9'\n");
  // Needs double quotes: contains ', or CR, or ends with a backslash.
  REQUIRE(write_ok({{"D", "it's"}}) == "D=\"it's\"\n");
  REQUIRE(write_ok({{"D", "a\r\nb"}}) == "D=\"a\\r\\nb\"\n");
  REQUIRE(write_ok({{"D", "C:\\"}}) == "D=\"C:\\\\\"\n");
  REQUIRE(write_ok({{"D", "'\"\\$\t#"}}) == "D=\"'\\\"\\\\$\t#\"\n");
}

TEST_CASE("dotenv: writer rejects what it cannot write", "[dotenv]") {
  REQUIRE_THAT(write_err({{"A", "1"}, {"1BAD", "x"}}), Contains("entry 2") && Contains("invalid key"));
  REQUIRE_THAT(write_err({{"", "x"}}), Contains("entry 1"));
  REQUIRE_THAT(write_err({{"A", "1"}, {"A", "2"}}), Contains("entry 2") && Contains("duplicate"));
  REQUIRE_THAT(write_err({{"A", std::string("x\0y", 3)}}), Contains("entry 1") && Contains("NUL"));
  REQUIRE_THAT(write_err({{"A", "\xC3"}}), Contains("UTF-8"));
  DotenvOptions tiny;
  tiny.max_document_bytes = 4;
  REQUIRE(write_ok({{"A", "1"}}, tiny) == "A=1\n");
  REQUIRE_THAT(write_err({{"A", "12"}}, tiny), Contains("larger than the limit of 4"));
}

TEST_CASE("dotenv: SEALED-ENV-V1 published plaintext reads and re-writes byte for byte",
          "[dotenv][sealed-env]") {
  // expected.plaintext_hex of test-vectors/sealed-env-v1/credential-modernization-basic-valid.json
  // (also "plaintext" of node-basic.json): "API_KEY=cross-stack\nDB_URL=postgres://prod\n".
  const std::string plaintext = "API_KEY=cross-stack\nDB_URL=postgres://prod\n";
  const Pairs expected = {{"API_KEY", "cross-stack"}, {"DB_URL", "postgres://prod"}};
  REQUIRE(parse_ok(plaintext, kSealed) == expected);
  REQUIRE(parse_ok(plaintext) == expected);
  REQUIRE(write_ok(expected, kSealed) == plaintext);
}

TEST_CASE("dotenv: SEALED-ENV-V1 dialect rejects what npm dotenv reads differently",
          "[dotenv][sealed-env]") {
  // Accepted alike by both dialects.
  const std::string common =
      "# comment\r\nexport A=1 # c\nB='it is #1\nsecond line'\nC=\"it's\\nfine\\r\"\nD=\n";
  const Pairs both = {{"A", "1"}, {"B", "it is #1\nsecond line"}, {"C", "it's\nfine\r"}, {"D", ""}};
  REQUIRE(parse_ok(common, kSealed) == both);
  REQUIRE(parse_ok(common) == both);
  // '#' inside an unquoted value: data for keyward, a comment start for npm dotenv.
  REQUIRE(parse_ok("A=a#b") == Pairs{{"A", "a#b"}});
  REQUIRE_THAT(parse_err("X=1\nA=a#b", kSealed), Contains("line 2") && Contains("'#'"));
  // Escapes other than \n and \r: npm dotenv keeps the backslash.
  for (const char* esc : {R"(A="\t")", R"(A="\\")", R"(A="\"")", R"(A="\$")"}) {
    INFO(esc);
    REQUIRE(parse_ok(esc).size() == 1);
    REQUIRE_THAT(parse_err(esc, kSealed), Contains("line 1") && Contains("\\n and \\r"));
  }
  // A single-quoted value ending in a backslash: npm dotenv reads \' as an escaped quote.
  REQUIRE(parse_ok("A='C:\\'") == Pairs{{"A", "C:\\"}});
  REQUIRE_THAT(parse_err("A='C:\\'", kSealed), Contains("backslash"));
  // Unicode white space at the ends of an unquoted value: JavaScript's trim() removes it.
  REQUIRE(parse_ok("A=\xC2\xA0x") == Pairs{{"A", "\xC2\xA0x"}});
  REQUIRE_THAT(parse_err("A=\xC2\xA0x", kSealed), Contains("white space"));
  REQUIRE_THAT(parse_err("A=x\xE3\x80\x80", kSealed), Contains("white space"));
  REQUIRE_THAT(parse_err("A=x\v", kSealed), Contains("white space"));
  REQUIRE(parse_ok("A=x\xC2\xA0y", kSealed) == Pairs{{"A", "x\xC2\xA0y"}});
  // Duplicates stay rejected (npm dotenv would let the last one win silently).
  REQUIRE_THAT(parse_err("A=1\nA=2\n", kSealed), Contains("duplicate"));
}

TEST_CASE("dotenv: SEALED-ENV-V1 writer refuses values npm dotenv cannot read back",
          "[dotenv][sealed-env]") {
  // Representable: same canonical form as the keyward dialect.
  for (const std::string v : {"plain", "with space", "it's", "a\r\nb", "tab\there", "#$'"}) {
    INFO(v);
    REQUIRE(write_ok({{"A", v}}, kSealed) == write_ok({{"A", v}}));
  }
  // Needs double quotes (', CR, or a final backslash) and contains " or \ : written unquoted
  // when both readers take that literally, as in npm dotenv.
  REQUIRE(write_ok({{"J", "{\"msg\":\"it's\"}"}}, kSealed) == "J={\"msg\":\"it's\"}\n");
  REQUIRE(write_ok({{"W", "C:\\"}}, kSealed) == "W=C:\\\n");
  REQUIRE(parse_ok("J={\"msg\":\"it's\"}\nW=C:\\\n", kSealed) ==
          Pairs{{"J", "{\"msg\":\"it's\"}"}, {"W", "C:\\"}});
  // Otherwise not representable for npm dotenv.
  for (const std::string v : {"it's\n\"two\"", "it's #\"1\"", " it's \\", "\"it's\"", "a\rb\\",
                              "it's\"\xC2\xA0"}) {
    INFO(v);
    REQUIRE_THAT(write_err({{"A", v}}, kSealed), Contains("entry 1 (A)") && Contains("npm dotenv"));
    REQUIRE(write_ok({{"A", v}}).size() > 3);  // the keyward dialect writes it
  }
}

namespace {

// Random entries for the property tests: keys from the key charset, values from an alphabet
// of everything that has a meaning somewhere in the grammar, plus multi-byte UTF-8.
std::vector<DotenvEntry> random_entries(std::mt19937_64& rng) {
  static const std::vector<std::string> alphabet = {
      "a", "Z", "0", "_", "-", ".", "/", ":", "=", "'", "\"", "`", "\\", "\n", "\r", "\r\n",
      "#", " #", "$", "${X}", " ", "\t", "\v", "export ", "\\n", "\\'", "\xC3\xA9",
      "\xE2\x82\xAC", "\xF0\x9F\x94\x91", "\xC2\xA0", "\xEF\xBB\xBF", "\x01", "\x7F"};
  static const std::string key_start = "ABCXYZabcxyz_";
  static const std::string key_rest = "ABCXYZabcxyz_0189";
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::vector<DotenvEntry> out;
  const std::size_t count = pick(8);
  for (std::size_t i = 0; i < count; ++i) {
    std::string key(1, key_start[pick(key_start.size())]);
    for (std::size_t n = pick(6); n > 0; --n) key += key_rest[pick(key_rest.size())];
    key += "_" + std::to_string(i);  // unique
    std::string value;
    const std::size_t len = pick(4) == 0 ? 0 : pick(24);
    for (std::size_t n = 0; n < len; ++n) value += alphabet[pick(alphabet.size())];
    out.push_back({std::move(key), SecretBytes::copy_of(std::string_view(value))});
  }
  return out;
}

std::uint64_t property_seed() {
  if (const char* s = std::getenv("KEYWARD_DOTENV_SEED")) return std::strtoull(s, nullptr, 0);
  return 0x6b6579776172640aULL;  // fixed, so failures reproduce; override with the variable
}

}  // namespace

TEST_CASE("dotenv: parse(write(e)) == e and write is idempotent (property)", "[dotenv][property]") {
  const std::uint64_t seed = property_seed();
  std::mt19937_64 rng(seed);
  std::size_t strict_written = 0, strict_refused = 0;
  for (int round = 0; round < 4000; ++round) {
    INFO("seed " << seed << " (KEYWARD_DOTENV_SEED), round " << round);
    const auto entries = random_entries(rng);
    auto text = dotenv_write(entries);
    REQUIRE(text);
    auto back = dotenv_parse(*text);
    INFO((back ? std::string("parsed") : back.error().message));
    REQUIRE(back);
    REQUIRE(dotenv_entries_equal(*back, entries));
    auto again = dotenv_write(*back);
    REQUIRE(again);
    REQUIRE(again->equals(text->view()));

    // The SEALED-ENV-V1 writer either writes text that both dialects read back to the same
    // entries (the canonical text unless the unquoted fallback was needed), or refuses.
    auto strict = dotenv_write(entries, kSealed);
    if (strict) {
      ++strict_written;
      auto sback = dotenv_parse(*strict, kSealed);
      INFO((sback ? std::string("parsed") : sback.error().message));
      REQUIRE(sback);
      REQUIRE(dotenv_entries_equal(*sback, entries));
      auto kback = dotenv_parse(*strict);
      REQUIRE(kback);
      REQUIRE(dotenv_entries_equal(*kback, entries));
      auto sagain = dotenv_write(*sback, kSealed);
      REQUIRE(sagain);
      REQUIRE(sagain->equals(strict->view()));
    } else {
      ++strict_refused;
      REQUIRE_THAT(strict.error().message, Contains("npm dotenv"));
    }
  }
  // The generator exercises both outcomes.
  REQUIRE(strict_written > 100);
  REQUIRE(strict_refused > 100);
}

TEST_CASE("dotenv: dotenv_entries_equal compares keys, order and values", "[dotenv]") {
  const auto a = to_entries({{"A", "1"}, {"B", "2"}});
  REQUIRE(dotenv_entries_equal(a, to_entries({{"A", "1"}, {"B", "2"}})));
  REQUIRE_FALSE(dotenv_entries_equal(a, to_entries({{"B", "2"}, {"A", "1"}})));
  REQUIRE_FALSE(dotenv_entries_equal(a, to_entries({{"A", "1"}, {"B", "3"}})));
  REQUIRE_FALSE(dotenv_entries_equal(a, to_entries({{"A", "1"}})));
}

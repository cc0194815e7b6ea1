// Helpers for the encoding tests (hex, base64, bech32, cbor): line-oriented vector files and
// deterministic random inputs for the round-trip properties.
#pragma once

#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "test_util.h"

namespace keyward::test {

// Non-empty lines of test-vectors/<relative> that are not comments ('#' first).
inline std::vector<std::string> vector_lines(const std::string& relative) {
  // Built with append rather than test_util.h's operator+ chain, which trips GCC 12's
  // -Warray-bounds false positive once inlined here.
  std::string path = KEYWARD_TEST_VECTORS;
  path.append("/").append(relative);
  std::istringstream in(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  if (lines.empty()) throw std::runtime_error("no vectors in " + relative);
  return lines;
}

// Splits at the first `sep`; throws if absent.
inline std::pair<std::string, std::string> split_once(const std::string& line, char sep) {
  const auto pos = line.find(sep);
  if (pos == std::string::npos) throw std::runtime_error("bad vector line: " + line);
  return {line.substr(0, pos), line.substr(pos + 1)};
}

// Undoes the escapes of test-vectors/encoding-reject/README.md: \s \t \n \r \\ \xHH.
inline std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') { out.push_back(s[i]); continue; }
    if (++i >= s.size()) throw std::runtime_error("dangling backslash in: " + s);
    switch (s[i]) {
      case 's': out.push_back(' '); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case '\\': out.push_back('\\'); break;
      case 'x': {
        if (i + 2 >= s.size()) throw std::runtime_error("bad \\x escape in: " + s);
        const Bytes b = unhex(s.substr(i + 1, 2));
        out.push_back(static_cast<char>(b.at(0)));
        i += 2;
        break;
      }
      default: throw std::runtime_error("unknown escape in: " + s);
    }
  }
  return out;
}

struct RejectCase {
  std::string text;    // unescaped
  std::string reason;  // for the failure message
};

inline std::vector<RejectCase> reject_cases(const std::string& relative) {
  std::vector<RejectCase> out;
  for (const auto& line : vector_lines(relative)) {
    auto [text, reason] = split_once(line, '\t');
    out.push_back({unescape(text), reason});
  }
  return out;
}

// Deterministic pseudo-random bytes (fixed seed: failures are reproducible).
class RandomBytes {
 public:
  explicit RandomBytes(std::uint64_t seed) : rng_(seed) {}
  Bytes next(std::size_t max_len) {
    std::uniform_int_distribution<std::size_t> len_dist(0, max_len);
    Bytes b(len_dist(rng_));
    for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
    return b;
  }
  std::uint64_t u64() { return rng_(); }
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }

 private:
  std::mt19937_64 rng_;
};

}  // namespace keyward::test

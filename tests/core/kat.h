// Reader for the known-answer files under test-vectors/ (format in test-vectors/README.md):
// records of `name = value` lines separated by blank lines; a line starting with whitespace
// continues the previous value; `#` lines are comments.
#pragma once

#include <cstdint>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "test_util.h"

namespace keyward::test {

class KatRecord {
 public:
  std::map<std::string, std::string> fields;

  bool has(const std::string& key) const { return fields.count(key) != 0; }
  const std::string& text(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) throw std::runtime_error("vector record has no field '" + key + "'");
    return it->second;
  }
  Bytes hex(const std::string& key) const { return unhex(text(key)); }
  std::uint64_t number(const std::string& key) const { return std::stoull(text(key)); }
  std::string name() const { return has("name") ? text("name") : std::string("(unnamed)"); }
};

inline std::vector<KatRecord> read_kat(const std::string& relative) {
  // Same file as read_vector(relative); the path is built by appending because g++ 12 -O2
  // reports a false -Warray-bounds on `std::string(a) + "/" + b` once inlined here.
  std::string path = KEYWARD_TEST_VECTORS;
  path += '/';
  path += relative;
  std::istringstream in(read_file(path));
  std::vector<KatRecord> out;
  KatRecord cur;
  std::string last;
  std::string line;
  auto flush = [&] {
    if (!cur.fields.empty()) out.push_back(cur);
    cur = KatRecord{};
    last.clear();
  };
  auto trim = [](std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return std::string();
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    if (trim(line).empty()) {
      flush();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (last.empty()) throw std::runtime_error(relative + ": continuation line without a field");
      cur.fields[last] += " " + trim(line);
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw std::runtime_error(relative + ": bad line: " + line);
    last = trim(line.substr(0, eq));
    cur.fields[last] = trim(line.substr(eq + 1));
  }
  flush();
  if (out.empty()) throw std::runtime_error(relative + ": no records");
  return out;
}

}  // namespace keyward::test

// The exit-code table of docs/exit-codes.md is the contract scripts branch on: every error class
// (Errc) appears in it exactly once, with the code exit_code() returns, and the table names no
// class that does not exist. The document is parsed, not copied, so a change to either side fails.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/error.h"
#include "test_util.h"

using namespace keyward;

namespace {

// class name -> code, from the rows "| CODE | `a`, `b` | ..." of the table.
std::map<std::string, int> documented_codes(std::set<int>& codes_seen, int& duplicate_rows) {
  // std::filesystem, not string concatenation (g++ 12 -Warray-bounds false positive, test_util.h).
  std::istringstream doc(
      test::read_file((std::filesystem::path(KEYWARD_SOURCE_DIR) / "docs" / "exit-codes.md").string()));
  std::map<std::string, int> out;
  const std::regex row(R"(^\|\s*([0-9]+)\s*\|([^|]*)\|)");
  const std::regex cls("`([a-z_]+)`");
  std::string line;
  while (std::getline(doc, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    const int code = std::stoi(m[1].str());
    codes_seen.insert(code);
    const std::string classes = m[2].str();
    for (auto it = std::sregex_iterator(classes.begin(), classes.end(), cls); it != std::sregex_iterator(); ++it) {
      if (!out.emplace((*it)[1].str(), code).second) ++duplicate_rows;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/exit-codes.md lists every error class with the code exit_code() returns", "[error]") {
  std::set<int> codes_seen;
  int duplicates = 0;
  const auto doc = documented_codes(codes_seen, duplicates);
  CHECK(duplicates == 0);
  REQUIRE(codes_seen.count(0) == 1);  // the success row
  std::set<std::string> names;
  for (int i = static_cast<int>(Errc::invalid_argument); i <= static_cast<int>(Errc::internal); ++i) {
    const auto code = static_cast<Errc>(i);
    const std::string name(errc_name(code));
    INFO("error class " << name);
    names.insert(name);
    auto it = doc.find(name);
    REQUIRE(it != doc.end());
    CHECK(exit_code(code) == it->second);
    CHECK(exit_code(code) != 0);
  }
  // Nothing documented that keyward does not have.
  for (const auto& [name, code] : doc) {
    INFO("documented class " << name << " (code " << code << ")");
    CHECK(names.count(name) == 1);
  }
  CHECK(doc.size() == names.size());
  // Every documented non-zero code is produced by some class.
  std::set<int> produced;
  for (int i = static_cast<int>(Errc::invalid_argument); i <= static_cast<int>(Errc::internal); ++i)
    produced.insert(exit_code(static_cast<Errc>(i)));
  for (int c : codes_seen) {
    if (c == 0) continue;
    INFO("documented code " << c);
    CHECK(produced.count(c) == 1);
  }
}

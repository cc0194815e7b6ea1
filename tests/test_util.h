// Helpers shared by the tests: reading vector files from test-vectors/, hex literals.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "core/bytes.h"

namespace keyward::test {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// A test case that needs an external tool states it first, before any check: in CI (CI=true) a
// missing prerequisite fails the test case; elsewhere it prints "SKIPPED: ..." (the ctest
// entries carry SKIP_REGULAR_EXPRESSION "SKIPPED:", so ctest reports it as skipped) and returns.
#define KW_SKIP_UNLESS(cond, what)                                                   \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      if (::keyward::test::in_ci()) FAIL(what << " (CI=true: a missing prerequisite is a failure)"); \
      std::cout << "SKIPPED: " << what << std::endl;                                 \
      return;                                                                        \
    }                                                                                \
  } while (0)

// Built with std::filesystem rather than string concatenation: g++ 12 at -O2 reports a false
// -Warray-bounds on the inlined `literal + "/" + s` chain.
inline std::string vector_path(const std::string& relative) {
  return (std::filesystem::path(KEYWARD_TEST_VECTORS) / relative).string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string read_vector(const std::string& relative) { return read_file(vector_path(relative)); }

// Hex string (whitespace ignored) to bytes; throws on bad input (tests only).
inline Bytes unhex(const std::string& text) {
  Bytes out;
  int hi = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':') continue;
    else throw std::runtime_error(std::string("bad hex char in test data: ") + c);
    if (hi < 0) hi = v;
    else { out.push_back(static_cast<std::uint8_t>(hi * 16 + v)); hi = -1; }
  }
  if (hi >= 0) throw std::runtime_error("odd hex length in test data");
  return out;
}

}  // namespace keyward::test

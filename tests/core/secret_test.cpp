#include <sstream>

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/random.h"
#include "core/secret.h"

using namespace keyward;

TEST_CASE("SecretBytes is zero-initialised, sized and movable", "[secret]") {
  SecretBytes s(32);
  REQUIRE(s.size() == 32);
  for (auto b : s.view()) REQUIRE(b == 0);
  s.data()[0] = 0xAA;
  SecretBytes moved = std::move(s);
  REQUIRE(moved.size() == 32);
  REQUIRE(moved.data()[0] == 0xAA);
  REQUIRE(s.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  REQUIRE(s.data() == nullptr);
}

TEST_CASE("SecretBytes never prints its contents", "[secret]") {
  auto s = SecretBytes::copy_of(std::string_view("hunter2"));
  std::ostringstream os;
  os << s;
  REQUIRE(os.str() == "[redacted 7 bytes]");
  REQUIRE(os.str().find("hunter2") == std::string::npos);
}

TEST_CASE("SecretBytes equality is by content", "[secret]") {
  auto a = SecretBytes::copy_of(std::string_view("abc"));
  REQUIRE(a.equals(as_bytes("abc")));
  REQUIRE_FALSE(a.equals(as_bytes("abd")));
  REQUIRE_FALSE(a.equals(as_bytes("ab")));
  auto c = a.clone();
  REQUIRE(c.equals(a.view()));
  REQUIRE(a.prefix(2).equals(as_bytes("ab")));
  a.clear();
  REQUIRE(a.empty());
}

TEST_CASE("empty SecretBytes is valid", "[secret]") {
  SecretBytes e(0);
  REQUIRE(e.empty());
  REQUIRE(e.view().empty());
  auto copy = SecretBytes::copy_of(ByteView{});
  REQUIRE(copy.empty());
}

TEST_CASE("random draws differ and fill the requested size", "[random]") {
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  REQUIRE(a.size() == 32);
  REQUIRE_FALSE(ct_equal(a, b));
  auto s = random_secret(16);
  REQUIRE(s.size() == 16);
  for (int i = 0; i < 1000; ++i) REQUIRE(random_uniform(7) < 7);
}

TEST_CASE("ct_equal compares contents and lengths", "[random]") {
  REQUIRE(ct_equal(std::string_view("token"), std::string_view("token")));
  REQUIRE_FALSE(ct_equal(std::string_view("token"), std::string_view("tokeN")));
  REQUIRE_FALSE(ct_equal(std::string_view("token"), std::string_view("tok")));
  REQUIRE(ct_equal(ByteView{}, ByteView{}));
}

TEST_CASE("every error class has a name and a non-zero exit code", "[error]") {
  for (int i = static_cast<int>(Errc::invalid_argument); i <= static_cast<int>(Errc::internal); ++i) {
    auto code = static_cast<Errc>(i);
    REQUIRE(exit_code(code) != 0);
    REQUIRE_FALSE(errc_name(code).empty());
  }
  REQUIRE(exit_code(Errc::decrypt_failed) != exit_code(Errc::malformed));
}

// libFuzzer target for the age header parser and the decrypt path behind it.
// Invariants: never crash; a header the parser accepts re-encodes to exactly the bytes it
// consumed (the grammar is strict, so the MAC input is unambiguous); decrypting arbitrary input
// with X25519 and scrypt identities fails or succeeds cleanly.
#include <cstdint>
#include <string>

#include "core/age/age.h"
#include "core/age/header.h"
#include "core/age/scrypt.h"
#include "core/age/x25519.h"
#include "core/base64.h"

using namespace keyward;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}

class NullWriter final : public age::ByteWriter {
 public:
  Status write(ByteView) override { return ok(); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  {
    age::MemoryReader mr(input);
    age::BufferedReader br(mr);
    auto header = age::parse_header(br);
    if (header) {
      auto text = age::encode_header_without_mac(header->stanzas);
      check(text.has_value() && *text == header->mac_input);
      const std::string full = *text + " " + encoding::base64_raw_encode(header->mac) + "\n";
      check(full.size() <= size && as_chars(input.first(full.size())) == full);
    }
  }
  {
    // The CCTV identity, so corpus files derived from the vectors reach the payload.
    static auto id = age::X25519Identity::parse(
        "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0");
    static age::ScryptIdentity pass(SecretBytes::copy_of("password"), 4);
    age::Identity* ids[] = {&*id, &pass};
    age::MemoryReader mr(input);
    NullWriter out;
    age::Stage stage{};
    auto r = age::decrypt(ids, mr, out, {}, &stage);
    check(r.has_value() == (stage == age::Stage::none));
  }
  return 0;
}

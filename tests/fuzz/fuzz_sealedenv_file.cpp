// libFuzzer target for the SEALED-ENV-V1 file parser (src/core/sealedenv/file_format.cpp).
// Properties: parsing never crashes; a rejection is malformed, or unsupported with one of the two
// public refusals (a V2+ magic line: the too-new message; KDF-PARAMS above keyward's caps: the
// limits message, given before any key derivation); an accepted file writes back to exactly the input (modulo the one optional
// trailing LF); parse_for_decrypt turns every malformed input into the opaque error; opening an
// accepted file with a fixed key fails with the opaque error and never crashes (fast KDF only).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/sealedenv/errors.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/seal.h"

using namespace keyward;
using namespace keyward::sealedenv;

namespace {
void check(bool c) {
  if (!c) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = parse_file(text);
  auto d = parse_for_decrypt(text);
  if (!f) {
    check(f.error().code == Errc::malformed || f.error().code == Errc::unsupported);
    if (f.error().code == Errc::unsupported)
      check(f.error().message == kFormatTooNewMessage ||
            f.error().message.find("exceed keyward's limits") != std::string::npos);
    check(!d);
    check(d.error().code == (f.error().code == Errc::malformed ? Errc::decrypt_failed : Errc::unsupported));
    return 0;
  }
  check(d.has_value());
  auto w = write_file(*f);
  check(w.has_value());
  std::string_view expect = text;
  if (!expect.empty() && expect.back() == '\n') expect.remove_suffix(1);
  check(*w == expect);
  // Only cheap KDF settings are opened, so the fuzzer stays fast.
  bool cheap = f->kdf.kind == KdfKind::argon2id
                   ? (f->kdf.argon2.t_cost <= 2 && f->kdf.argon2.m_cost_kib <= 64 && f->kdf.argon2.parallelism <= 2)
                   : (f->kdf.scrypt.n <= 1024 && f->kdf.scrypt.r <= 8 && f->kdf.scrypt.p <= 2);
  if (cheap) {
    Bytes key(32, 0x5a);
    OpenKeys k;
    k.master = ByteView(key);
    k.signing = ByteView(key);
    k.second_factor = totp_secret_factor(Bytes(20, 1));
    auto r = open(*f, k);
    if (!r) check(r.error().code == Errc::decrypt_failed);
  }
  return 0;
}

// `keyward selftest`: known-answer checks of every primitive against the libraries keyward is
// linked with at run time (like a power-on self-test), so a broken or substituted libsodium,
// OpenSSL or libargon2 is caught before it touches a secret. The vectors are from the standards
// named beside each check; the full suites live in tests/ and test-vectors/.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "core/aead.h"
#include "core/base64.h"
#include "core/bech32.h"
#include "core/cbor.h"
#include "core/dotenv.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/kdf.h"
#include "core/p256.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/secret.h"
#include "core/totp.h"

namespace keyward::cli {
namespace {

Bytes hx(std::string_view s) { return encoding::hex_decode(s).value_or(Bytes{}); }

bool equals_hex(ByteView got, std::string_view want) { return ct_equal(got, hx(want)); }

// Seal, open, and check that a flipped tag bit is refused with the opaque error.
template <class Seal, class Open>
bool aead_round_trip(Seal seal, Open open, std::size_t nonce_size) {
  auto key = random_secret(aead::kKeySize);
  auto nonce = random_bytes(nonce_size);
  Bytes aad = to_bytes("selftest");
  auto sealed = seal(key.view(), nonce, as_bytes("attack at dawn"), aad);
  if (!sealed) return false;
  auto opened = open(key.view(), nonce, *sealed, aad);
  if (!opened || !opened->equals(as_bytes("attack at dawn"))) return false;
  (*sealed)[sealed->size() - 1] ^= 0x01;
  auto tampered = open(key.view(), nonce, *sealed, aad);
  return !tampered && tampered.error().code == Errc::decrypt_failed;
}

struct Check {
  const char* name;
  std::function<bool()> run;
};

std::vector<Check> checks() {
  return {
      {"csprng produces distinct 32-byte draws",
       [] { return !ct_equal(random_bytes(32), random_bytes(32)); }},
      {"SHA-256 (FIPS 180-2, \"abc\")",
       [] {
         return equals_hex(hash::sha256(as_bytes("abc")),
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
       }},
      {"HMAC-SHA-256 (RFC 4231 case 2)",
       [] {
         return equals_hex(hash::hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?")),
                           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
       }},
      {"HKDF-SHA-256 (RFC 5869 A.1)",
       [] {
         auto okm = kdf::hkdf_sha256(hx("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                                     hx("000102030405060708090a0b0c"), hx("f0f1f2f3f4f5f6f7f8f9"), 42);
         return okm && equals_hex(okm->view(),
                                  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                  "34007208d5b887185865");
       }},
      {"Argon2id (RFC 9106 5.3)",
       [] {
         auto tag = kdf::argon2id_keyed(Bytes(32, 0x01), Bytes(16, 0x02), Bytes(8, 0x03),
                                        Bytes(12, 0x04), kdf::Argon2Params{3, 32, 4}, 32);
         return tag && equals_hex(tag->view(),
                                  "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
       }},
      {"scrypt (RFC 7914 12, N=16)",
       [] {
         auto out = kdf::scrypt(ByteView{}, ByteView{}, kdf::ScryptParams{16, 1, 1}, 64);
         return out && equals_hex(out->view(),
                                  "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
                                  "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
       }},
      {"AES-256-GCM (GCM spec test case 14)",
       [] {
         auto c = aead::aes256gcm_seal(Bytes(32, 0), Bytes(12, 0), Bytes(16, 0), ByteView{});
         return c && equals_hex(*c, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
       }},
      {"XChaCha20-Poly1305 round trip and tamper detection",
       [] { return aead_round_trip(aead::xchacha_seal, aead::xchacha_open, aead::kXNonceSize); }},
      {"ChaCha20-Poly1305 round trip and tamper detection",
       [] { return aead_round_trip(aead::chacha_seal, aead::chacha_open, aead::kNonceSize); }},
      {"X25519 (RFC 7748 6.1)",
       [] {
         auto shared = pubkey::x25519(
             hx("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
             hx("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
         return shared && equals_hex(shared->view(),
                                     "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
       }},
      {"Ed25519 (RFC 8032 TEST 1)",
       [] {
         auto sig = pubkey::ed25519_sign(
             hx("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), ByteView{});
         auto pub = hx("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
         return sig &&
                equals_hex(*sig, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                                 "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b") &&
                pubkey::ed25519_verify(pub, ByteView{}, *sig) &&
                !pubkey::ed25519_verify(pub, as_bytes("x"), *sig);
       }},
      {"P-256 ECDH agreement and ECDSA sign/verify",
       [] {
         auto a = p256::generate(), b = p256::generate();
         auto ab = p256::ecdh(a.private_scalar.view(), b.public_uncompressed);
         auto ba = p256::ecdh(b.private_scalar.view(), a.public_uncompressed);
         auto sig = p256::ecdsa_sign_der(a.private_scalar.view(), as_bytes("presence"));
         return ab && ba && ab->equals(ba->view()) && sig &&
                p256::ecdsa_verify_der(a.public_uncompressed, as_bytes("presence"), *sig) &&
                !p256::ecdsa_verify_der(b.public_uncompressed, as_bytes("presence"), *sig);
       }},
      {"TOTP (RFC 6238 appendix B, T=59, SHA-1)",
       [] {
         totp::Params params;
         params.digits = 8;
         auto code = totp::generate(as_bytes("12345678901234567890"), 59, params);
         return code && *code == "94287082";
       }},
      {"base64 and bech32 encodings",
       [] {
         auto b = encoding::base64_decode("Zm9vYmFy");
         auto e = encoding::bech32_encode("age", Bytes(32, 0));
         auto d = e ? encoding::bech32_decode(*e) : tl::unexpected(e.error());
         return encoding::base64_encode(as_bytes("foobar")) == "Zm9vYmFy" && b &&
                *b == to_bytes("foobar") && !encoding::base64_decode("Zm9vYmF=") && d &&
                d->hrp == "age" && d->data == Bytes(32, 0);
       }},
      {"deterministic CBOR (RFC 8949 appendix A)",
       [] {
         auto v = cbor::decode(hx("a201020304"));
         return v && cbor::encode(*v) == hx("a201020304") && !cbor::decode(hx("a203040102"));
       }},
      {"dotenv parse and canonical write",
       [] {
         auto entries = dotenv_parse(as_bytes("export A=1\nB=\"two\\nlines\" # note\n"));
         if (!entries || entries->size() != 2) return false;
         auto again = dotenv_write(*entries);
         auto reparsed = again ? dotenv_parse(again->view()) : tl::unexpected(again.error());
         return (*entries)[1].value.equals(as_bytes("two\nlines")) && reparsed &&
                reparsed->size() == 2 && (*reparsed)[1].value.equals(as_bytes("two\nlines"));
       }},
  };
}

int run_selftest(const Context& ctx) {
  int failed = 0;
  for (const auto& check : checks()) {
    bool passed = check.run();
    if (!passed) ++failed;
    if (!ctx.quiet || !passed) std::printf("%s  %s\n", passed ? "ok  " : "FAIL", check.name);
  }
  if (failed != 0) {
    return report(Error{Errc::crypto, std::to_string(failed) + " self-test check(s) failed"});
  }
  return 0;
}

void add_selftest_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("selftest", "Run known-answer checks of every primitive");
  cmd->callback([&ctx] { ctx.exit_code = run_selftest(ctx); });
}

}  // namespace

KEYWARD_COMMAND(900, add_selftest_command, "selftest");

}  // namespace keyward::cli

// SEALED-ENV-V1 container and crypto (spec §2-§8, §14): the public node-basic.json vector, own
// vectors from the independent generator tests/sealedenv/gen_own_vectors.py (byte-exact
// write -> read back with fixed salt and nonce), strict header parsing, the opaque error, V2.
#include <catch2/catch.hpp>

#include "core/dotenv.h"
#include "core/hash.h"
#include "core/hex.h"
#include "core/sealedenv/file_format.h"
#include "core/sealedenv/keys.h"
#include "core/sealedenv/seal.h"
#include "sealedenv_test_util.h"

using namespace keyward;
using namespace keyward::sealedenv;
using keyward::test::json_vector;
using keyward::test::unhex;

namespace {

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("sealed-env: node-basic.json decrypts to its plaintext and round-trips byte-exact") {
  auto v = json_vector("sealed-env-v1/node-basic.json");
  std::string text = v["serialized"];
  auto f = parse_file(text);
  REQUIRE(f);
  CHECK(f->mode == Mode::basic);
  CHECK(f->kdf.kind == KdfKind::scrypt);
  CHECK(f->kdf.scrypt.n == 32768);
  CHECK(write_file(*f).value() == text);
  Bytes mk = unhex(v["masterKeyHex"]);
  OpenKeys k;
  k.master = ByteView(mk);
  auto pt = open(*f, k);
  REQUIRE(pt);
  CHECK(pt->reveal_string() == v["plaintext"].get<std::string>());
  auto entries = dotenv_parse(*pt, DotenvOptions::sealed_env_v1());
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].key == "API_KEY");
  CHECK((*entries)[1].value.reveal_string() == "postgres://prod");
}

TEST_CASE("sealed-env: wrong master key gives the one opaque error") {
  auto v = json_vector("sealed-env-v1/node-basic.json");
  auto f = parse_file(v["serialized"].get<std::string>());
  REQUIRE(f);
  Bytes wrong(32, 0xab);
  OpenKeys k;
  k.master = ByteView(wrong);
  auto pt = open(*f, k);
  REQUIRE_FALSE(pt);
  CHECK(pt.error().code == Errc::decrypt_failed);
  CHECK(pt.error().message == kDecryptFailedMessage);
}

TEST_CASE("sealed-env: own vectors are written byte-exact and read back in every mode") {
  for (const char* name : {"basic-argon2id", "basic-scrypt", "team-argon2id", "enterprise-argon2id",
                           "team-scrypt", "enterprise-scrypt"}) {
    INFO(name);
    auto v = json_vector(std::string("sealed-env-own/") + name + ".json");
    Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]),
          totp = unhex(v["totp_secret_hex"]), pt = unhex(v["plaintext_hex"]);
    SealOptions o;
    o.mode = *mode_from_name(v["mode"].get<std::string>());
    auto& p = v["kdf_params"];
    if (v["kdf"] == "argon2id") {
      o.kdf.kind = KdfKind::argon2id;
      o.kdf.argon2 = {p["t"].get<std::uint32_t>(), p["m"].get<std::uint32_t>(), p["p"].get<std::uint32_t>()};
    } else {
      o.kdf.kind = KdfKind::scrypt;
      o.kdf.scrypt = {p["N"].get<std::uint64_t>(), p["r"].get<std::uint32_t>(), p["p"].get<std::uint32_t>()};
    }
    o.challenge_bind = v["challenge_bind"];
    o.created = v["created"];
    if (!v["rotated"].is_null()) o.rotated = v["rotated"].get<std::string>();
    o.fixed_salt = unhex(v["salt_hex"]);
    o.fixed_nonce = unhex(v["nonce_hex"]);
    SealKeys keys{ByteView(mk), ByteView(sk), ByteView(totp)};
    auto sealed = seal(pt, keys, o);
    REQUIRE(sealed);
    CHECK(write_file(*sealed).value() == v["serialized"].get<std::string>());

    auto f = parse_file(v["serialized"].get<std::string>());
    REQUIRE(f);
    auto dk = derive_key(mk, f->salt, f->kdf);
    REQUIRE(dk);
    CHECK(encoding::hex_encode(dk->view()) == v["derived_key_hex"].get<std::string>());
    OpenKeys k;
    k.master = ByteView(mk);
    if (o.mode != Mode::basic) k.signing = ByteView(sk);
    if (o.mode == Mode::enterprise) k.second_factor = totp_secret_factor(totp);
    std::vector<std::string> warnings;
    k.warnings = &warnings;
    auto back = open(*f, k);
    REQUIRE(back);
    CHECK(back->equals(pt));
    CHECK(warnings.empty());  // the Node HMAC form: no legacy-hmac warning
    if (o.mode != Mode::basic) {
      // The HMAC covers exactly the AAD bytes and then the ciphertext (the Node rule).
      Bytes mac_msg = to_bytes(aad_text(*f));
      append(mac_msg, f->ciphertext);
      CHECK(hmac_message(*f) == mac_msg);
      CHECK(aad_text(*f).find("AAD-DIGEST") == std::string::npos);
    }
    // Wrong signing key / wrong TOTP secret: opaque.
    if (o.mode != Mode::basic) {
      Bytes wrong(32, 0x01);
      OpenKeys w = k;
      w.signing = ByteView(wrong);
      CHECK(open(*f, w).error().code == Errc::decrypt_failed);
    }
    if (o.mode == Mode::enterprise) {
      Bytes wrong_totp(20, 0x07);
      OpenKeys w = k;
      w.second_factor = totp_secret_factor(wrong_totp);
      CHECK(open(*f, w).error().code == Errc::decrypt_failed);
      OpenKeys none = k;
      none.second_factor = nullptr;
      CHECK(open(*f, none).error().code == Errc::auth_failed);
    }
  }
}

TEST_CASE("sealed-env: a team file needs the signing key") {
  auto v = json_vector("sealed-env-own/team-argon2id.json");
  auto f = parse_file(v["serialized"].get<std::string>());
  REQUIRE(f);
  Bytes mk = unhex(v["master_key_hex"]);
  OpenKeys k;
  k.master = ByteView(mk);
  auto r = open(*f, k);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
}

TEST_CASE("sealed-env: V2 magic is refused as too new") {
  std::string text = json_vector("sealed-env-v1/node-basic.json")["serialized"];
  for (const char* v2 : {"SEALED-ENV-V2", "SEALED-ENV-V10"}) {
    auto r = parse_file(replace_once(text, "SEALED-ENV-V1", v2));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::unsupported);
    CHECK(r.error().message == kFormatTooNewMessage);
  }
}

TEST_CASE("sealed-env: strict header parsing") {
  std::string text = json_vector("sealed-env-v1/node-basic.json")["serialized"];
  std::string team = json_vector("sealed-env-own/team-argon2id.json")["serialized"];
  const std::pair<std::string, std::string> basic_mutations[] = {
      {"SEALED-ENV-V1 MODE=basic", "sealed-env-v1 MODE=basic"},
      {"SEALED-ENV-V1 MODE=basic", "SEALED-ENV-V1 MODE=basic "},
      {"SEALED-ENV-V1 MODE=basic", "SEALED-ENV-V1 MODE=premium"},
      {"SEALED-ENV-V1 MODE=basic", "SEALED-ENV-V1  MODE=basic"},
      {"SEALED-ENV-V1 MODE=basic", "SEALED-ENV-V0 MODE=basic"},
      {"KDF=scrypt", "KDF =scrypt"},
      {"KDF=scrypt", "KDF= scrypt"},
      {"KDF=scrypt", "kdf=scrypt"},
      {"KDF=scrypt", "KDF=pbkdf2"},
      {"KDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=N=32768, r=8,p=1"},
      {"KDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=N=32767,r=8,p=1"},
      {"KDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=N=032768,r=8,p=1"},
      {"KDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=r=8,N=32768,p=1"},
      {"KDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=t=3,m=65536,p=4"},
      {"SALT=cjEZ9LJdMm7EB+XJmuDIlg==", "SALT=cjEZ9LJdMm7EB+XJmuDIlg"},
      {"SALT=cjEZ9LJdMm7EB+XJmuDIlg==", "SALT=cjEZ9LJdMm7EB+XJmuDIlgAA"},
      {"NONCE=auNcyoBkKZkm6np7", "NONCE=auNcyoBkKZkm6np7AAAA"},
      {"KDF=scrypt\nKDF-PARAMS=N=32768,r=8,p=1", "KDF-PARAMS=N=32768,r=8,p=1\nKDF=scrypt"},
      {"NONCE=auNcyoBkKZkm6np7\n", ""},
      {"CREATED=2026-05-07T04:26:07.314Z", "CREATED=2026-05-07 04:26:07"},
      {"CREATED=2026-05-07T04:26:07.314Z\n", ""},
      {"CREATED=2026-05-07T04:26:07.314Z", "CREATED=2026-05-07T04:26:07.314Z\nHMAC=AAAA"},
      {"AAD-DIGEST=", "HMAC=SwCUaIOaLblHUq4AZQZJkJ+uQWNPjGKiNLqPn24x8xo=\nAAD-DIGEST="},
      {"CREATED=2026-05-07T04:26:07.314Z", "CREATED=2026-05-07T04:26:07.314Z\nEXTRA=1"},
      {"\n\n", "\n \n"},
      {"\n\n", "\n"},
      {"\n\n", "\r\n\r\n"},
      {"\n\n5INr", "\n\n5I Nr"},
  };
  for (const auto& [from, to] : basic_mutations) {
    INFO(from << " -> " << to);
    auto r = parse_file(replace_once(text, from, to));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::malformed);
  }
  // Team: HMAC is required; EPOCH-COMMIT is enterprise-only.
  auto no_hmac = team;
  no_hmac.erase(no_hmac.find("HMAC="), no_hmac.find('\n', no_hmac.find("HMAC=")) - no_hmac.find("HMAC=") + 1);
  CHECK(parse_file(no_hmac).error().code == Errc::malformed);
  CHECK(parse_file(replace_once(team, "AAD-DIGEST=", "EPOCH-COMMIT=SwCUaIOaLblHUq4AZQZJkJ+uQWNPjGKiNLqPn24x8xo=\nAAD-DIGEST="))
            .error().code == Errc::malformed);
  // Accepted variations: one trailing LF after the body, a ROTATED line.
  CHECK(parse_file(text + "\n"));
  CHECK_FALSE(parse_file(text + "\n\n"));
  CHECK(parse_file(replace_once(text, "CREATED=2026-05-07T04:26:07.314Z",
                                "CREATED=2026-05-07T04:26:07.314Z\nROTATED=2026-06-01T00:00:00Z")));
}

TEST_CASE("sealed-env: writer enforces the KDF minimums") {
  Bytes mk(32, 1);
  SealOptions o;
  o.kdf.kind = KdfKind::argon2id;
  o.kdf.argon2 = {1, 16384, 1};
  auto r = seal(as_bytes("A=1\n"), SealKeys{ByteView(mk), {}, {}}, o);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::invalid_argument);
  o.kdf.argon2 = {2, 8192, 1};
  CHECK_FALSE(seal(as_bytes("A=1\n"), SealKeys{ByteView(mk), {}, {}}, o));
  o.kdf.kind = KdfKind::scrypt;
  o.kdf.scrypt = {16384, 8, 1};
  CHECK_FALSE(seal(as_bytes("A=1\n"), SealKeys{ByteView(mk), {}, {}}, o));
  // Readers honour weaker parameters found in a file.
  o.enforce_minimums = false;
  o.kdf.kind = KdfKind::argon2id;
  o.kdf.argon2 = {1, 8, 1};
  auto weak = seal(as_bytes("A=1\n"), SealKeys{ByteView(mk), {}, {}}, o);
  REQUIRE(weak);
  auto f = parse_file(write_file(*weak).value());
  REQUIRE(f);
  OpenKeys k;
  k.master = ByteView(mk);
  CHECK(open(*f, k).value().reveal_string() == "A=1\n");
}

TEST_CASE("sealed-env: tamper walk, every byte of a sealed file gives the opaque error") {
  // A team-mode file with fast KDF parameters; every byte flipped (xor 0x01) in turn.
  Bytes mk(32, 0x42), sk(32, 0x24);
  SealOptions o;
  o.mode = Mode::team;
  o.enforce_minimums = false;
  o.kdf.argon2 = {1, 8, 1};
  o.created = "2026-01-01T00:00:00.000Z";
  auto sealed = seal(as_bytes("API_KEY=tamper\nB='x y'\n"), SealKeys{ByteView(mk), ByteView(sk), {}}, o);
  REQUIRE(sealed);
  const std::string text = write_file(*sealed).value();
  OpenKeys k;
  k.master = ByteView(mk);
  k.signing = ByteView(sk);
  REQUIRE(open(*parse_file(text), k));
  std::size_t parse_rejects = 0, crypto_rejects = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string t = text;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    auto f = parse_for_decrypt(t);
    if (!f) {
      ++parse_rejects;
      CHECK(f.error().code == Errc::decrypt_failed);
      CHECK(f.error().message == kDecryptFailedMessage);
      continue;
    }
    auto r = open(*f, k);
    INFO("byte " << i);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::decrypt_failed);
    CHECK(r.error().message == kDecryptFailedMessage);
    ++crypto_rejects;
  }
  CHECK(parse_rejects + crypto_rejects == text.size());
  CHECK(crypto_rejects > 0);
}

TEST_CASE("sealed-env: a file with keyward 0.1's HMAC form is read with the legacy-hmac warning") {
  auto v = json_vector("sealed-env-own/keyward01-team-scrypt.json");
  CHECK(v["hmac_rule"] == "keyward-0.1");
  auto f = parse_file(v["serialized"].get<std::string>());
  REQUIRE(f);
  Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]), pt = unhex(v["plaintext_hex"]);
  std::vector<std::string> warnings;
  OpenKeys k;
  k.master = ByteView(mk);
  k.signing = ByteView(sk);
  k.warnings = &warnings;
  auto back = open(*f, k);
  REQUIRE(back);
  CHECK(back->equals(pt));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind("legacy-hmac:", 0) == 0);
  CHECK(warnings[0].find("rotate") != std::string::npos);
  // keyward never writes that form again: sealing the same inputs gives the Node form, which
  // differs from the 0.1 file in the HMAC line only.
  SealOptions o;
  o.mode = Mode::team;
  o.kdf.kind = KdfKind::scrypt;
  o.kdf.scrypt = {32768, 8, 1};
  o.created = v["created"];
  o.fixed_salt = unhex(v["salt_hex"]);
  o.fixed_nonce = unhex(v["nonce_hex"]);
  auto resealed = seal(pt, SealKeys{ByteView(mk), ByteView(sk), {}}, o).value();
  CHECK(resealed.ciphertext == f->ciphertext);
  CHECK(resealed.hmac != f->hmac);
  Bytes mac = hash::hmac_sha256(mac_key(sk, f->salt).value(), hmac_message(*f));
  CHECK(Bytes(mac) == *resealed.hmac);
  // A wrong signing key fails in both forms with the opaque error.
  Bytes wrong(32, 0x01);
  k.signing = ByteView(wrong);
  warnings.clear();
  CHECK(open(*f, k).error().code == Errc::decrypt_failed);
  CHECK(warnings.empty());
}

TEST_CASE("sealed-env: KDF parameters above keyward's limits are refused clearly, before any KDF") {
  auto v = json_vector("sealed-env-own/basic-argon2id.json");
  std::string text = v["serialized"];
  for (const char* params : {"t=1024,m=4194304,p=255", "t=11,m=16384,p=2", "t=2,m=1048577,p=2",
                             "t=2,m=16384,p=17", "t=99999999999,m=16384,p=2"}) {
    INFO(params);
    std::string bad = replace_once(text, "KDF-PARAMS=t=2,m=16384,p=2", std::string("KDF-PARAMS=") + params);
    auto f = parse_file(bad);
    REQUIRE_FALSE(f);
    CHECK(f.error().code == Errc::unsupported);
    CHECK(f.error().message.find("exceed keyward's limits") != std::string::npos);
    // On the decryption path too: a clear refusal, not the opaque error (the header is public).
    auto d = parse_for_decrypt(bad);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == Errc::unsupported);
  }
  auto sv = json_vector("sealed-env-own/basic-scrypt.json");
  std::string stext = sv["serialized"];
  for (const char* params : {"N=2097152,r=8,p=1", "N=1048576,r=16,p=1", "N=32768,r=8,p=5",
                             "N=32768,r=17,p=1", "N=1073741824,r=8,p=1"}) {
    INFO(params);
    auto f = parse_for_decrypt(replace_once(stext, "KDF-PARAMS=N=32768,r=8,p=1", std::string("KDF-PARAMS=") + params));
    REQUIRE_FALSE(f);
    CHECK(f.error().code == Errc::unsupported);
  }
  // The limits themselves are accepted, and writers refuse what readers would.
  CHECK(parse_file(replace_once(text, "KDF-PARAMS=t=2,m=16384,p=2", "KDF-PARAMS=t=10,m=1048576,p=16")));
  Bytes mk(32, 0x42);
  SealOptions o;
  o.kdf.argon2 = {11, 65536, 4};
  auto w = seal(as_bytes("A=1\n"), SealKeys{ByteView(mk), {}, {}}, o);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == Errc::unsupported);
}

TEST_CASE("sealed-env: a team file's HMAC is checked before the KDF") {
  // The header of a team file edited to the most expensive parameters keyward accepts
  // (Argon2id t=10, 1 GiB): the HMAC no longer verifies, and open() refuses before deriving
  // anything (were the KDF run first, this case would take many seconds and 1 GiB).
  auto v = json_vector("sealed-env-own/team-argon2id.json");
  std::string bad = replace_once(v["serialized"].get<std::string>(), "KDF-PARAMS=t=2,m=16384,p=1",
                                 "KDF-PARAMS=t=10,m=1048576,p=16");
  auto f = parse_for_decrypt(bad);
  REQUIRE(f);
  Bytes mk = unhex(v["master_key_hex"]), sk = unhex(v["signing_key_hex"]);
  OpenKeys k;
  k.master = ByteView(mk);
  k.signing = ByteView(sk);
  auto r = open(*f, k);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::decrypt_failed);
  // The same through the HMAC check alone.
  CHECK_FALSE(verify_hmac(*f, mac_key(sk, f->salt).value(), nullptr));
}

// In-process check of the virtual PIV card's management-key handling (no pcscd, no vpcd): the
// firmware profiles, GET METADATA of 9B, GENERAL AUTHENTICATE (mutual and single) with 3DES and
// AES-128/192/256, SET MANAGEMENT KEY lengths, and persistence of the algorithm. The host side
// follows yubikit's PivSession.authenticate: witness and challenge are one cipher block (8 bytes
// for 3DES, 16 for AES). The AES helper is first checked against the FIPS-197 appendix C vectors.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "piv_card.h"
#include "tlv.h"

namespace {

int g_failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++g_failures;
  }
}

using hwsim::Bytes;

Bytes hex(const char* s) { return hwsim::from_hex(s).value(); }

struct Reply {
  Bytes data;
  std::uint16_t sw = 0;
};

Reply send(hwsim::PivCard& card, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  Bytes apdu = {0x00, ins, p1, p2, static_cast<std::uint8_t>(data.size())};
  apdu.insert(apdu.end(), data.begin(), data.end());
  auto r = card.transmit(apdu);
  if (!r || r->size() < 2) return Reply{{}, 0};
  Reply out;
  out.sw = static_cast<std::uint16_t>((*r)[r->size() - 2] << 8 | (*r)[r->size() - 1]);
  out.data.assign(r->begin(), r->end() - 2);
  return out;
}

Bytes block_cipher(std::uint8_t alg, bool encrypt, const Bytes& key, const Bytes& block) {
  return alg == hwsim::kMgmtTdes ? hwsim::des3_ecb(encrypt, key, block) : hwsim::aes_ecb(encrypt, key, block);
}

// Value of `tag` inside the 7C template of a GENERAL AUTHENTICATE answer (empty if absent).
Bytes dyn_auth_value(const Bytes& data, std::uint8_t tag) {
  auto outer = hwsim::parse_tlvs(data);
  if (!outer || !outer->count(0x7C)) return {};
  auto inner = hwsim::parse_tlvs(outer->at(0x7C));
  if (!inner || !inner->count(tag)) return {};
  return inner->at(tag);
}

// Mutual authentication as a host does it; returns the final status word (0x9000 = both sides
// proved the key; 0x6F01 = the card's proof did not match).
std::uint16_t mutual_auth(hwsim::PivCard& card, std::uint8_t alg, const Bytes& key) {
  const std::size_t block = alg == hwsim::kMgmtTdes ? 8 : 16;
  Reply r1 = send(card, 0x87, alg, 0x9B, hwsim::tlv(0x7C, hwsim::tlv(0x80, {})));
  if (r1.sw != 0x9000) return r1.sw;
  Bytes witness = dyn_auth_value(r1.data, 0x80);
  if (witness.size() != block) return 0x6F02;
  Bytes challenge = hwsim::random_bytes(block);
  Bytes body = hwsim::tlv(0x80, block_cipher(alg, false, key, witness));
  hwsim::append(body, hwsim::tlv(0x81, challenge));
  Reply r2 = send(card, 0x87, alg, 0x9B, hwsim::tlv(0x7C, body));
  if (r2.sw != 0x9000) return r2.sw;
  Bytes proof = dyn_auth_value(r2.data, 0x82);
  return hwsim::ct_equal(proof, block_cipher(alg, true, key, challenge)) ? 0x9000 : 0x6F01;
}

// Single authentication (the card's challenge, encrypted by the host).
std::uint16_t single_auth(hwsim::PivCard& card, std::uint8_t alg, const Bytes& key) {
  Reply r1 = send(card, 0x87, alg, 0x9B, hwsim::tlv(0x7C, hwsim::tlv(0x81, {})));
  if (r1.sw != 0x9000) return r1.sw;
  Bytes challenge = dyn_auth_value(r1.data, 0x81);
  Reply r2 = send(card, 0x87, alg, 0x9B,
                  hwsim::tlv(0x7C, hwsim::tlv(0x82, block_cipher(alg, true, key, challenge))));
  return r2.sw;
}

// GET METADATA 9B: (algorithm, default flag), or (0, 0xFF) on failure.
std::pair<std::uint8_t, std::uint8_t> mgmt_metadata(hwsim::PivCard& card) {
  Reply r = send(card, 0xF7, 0x00, 0x9B, {});
  auto t = hwsim::parse_tlvs(r.data);
  if (r.sw != 0x9000 || !t || !t->count(0x01) || !t->count(0x05)) return {0, 0xFF};
  return {t->at(0x01).at(0), t->at(0x05).at(0)};
}

std::uint16_t set_key(hwsim::PivCard& card, std::uint8_t alg, const Bytes& key) {
  Bytes data = {alg, 0x9B, static_cast<std::uint8_t>(key.size())};
  hwsim::append(data, key);
  return send(card, 0xFF, 0xFF, 0xFF, data).sw;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  // FIPS-197 appendix C: plaintext 00112233..ff under keys 000102..(16/24/32 bytes).
  const Bytes plain = hex("00112233445566778899aabbccddeeff");
  check(hwsim::aes_ecb(true, hex("000102030405060708090a0b0c0d0e0f"), plain) ==
            hex("69c4e0d86a7b0430d8cdb78070b4c55a"), "AES-128 known answer");
  check(hwsim::aes_ecb(true, hex("000102030405060708090a0b0c0d0e0f1011121314151617"), plain) ==
            hex("dda97ca4864cdfe06eaf70a0ec0d7191"), "AES-192 known answer");
  check(hwsim::aes_ecb(true, hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"), plain) ==
            hex("8ea2b7ca516745bfeafc49904b496089"), "AES-256 known answer");
  check(hwsim::aes_ecb(false, hex("000102030405060708090a0b0c0d0e0f"), hex("69c4e0d86a7b0430d8cdb78070b4c55a")) ==
            plain, "AES-128 decrypt known answer");

  char tmpl[] = "/tmp/hwsim-mgmt-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 2;
  const std::string dir = tmpl;
  const Bytes def = hex("010203040506070801020304050607080102030405060708");
  {
    auto ca = hwsim::AttestationCa::load_or_create(dir);
    hwsim::Presence presence(std::chrono::milliseconds(1000));
    auto p57 = *hwsim::PivProfile::named("5.7");
    auto p54 = *hwsim::PivProfile::named("5.4");

    // A fresh 5.7 card: version 5.7.1, default AES-192 management key.
    hwsim::PivCard card(dir + "/piv0.json", 20000001, presence, ca, p57);
    check(send(card, 0xFD, 0, 0, {}).data == Bytes({5, 7, 1}), "5.7 profile: GET VERSION");
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtAes192, std::uint8_t{1}),
          "5.7 profile: metadata says AES-192, default");
    check(mutual_auth(card, hwsim::kMgmtTdes, def) == 0x6A80, "3DES authentication refused on an AES card");
    check(mutual_auth(card, hwsim::kMgmtAes192, hex("0102030405060708010203040506070801020304050607ff")) == 0x6982,
          "AES-192: wrong key answers 69 82");
    check(send(card, 0xDB, 0x3F, 0xFF, hex("5c035fc1025302aabb")).sw == 0x6982, "PUT DATA needs the management key");
    check(mutual_auth(card, hwsim::kMgmtAes192, def) == 0x9000, "AES-192 mutual authentication, default key");
    check(send(card, 0xDB, 0x3F, 0xFF, hex("5c035fc1025302aabb")).sw == 0x9000, "PUT DATA after AES authentication");

    // SET MANAGEMENT KEY: lengths must match the algorithm.
    const Bytes k256 = hwsim::random_bytes(32), k128 = hwsim::random_bytes(16), k3des = hwsim::random_bytes(24);
    check(set_key(card, hwsim::kMgmtAes256, k128) == 0x6A80, "AES-256 with a 16-byte key refused");
    check(set_key(card, 0x05, k128) == 0x6A80, "unknown management-key algorithm refused");
    check(set_key(card, hwsim::kMgmtAes256, k256) == 0x9000, "set an AES-256 key");
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtAes256, std::uint8_t{0}), "metadata: AES-256, not default");
    check(mutual_auth(card, hwsim::kMgmtAes192, def) == 0x6A80, "old algorithm refused after the change");
    check(mutual_auth(card, hwsim::kMgmtAes256, k256) == 0x9000, "AES-256 mutual authentication");
    check(single_auth(card, hwsim::kMgmtAes256, k256) == 0x9000, "AES-256 single authentication");
    check(single_auth(card, hwsim::kMgmtAes256, hwsim::random_bytes(32)) == 0x6982, "AES-256 single auth, wrong key");
    check(set_key(card, hwsim::kMgmtAes128, k128) == 0x9000, "set an AES-128 key");
    check(mutual_auth(card, hwsim::kMgmtAes128, k128) == 0x9000, "AES-128 mutual authentication");
    check(set_key(card, hwsim::kMgmtTdes, k3des) == 0x9000, "set a 3DES key on a 5.7 card");
    check(mutual_auth(card, hwsim::kMgmtTdes, k3des) == 0x9000, "3DES mutual authentication");
    check(set_key(card, hwsim::kMgmtAes192, def) == 0x9000, "set the default bytes as AES-192");
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtAes192, std::uint8_t{1}), "default flag back");
    check(set_key(card, hwsim::kMgmtAes256, k256) == 0x9000, "set AES-256 again");

    // factory-reset: to the card's serve profile (5.7 here), or to a named one.
    card.factory_reset(p54);
    check(send(card, 0xFD, 0, 0, {}).data == Bytes({5, 4, 3}), "factory-reset 5.4: GET VERSION");
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtTdes, std::uint8_t{1}), "factory-reset 5.4: 3DES default");
    check(mutual_auth(card, hwsim::kMgmtTdes, def) == 0x9000, "factory-reset 5.4: 3DES default key works");
    card.factory_reset();
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtAes192, std::uint8_t{1}), "factory-reset: serve profile");
    check(mutual_auth(card, hwsim::kMgmtAes192, def) == 0x9000, "authenticated again");
    check(set_key(card, hwsim::kMgmtAes256, k256) == 0x9000, "AES-256 before the restart");
  }
  {
    // The algorithm survives a restart (state file), whatever the serve profile says.
    auto ca = hwsim::AttestationCa::load_or_create(dir);
    hwsim::Presence presence(std::chrono::milliseconds(1000));
    hwsim::PivCard card(dir + "/piv0.json", 20000001, presence, ca, *hwsim::PivProfile::named("5.4"));
    check(send(card, 0xFD, 0, 0, {}).data == Bytes({5, 7, 1}), "restart keeps firmware 5.7.1");
    check(mgmt_metadata(card) == std::make_pair(hwsim::kMgmtAes256, std::uint8_t{0}), "restart keeps AES-256");
  }
  {
    // The management application (as ykman uses it) and MOVE KEY, on the 5.7 card from above.
    auto ca = hwsim::AttestationCa::load_or_create(dir);
    hwsim::Presence presence(std::chrono::milliseconds(1000));
    hwsim::PivCard card(dir + "/piv0.json", 20000001, presence, ca, *hwsim::PivProfile::named("5.7"));
    card.factory_reset();
    auto ext = card.transmit(hex("00fd0000000000"));  // extended case 2 (00 Le 00 00), as yubikit sends
    check(ext && *ext == hex("0507019000"), "extended-length GET VERSION");
    check(*card.transmit(hex("00fd0000000002aa")) == hex("6700"), "extended APDU shorter than its Lc refused");
    const Bytes mgmt_aid = hex("a000000527471117");
    auto sel = send(card, 0xA4, 0x04, 0x00, mgmt_aid);
    check(sel.sw == 0x9000 && std::string(sel.data.begin(), sel.data.end()) == "5.7.1", "management SELECT: version text");
    auto info = send(card, 0x1D, 0, 0, {});
    check(info.sw == 0x9000 && !info.data.empty() && info.data[0] == info.data.size() - 1, "READ CONFIG length prefix");
    auto t = hwsim::parse_tlvs(Bytes(info.data.begin() + 1, info.data.end()));
    check(t && t->at(0x01) == hex("033b") && t->at(0x02) == hex("01312d01") && t->at(0x04) == hex("01") &&
              t->at(0x05) == hex("050701") && t->at(0x0D) == hex("033b") && t->at(0x0A) == hex("00") &&
              t->at(0x14) == hex("0000"),
          "device information of a YubiKey 5 NFC 5.7.1");
    check(send(card, 0x1D, 1, 0, {}).data == hex("00"), "READ CONFIG page 1 is empty");
    check(send(card, 0x1C, 0, 0, hex("0503020013")).sw == 0x6700, "WRITE CONFIG with a wrong length byte");
    check(send(card, 0x1C, 0, 0, hex("03170101")).sw == 0x6A80, "NFC restriction is not modelled: refused");
    check(send(card, 0x1C, 0, 0, hex("0403020000")).sw == 0x6A80, "nothing enabled over USB: refused");
    check(send(card, 0x1C, 0, 0, hex("040302032b")).sw == 0x9000, "disable PIV over USB");
    check(send(card, 0xA4, 0x04, 0x00, hex("a000000308")).sw == 0x6A82, "disabled PIV cannot be selected");
    card.reset_volatile();
    check(send(card, 0xFD, 0, 0, {}).sw == 0x6D00, "disabled PIV does not answer after a power cycle");
    send(card, 0xA4, 0x04, 0x00, mgmt_aid);
    const Bytes lock = hwsim::random_bytes(16);
    Bytes set_lock = {0x12, 0x0A, 0x10};
    set_lock.insert(set_lock.end(), lock.begin(), lock.end());
    check(send(card, 0x1C, 0, 0, set_lock).sw == 0x9000, "set a lock code");
    check(send(card, 0x1C, 0, 0, hex("040302033b")).sw == 0x6982, "locked: a change without the code is refused");
    Bytes unlock_enable = {0x16, 0x0B, 0x10};
    unlock_enable.insert(unlock_enable.end(), lock.begin(), lock.end());
    hwsim::append(unlock_enable, hex("0302033b"));
    check(send(card, 0x1C, 0, 0, unlock_enable).sw == 0x9000, "locked: the change with the code works");
    auto sel_piv = send(card, 0xA4, 0x04, 0x00, hex("a000000308"));
    check(sel_piv.sw == 0x9000, "PIV selectable again");
    // MOVE KEY needs the management key; F9 stays; the destination must be empty.
    check(send(card, 0xF6, 0x85, 0x9A, {}).sw == 0x6982, "MOVE KEY without the management key");
    check(mutual_auth(card, hwsim::kMgmtAes192, def) == 0x9000, "authenticated for MOVE KEY");
    check(send(card, 0x47, 0, 0x9A, hex("ac03800111")).sw == 0x9000, "generate in 9A");
    check(send(card, 0xF6, 0x85, 0x9A, {}).sw == 0x9000, "move 9A -> 85");
    check(send(card, 0xF7, 0, 0x9A, {}).sw == 0x6A88, "9A empty after the move");
    check(send(card, 0xF7, 0, 0x85, {}).sw == 0x9000, "85 holds the key");
    check(send(card, 0xF6, 0x86, 0xF9, {}).sw == 0x6A80, "attestation key cannot be moved");
    check(send(card, 0xF6, 0xFF, 0x85, {}).sw == 0x9000, "delete 85");
    check(send(card, 0xF7, 0, 0x85, {}).sw == 0x6A88, "85 empty after delete");
    card.factory_reset(*hwsim::PivProfile::named("5.4"));
    check(mutual_auth(card, hwsim::kMgmtTdes, def) == 0x9000, "5.4 authenticated");
    check(send(card, 0xF6, 0x85, 0x9A, {}).sw == 0x6D00, "no MOVE KEY before firmware 5.7");
  }
  {
    // The device configuration persists (state file) and factory-reset restores it.
    auto ca = hwsim::AttestationCa::load_or_create(dir);
    hwsim::Presence presence(std::chrono::milliseconds(1000));
    hwsim::PivCard card(dir + "/piv0.json", 20000001, presence, ca, *hwsim::PivProfile::named("5.4"));
    send(card, 0xA4, 0x04, 0x00, hex("a000000527471117"));
    check(send(card, 0x1C, 0, 0, hex("040e020313")).sw == 0x9000, "NFC: only OTP and PIV");
  }
  {
    auto ca = hwsim::AttestationCa::load_or_create(dir);
    hwsim::Presence presence(std::chrono::milliseconds(1000));
    hwsim::PivCard card(dir + "/piv0.json", 20000001, presence, ca, *hwsim::PivProfile::named("5.4"));
    send(card, 0xA4, 0x04, 0x00, hex("a000000527471117"));
    auto info = send(card, 0x1D, 0, 0, {});
    auto t = hwsim::parse_tlvs(Bytes(info.data.begin() + 1, info.data.end()));
    check(t && t->at(0x0E) == hex("0313") && !t->count(0x14), "NFC configuration survives a restart; no 5.7 tags on 5.4");
    card.factory_reset();
    send(card, 0xA4, 0x04, 0x00, hex("a000000527471117"));
    info = send(card, 0x1D, 0, 0, {});
    t = hwsim::parse_tlvs(Bytes(info.data.begin() + 1, info.data.end()));
    check(t && t->at(0x0E) == hex("033b"), "factory-reset restores the device configuration");
  }
  fs::remove_all(dir);
  if (g_failures) return 1;
  std::printf("piv_mgmt: ok\n");
  return 0;
}

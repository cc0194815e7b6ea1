// Key-slot operations of the virtual PIV card: GENERATE, IMPORT, GENERAL AUTHENTICATE (ECDSA,
// ECDH, management-key authentication), ATTEST, GET METADATA, and the touch policy.
#include "piv_card.h"
#include "tlv.h"

namespace hwsim {
namespace {
constexpr auto kTouchCache = std::chrono::seconds(15);  // touch policy "cached"
}  // namespace

std::optional<std::uint16_t> PivCard::need_touch(std::uint8_t slot, std::uint8_t policy, bool& removed) {
  if (policy != 2 && policy != 3) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (policy == 3) {
    auto it = touch_cache_.find(slot);
    if (it != touch_cache_.end() && now - it->second < kTouchCache) return std::nullopt;
  }
  // The card lock stays held: vpcd sends nothing while an APDU is outstanding.
  Outcome o = presence_.wait();
  switch (o) {
    case Outcome::touched:
      touch_cache_[slot] = std::chrono::steady_clock::now();
      return std::nullopt;
    case Outcome::removed:
      removed = true;
      return 0x6F00;
    default:
      // No touch within the time limit (or refused): a YubiKey answers 69 82.
      return 0x6982;
  }
}

PivCard::Response PivCard::general_authenticate(std::uint8_t p1, std::uint8_t p2, const Bytes& data,
                                                bool& removed) {
  auto outer = parse_tlvs(data);
  if (!outer || !outer->count(0x7C)) return sw(0x6A80);
  auto inner = parse_tlvs(outer->at(0x7C));
  if (!inner) return sw(0x6A80);
  if (p2 == 0x9B) return mgmt_authenticate(p1, *inner, removed);

  auto it = st_.keys.find(p2);
  if (!is_key_slot(p2) || it == st_.keys.end()) return sw(0x6A80);
  const PivKey& key = it->second;
  if (key.alg != p1) return sw(0x6A80);
  const bool sign = inner->count(0x81) > 0;
  const bool ecdh = inner->count(0x85) > 0;
  if (!inner->count(0x82) || sign == ecdh) return sw(0x6A80);

  // PIN policy first (fail fast, no touch prompt), then touch.
  if (key.pin_policy == 2 && !pin_verified_) return sw(0x6982);
  if (key.pin_policy == 3 && !(pin_verified_ && pin_fresh_)) return sw(0x6982);
  if (auto fail = need_touch(p2, key.touch_policy, removed)) return sw(*fail);
  if (key.pin_policy == 3) pin_fresh_ = false;

  auto priv = EcKey::from_private(curve_of(key.alg), key.scalar);
  if (!priv) return sw(0x6F00);
  Bytes result;
  if (sign) {
    const Bytes& digest = inner->at(0x81);
    if (digest.empty() || digest.size() > priv->field_len()) return sw(0x6A80);
    result = priv->sign_digest(digest);
  } else {
    auto peer = EcKey::from_public_point(curve_of(key.alg), inner->at(0x85));
    if (!peer) return sw(0x6A80);
    auto shared = priv->ecdh(*peer);
    if (!shared) return sw(0x6A80);
    result = *shared;
  }
  return Response{tlv(0x7C, tlv(0x82, result)), 0x9000};
}

PivCard::Response PivCard::mgmt_authenticate(std::uint8_t p1, const std::map<std::uint8_t, Bytes>& t,
                                             bool& removed) {
  // P1 must name the algorithm of the card's management key (3DES, or AES-128/192/256).
  // UNCONFIRMED which status word a YubiKey gives for another algorithm; 6A80 here.
  if (p1 != st_.mgmt_alg) return sw(0x6A80);
  const std::size_t block = st_.mgmt_alg == kMgmtTdes ? 8 : 16;  // witness/challenge length
  auto encrypt = [&](const Bytes& b) {
    return st_.mgmt_alg == kMgmtTdes ? des3_ecb(true, st_.mgmt_key, b) : aes_ecb(true, st_.mgmt_key, b);
  };
  auto has = [&](std::uint8_t tag, std::size_t len) { return t.count(tag) && t.at(tag).size() == len; };
  if (has(0x80, 0) && t.size() == 1) {  // step 1 of mutual auth: witness request
    Bytes w = random_bytes(block);
    witness_ = w;
    challenge_.reset();
    return Response{tlv(0x7C, tlv(0x80, encrypt(w))), 0x9000};
  }
  if (has(0x80, block) && has(0x81, block)) {  // step 2: decrypted witness + host challenge
    bool ok = witness_ && ct_equal(*witness_, t.at(0x80));
    witness_.reset();
    if (!ok) return sw(0x6982);
    if (st_.mgmt_touch) {
      if (auto fail = need_touch(0x9B, 2, removed)) return sw(*fail);
    }
    mgmt_authed_ = true;
    return Response{tlv(0x7C, tlv(0x82, encrypt(t.at(0x81)))), 0x9000};
  }
  if (has(0x81, 0) && t.size() == 1) {  // single authentication: card challenge
    Bytes c = random_bytes(block);
    challenge_ = c;
    witness_.reset();
    return Response{tlv(0x7C, tlv(0x81, c)), 0x9000};
  }
  if (has(0x82, block) && t.size() == 1) {
    bool ok = challenge_ && ct_equal(encrypt(*challenge_), t.at(0x82));
    challenge_.reset();
    if (!ok) return sw(0x6982);
    if (st_.mgmt_touch) {
      if (auto fail = need_touch(0x9B, 2, removed)) return sw(*fail);
    }
    mgmt_authed_ = true;
    return sw(0x9000);
  }
  return sw(0x6A80);
}

PivCard::Response PivCard::generate(std::uint8_t p2, const Bytes& data) {
  if (!mgmt_authed_) return sw(0x6982);
  if (!is_key_slot(p2)) return sw(0x6B00);
  auto outer = parse_tlvs(data);
  if (!outer || !outer->count(0xAC)) return sw(0x6A80);
  auto t = parse_tlvs(outer->at(0xAC));
  if (!t || !t->count(0x80) || t->at(0x80).size() != 1) return sw(0x6A80);
  const std::uint8_t alg = t->at(0x80)[0];
  if (alg != 0x11 && alg != 0x14) return sw(0x6A80);  // RSA / 25519 are not modelled
  std::uint8_t pin_policy = 0, touch_policy = 0;
  if (t->count(0xAA)) {
    if (t->at(0xAA).size() != 1 || t->at(0xAA)[0] > 3) return sw(0x6A80);
    pin_policy = t->at(0xAA)[0];
  }
  if (t->count(0xAB)) {
    if (t->at(0xAB).size() != 1 || t->at(0xAB)[0] > 3) return sw(0x6A80);
    touch_policy = t->at(0xAB)[0];
  }
  EcKey k = EcKey::generate(curve_of(alg));
  PivKey key;
  key.alg = alg;
  key.scalar = k.private_scalar();
  key.pin_policy = pin_policy ? pin_policy : default_pin_policy(p2);
  key.touch_policy = touch_policy ? touch_policy : 1;
  key.origin = 1;
  st_.keys[p2] = key;
  touch_cache_.erase(p2);
  save();
  return Response{tlv(0x7F49, tlv(0x86, k.public_point())), 0x9000};
}

PivCard::Response PivCard::import_key(std::uint8_t p1, std::uint8_t p2, const Bytes& data) {
  if (!mgmt_authed_) return sw(0x6982);
  if (!is_key_slot(p2)) return sw(0x6B00);
  if (p1 != 0x11 && p1 != 0x14) return sw(0x6A80);
  auto t = parse_tlvs(data);
  const std::size_t len = p1 == 0x11 ? 32 : 48;
  if (!t || !t->count(0x06) || t->at(0x06).size() != len) return sw(0x6A80);
  if (!EcKey::from_private(curve_of(p1), t->at(0x06))) return sw(0x6A80);
  PivKey key;
  key.alg = p1;
  key.scalar = t->at(0x06);
  key.pin_policy = t->count(0xAA) && !t->at(0xAA).empty() && t->at(0xAA)[0] ? t->at(0xAA)[0] : default_pin_policy(p2);
  key.touch_policy = t->count(0xAB) && !t->at(0xAB).empty() && t->at(0xAB)[0] ? t->at(0xAB)[0] : 1;
  if (key.pin_policy > 3 || key.touch_policy > 3) return sw(0x6A80);
  key.origin = 2;
  st_.keys[p2] = key;
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::attest(std::uint8_t slot) {
  if (!is_key_slot(slot)) return sw(0x6A80);
  auto it = st_.keys.find(slot);
  if (it == st_.keys.end()) return sw(0x6A88);
  if (it->second.origin != 1) return sw(0x6A80);  // imported keys cannot be attested
  const AttestLie lie = attest_lie_;
  if (lie == AttestLie::none) return Response{make_attestation_cert(st_, slot, it->second), 0x9000};
  PivState st = st_;
  PivKey key = it->second;
  if (lie == AttestLie::key) key.scalar = EcKey::generate(curve_of(key.alg)).private_scalar();
  if (lie == AttestLie::serial) ++st.serial;
  if (lie == AttestLie::touch) key.touch_policy = key.touch_policy == 1 ? 2 : 1;
  return Response{make_attestation_cert(st, slot, key), 0x9000};
}

// MOVE KEY (INS F6, firmware 5.7): P1 = destination slot, P2 = source; destination FF deletes
// the key. Needs the management key; the attestation key F9 cannot be moved or deleted; the
// destination must be empty. Certificates are objects and stay where they are (ykman moves them
// separately). UNCONFIRMED: the status word for an occupied destination (6A 80 here).
PivCard::Response PivCard::move_key(std::uint8_t to, std::uint8_t from) {
  if (!fw_at_least(5, 7)) return sw(0x6D00);
  if (!mgmt_authed_) return sw(0x6982);
  if (!is_key_slot(from) || (to != 0xFF && !is_key_slot(to))) return sw(0x6A80);
  auto it = st_.keys.find(from);
  if (it == st_.keys.end()) return sw(0x6A88);
  if (to != 0xFF) {
    if (to == from || st_.keys.count(to)) return sw(0x6A80);
    st_.keys[to] = it->second;
    touch_cache_.erase(to);
  }
  st_.keys.erase(from);
  touch_cache_.erase(from);
  save();
  return sw(0x9000);
}

PivCard::Response PivCard::metadata(std::uint8_t slot) {
  Bytes out;
  if (slot == 0x80 || slot == 0x81) {
    const bool pin = slot == 0x80;
    append(out, tlv(0x01, {0xFF}));
    append(out, tlv(0x02, {0x00, 0x00}));
    append(out, tlv(0x05, {static_cast<std::uint8_t>(pin ? st_.pin_default : st_.puk_default)}));
    append(out, tlv(0x06, {static_cast<std::uint8_t>(pin ? st_.pin_total : st_.puk_total),
                           static_cast<std::uint8_t>(pin ? st_.pin_left : st_.puk_left)}));
    return Response{out, 0x9000};
  }
  if (slot == 0x9B) {
    append(out, tlv(0x01, {st_.mgmt_alg}));
    append(out, tlv(0x02, {0x00, static_cast<std::uint8_t>(st_.mgmt_touch ? 2 : 1)}));
    append(out, tlv(0x05, {static_cast<std::uint8_t>(st_.mgmt_default)}));
    return Response{out, 0x9000};
  }
  if (!is_key_slot(slot) && slot != 0xF9) return sw(0x6B00);
  auto it = st_.keys.find(slot);
  if (it == st_.keys.end()) return sw(0x6A88);
  const PivKey& k = it->second;
  auto key = EcKey::from_private(curve_of(k.alg), k.scalar);
  if (!key) return sw(0x6F00);
  append(out, tlv(0x01, {k.alg}));
  append(out, tlv(0x02, {k.pin_policy, k.touch_policy}));
  append(out, tlv(0x03, {k.origin}));
  append(out, tlv(0x04, tlv(0x86, key->public_point())));
  return Response{out, 0x9000};
}

}  // namespace hwsim

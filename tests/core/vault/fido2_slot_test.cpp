// FIDO2 slot (type 5) with a software authenticator: core accepts only an assertion for the
// slot's rp id, with UP (and UV when required), signed by the stored credential key over the
// authenticator data and core's fresh client-data hash; the hmac-secret output opens the slot.
#include <catch2/catch.hpp>

#include "core/hash.h"
#include "core/p256.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/slot_fido2.h"

using namespace keyward;
using namespace keyward::vault;

namespace {

class SoftAuthenticator final : public Fido2Agent {
 public:
  SoftAuthenticator() : key(p256::generate()), hmac(random_secret(32)) {}
  Result<Fido2Assertion> get_assertion(const Fido2CredInfo& cred, std::string_view,
                                       ByteView cdh) override {
    Fido2Assertion a;
    auto h = hash::sha256(as_bytes(rp_override.empty() ? cred.rp_id : rp_override));
    a.auth_data.assign(h.begin(), h.end());
    a.auth_data.push_back(flags);
    for (std::uint8_t b : {0, 0, 0, 7}) a.auth_data.push_back(b);
    Bytes msg = a.auth_data;
    append(msg, cdh);
    if (tamper_cdh) msg.back() ^= 1;
    KW_TRY(a.signature, p256::ecdsa_sign_der(key.private_scalar, msg));
    a.hmac_output = hmac.clone();
    return a;
  }
  p256::KeyPair key;
  SecretBytes hmac;
  std::uint8_t flags = 0x01;  // UP
  std::string rp_override;
  bool tamper_cdh = false;
};

// The soft authenticator as the device adapters a command passes in the credential.
struct Guard {
  explicit Guard(Fido2Agent* a) : devices{nullptr, a} {}
  Devices devices;
};

Fido2CredInfo cred_for(const SoftAuthenticator& a, Fido2Uv uv) {
  Fido2CredInfo c;
  c.uv = uv;
  c.cred_protect = uv == Fido2Uv::required ? 3 : 2;
  c.rp_id = "keyward.vault";
  c.credential_id = random_bytes(48);
  c.salt = random_bytes(32);
  c.public_key = a.key.public_uncompressed;
  return c;
}

VaultId vid_of(std::uint8_t b) {
  VaultId v{};
  v.fill(b);
  return v;
}

}  // namespace

TEST_CASE("fido2 slot: a valid assertion opens the slot, each check refuses a bad one") {
  SoftAuthenticator auth;
  Guard g(&auth);
  VaultId vid = vid_of(7);
  auto slot = new_fido2_slot("fk", cred_for(auth, Fido2Uv::discouraged), auth.hmac, vid);
  REQUIRE(slot);
  const SlotHandler& h = fido2_slot_handler();
  REQUIRE(slot_handler(SlotType::fido2) == &h);
  REQUIRE(h.validate(*slot));
  // Without UV the authenticator answers hmac-secret to up=false: unlock-only, never H.
  CHECK_FALSE(h.presence_capable(*slot));
  CHECK_FALSE(h.holds_high(*slot));
  CHECK(slot->flags == 0);
  CHECK(h.enforcement(*slot) == "nothing beyond access to the device");
  CHECK_FALSE(fido2_legacy_high(*slot));
  Credential cred{SlotType::fido2, {}, g.devices};
  auto secret = h.unlock(*slot, vid, cred);
  REQUIRE(secret);
  auto pub = pubkey::x25519_public(*secret);
  REQUIRE(pub);
  CHECK(ct_equal(*pub, slot->public_key));

  auth.flags = 0x00;  // no user presence
  auto r = h.unlock(*slot, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::presence);
  auth.flags = 0x01;

  auth.rp_override = "evil.example";
  r = h.unlock(*slot, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  auth.rp_override.clear();

  auth.tamper_cdh = true;  // signature not over our client-data hash
  r = h.unlock(*slot, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  auth.tamper_cdh = false;

  SecretBytes good = auth.hmac.clone();
  auth.hmac = random_secret(32);  // another credential's hmac-secret output
  r = h.unlock(*slot, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  auth.hmac = std::move(good);
  CHECK(h.unlock(*slot, vid, cred));
}

TEST_CASE("fido2 slot: UV required needs the UV flag, parameters are bound") {
  SoftAuthenticator auth;
  Guard g(&auth);
  VaultId vid = vid_of(9);
  auto slot = new_fido2_slot("fk", cred_for(auth, Fido2Uv::required), auth.hmac, vid);
  REQUIRE(slot);
  const SlotHandler& h = fido2_slot_handler();
  Credential cred{SlotType::fido2, {}, g.devices};
  auto r = h.unlock(*slot, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::presence);
  auth.flags = 0x05;  // UP | UV
  REQUIRE(h.unlock(*slot, vid, cred));
  // The uv byte (offset 1) downgraded to "discouraged": AAD mismatch, the secret stays sealed.
  Slot t = *slot;
  t.params[1] = static_cast<std::uint8_t>(Fido2Uv::discouraged);
  REQUIRE(h.validate(t));
  r = h.unlock(t, vid, cred);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  CHECK(h.presence_capable(*slot));
  CHECK(h.holds_high(*slot));
  CHECK(h.enforcement(*slot) == "PIN (authenticator), touch checked by keyward");
  // Not presence-capable: refused; truncated: refused.
  t = *slot;
  t.flags = 0;
  CHECK_FALSE(h.validate(t));
  t = *slot;
  t.params.pop_back();
  CHECK_FALSE(h.validate(t));
}

TEST_CASE("fido2 slot: a UV-less slot holding H (made before issue 12) parses and is flagged") {
  SoftAuthenticator auth;
  VaultId vid = vid_of(11);
  auto slot = new_fido2_slot("old", cred_for(auth, Fido2Uv::discouraged), auth.hmac, vid);
  REQUIRE(slot);
  const SlotHandler& h = fido2_slot_handler();
  Slot legacy = *slot;
  legacy.flags = kSlotFlagPresence;
  legacy.wrapped_high = Bytes(kWrappedSize, 1);
  REQUIRE(h.validate(legacy));  // old vaults still open
  CHECK(fido2_legacy_high(legacy));
  CHECK_FALSE(h.holds_high(legacy));  // a rotation wraps the new H elsewhere
  CHECK_FALSE(h.presence_capable(legacy));
  CHECK(h.enforcement(legacy) == "nothing beyond access to the device");
  // An unlock-only slot (flags 0) never carries H.
  Slot bad = *slot;
  bad.wrapped_high = Bytes(kWrappedSize, 1);
  CHECK_FALSE(h.validate(bad));
}

// PIV slot (type 4) with a software P-256 key standing in for the card (the card's side of the
// protocol is exercised on the simulator by tests/hw). Checks: the slot recovers a secret that
// matches its public key only through the card key; another key, a tampered parameter or a
// missing agent fail; the presence flag follows the touch policy.
#include <catch2/catch.hpp>

#include "core/p256.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/slot_piv.h"

using namespace keyward;
using namespace keyward::vault;

namespace {

class SoftCard final : public PivKeyAgent {
 public:
  explicit SoftCard(p256::KeyPair k) : key(std::move(k)) {}
  Result<SecretBytes> ecdh(const PivKeyInfo& info, std::string_view,
                           ByteView peer) override {
    ++calls;
    last_serial = info.serial;
    return p256::ecdh(key.private_scalar, peer);
  }
  p256::KeyPair key;
  int calls = 0;
  std::uint32_t last_serial = 0;
};

// The soft card as the device adapters a command passes in the credential.
struct AgentGuard {
  explicit AgentGuard(PivKeyAgent* a) : devices{a, nullptr} {}
  Devices devices;
};

VaultId some_vid() {
  VaultId v{};
  auto r = random_bytes(v.size());
  std::copy(r.begin(), r.end(), v.begin());
  return v;
}

PivKeyInfo info_for(const SoftCard& card, PivTouchPolicy touch) {
  PivKeyInfo i;
  i.serial = 20000001;
  i.key_ref = 0x82;
  i.touch = touch;
  i.card_public = card.key.public_uncompressed;
  return i;
}

}  // namespace

TEST_CASE("piv slot: unlock recovers the slot secret through the card key") {
  SoftCard card(p256::generate());
  AgentGuard g(&card);
  VaultId vid = some_vid();
  auto slot = new_piv_slot("yk", info_for(card, PivTouchPolicy::always), vid);
  REQUIRE(slot);
  const SlotHandler& h = piv_slot_handler();
  REQUIRE(slot_handler(SlotType::piv) == &h);
  REQUIRE(h.validate(*slot));
  CHECK(h.presence_capable(*slot));
  CHECK(h.holds_high(*slot));
  auto secret = h.unlock(*slot, vid, Credential{SlotType::piv, {}, g.devices});
  REQUIRE(secret);
  CHECK(card.calls == 1);
  CHECK(card.last_serial == 20000001u);
  auto pub = pubkey::x25519_public(*secret);
  REQUIRE(pub);
  CHECK(ct_equal(*pub, slot->public_key));
  // Round trip through the encoding; the public description survives.
  slot->wrapped_master = Bytes(kWrappedSize, 0);
  slot->wrapped_high = Bytes(kWrappedSize, 0);
  auto parsed = parse_slot(encode_slot(*slot));
  REQUIRE(parsed);
  auto info = piv_key_info(*parsed);
  REQUIRE(info);
  CHECK(info->serial == 20000001u);
  CHECK(info->key_ref == 0x82);
  CHECK(info->touch == PivTouchPolicy::always);
  CHECK(info->card_public == card.key.public_uncompressed);
}

TEST_CASE("piv slot: another card key, another vault id or no agent cannot unlock") {
  SoftCard card(p256::generate());
  SoftCard other(p256::generate());
  VaultId vid = some_vid();
  auto slot = new_piv_slot("yk", info_for(card, PivTouchPolicy::never), vid);
  REQUIRE(slot);
  const SlotHandler& h = piv_slot_handler();
  CHECK_FALSE(h.presence_capable(*slot));
  {
    AgentGuard g(&other);
    auto r = h.unlock(*slot, vid, Credential{SlotType::piv, {}, g.devices});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::auth_failed);
  }
  {
    AgentGuard g(&card);
    auto r = h.unlock(*slot, some_vid(), Credential{SlotType::piv, {}, g.devices});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::auth_failed);
  }
  auto r = h.unlock(*slot, vid, Credential{SlotType::piv, {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::unsupported);
}

TEST_CASE("piv slot: tampered parameters are rejected") {
  SoftCard card(p256::generate());
  AgentGuard g(&card);
  VaultId vid = some_vid();
  auto slot = new_piv_slot("yk", info_for(card, PivTouchPolicy::always), vid);
  REQUIRE(slot);
  const SlotHandler& h = piv_slot_handler();
  // The touch policy byte (offset 7) flipped to "never": flag and policy disagree.
  Slot t = *slot;
  t.params[7] = static_cast<std::uint8_t>(PivTouchPolicy::never);
  CHECK_FALSE(h.validate(t));
  // The serial (bytes 1..4) is bound by the sealing AAD: the secret does not open.
  t = *slot;
  t.params[4] ^= 1;
  REQUIRE(h.validate(t));
  auto r = h.unlock(t, vid, Credential{SlotType::piv, {}, g.devices});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::auth_failed);
  // Bad key slot, truncated params.
  t = *slot;
  t.params[5] = 0x9a;
  CHECK_FALSE(h.validate(t));
  t = *slot;
  t.params.pop_back();
  CHECK_FALSE(h.validate(t));
  // Touch never: no high key allowed.
  auto nt = new_piv_slot("n", info_for(card, PivTouchPolicy::cached), vid);
  REQUIRE(nt);
  CHECK(nt->flags == 0);
  nt->wrapped_high = Bytes(kWrappedSize, 0);
  CHECK_FALSE(h.validate(*nt));
  CHECK_FALSE(new_piv_slot("x", [&] {
                auto i = info_for(card, PivTouchPolicy::always);
                i.key_ref = 0x9c;
                return i;
              }(), vid));
}

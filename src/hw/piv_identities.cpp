#include "hw/piv_identities.h"

#include "core/p256.h"

namespace keyward::hw {
namespace {

struct CardState {
  PivSession& session;
  PivCard& card;
  std::string purpose;
  bool pin_verified = false;
  std::optional<Error> last_error;
};

class CardKey final : public age::P256Decapsulator {
 public:
  CardKey(CardState& st, std::uint8_t ref, PivKeyMetadata md, Bytes compressed)
      : st_(st), ref_(ref), md_(std::move(md)), compressed_(std::move(compressed)) {}
  Bytes public_point() const override { return compressed_; }
  Result<SecretBytes> ecdh(ByteView peer) override {
    auto r = attempt(peer);
    if (!r) st_.last_error = r.error();
    return r;
  }

 private:
  Result<SecretBytes> attempt(ByteView peer) {
    // PIN policy once: one VERIFY serves every key of the card; always: one per use.
    if (md_.pin_policy != 1 && (!st_.pin_verified || md_.pin_policy == 3)) {
      KW_TRY_STATUS(st_.session.verify_pin(st_.card));
      st_.pin_verified = true;
    }
    if (md_.touch_policy == 2 || md_.touch_policy == 3) {
      st_.session.ui().notice("Touch your " + st_.card.name() + " to " + st_.purpose);
    }
    return st_.card.ecdh(ref_, peer);
  }
  CardState& st_;
  std::uint8_t ref_;
  PivKeyMetadata md_;
  Bytes compressed_;
};

class CardIdentities final : public PivIdentities {
 public:
  CardIdentities(PivSession& session, PivCard& card, std::string purpose)
      : state_{session, card, std::move(purpose), false, std::nullopt} {}
  std::vector<age::Identity*> identities() override { return age::pointers(ids_); }
  std::optional<Error> last_error() const override { return state_.last_error; }
  CardState state_;
  std::vector<std::unique_ptr<CardKey>> keys_;
  std::vector<std::unique_ptr<age::Identity>> ids_;
};

}  // namespace

Result<std::unique_ptr<PivIdentities>> piv_identities(PivSession& session, std::uint32_t serial,
                                                      const std::string& purpose) {
  auto found = session.card(serial);
  if (!found && found.error().code == Errc::not_found) {
    const std::string seen = session.readers_seen();
    return fail(Errc::device, "YubiKey " + std::to_string(serial) + " is not connected; readers "
                              "seen: " + (seen.empty() ? "none" : seen));
  }
  if (!found) return tl::unexpected(found.error());
  auto out = std::make_unique<CardIdentities>(session, **found, purpose);
  std::vector<std::uint8_t> refs;
  for (std::uint8_t k = 0x82; k <= 0x95; ++k) refs.push_back(k);
  refs.push_back(0x9d);
  for (auto ref : refs) {
    KW_TRY(auto md, (*found)->key_metadata(ref));
    if (!md || md->algorithm != 0x11) continue;  // P-256 only
    KW_TRY(auto compressed, p256::to_compressed(md->public_key));
    out->keys_.push_back(std::make_unique<CardKey>(out->state_, ref, *md, std::move(compressed)));
    out->ids_.push_back(std::make_unique<age::PivP256Identity>(*out->keys_.back()));
  }
  if (out->ids_.empty()) {
    return fail(Errc::not_found, (*found)->name() + " holds no P-256 key: it cannot be an "
                                                    "age1yubikey1 recipient");
  }
  return std::unique_ptr<PivIdentities>(std::move(out));
}

}  // namespace keyward::hw

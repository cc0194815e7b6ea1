#include "hw/inventory.h"

#include "hw/fido2_agent.h"
#include "hw/fido2_device.h"

namespace keyward::hw {

Result<std::vector<ReaderFacts>> piv_inventory() {
  KW_TRY(auto readers, pcsc_readers());
  std::vector<ReaderFacts> out;
  for (const auto& r : readers) {
    ReaderFacts rf{r, std::nullopt};
    auto card = PivCard::connect(r);
    if (card) {
      auto& c = **card;
      PivCardFacts f;
      f.name = c.name();
      f.serial = c.serial();
      f.firmware = c.firmware();
      f.simulated = c.simulated();
      std::vector<std::uint8_t> refs = {0x9a, 0x9c, 0x9d, 0x9e};
      for (std::uint8_t k = 0x82; k <= 0x95; ++k) refs.push_back(k);
      for (std::uint8_t k : refs) {
        auto md = c.key_metadata(k);
        if (md && *md) f.keys.push_back({k, std::move(**md)});
      }
      if (auto tries = c.pin_retries()) f.pin_tries = *tries;
      if (auto cred = c.credential_state()) f.credentials = *cred;
      rf.card = std::move(f);
    }
    out.push_back(std::move(rf));
  }
  return out;
}

std::vector<Fido2Facts> fido2_inventory() {
  std::vector<std::string> paths = fido2_hid_devices();
  for (auto& p : fido2_env_devices()) paths.push_back(std::move(p));
  std::vector<Fido2Facts> out;
  for (const auto& p : paths) {
    auto dev = Fido2Device::open(p);
    out.push_back({p, dev.has_value(), dev ? std::string() : dev.error().message});
  }
  return out;
}

}  // namespace keyward::hw

// libFuzzer target: the slot parser (generic layout plus each type's parameter validation) and
// the unlock paths of every slot type given fixed credentials. Nothing may crash; a parsed slot
// must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/vault/slot.h"

using namespace keyward;
using namespace keyward::vault;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  auto slot = parse_slot(in);
  if (!slot) return 0;
  Bytes again = encode_slot(*slot);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  const SlotHandler* h = slot_handler(slot->type);
  if (h == nullptr) return 0;
  VaultId vid{};
  Credential cred;
  cred.type = slot->type;
  // Small, fixed credentials; passphrase slots are only tried with cheap KDF parameters.
  if (slot->type == SlotType::passphrase) {
    if (slot->params.size() >= 12) {
      std::uint32_t t = (std::uint32_t{slot->params[0]} << 24) | (std::uint32_t{slot->params[1]} << 16) |
                        (std::uint32_t{slot->params[2]} << 8) | slot->params[3];
      std::uint32_t m = (std::uint32_t{slot->params[4]} << 24) | (std::uint32_t{slot->params[5]} << 16) |
                        (std::uint32_t{slot->params[6]} << 8) | slot->params[7];
      if (t > 1 || m > 8192) return 0;
    }
    cred.secret = SecretBytes::copy_of(std::string_view("passphrase"));
  } else if (slot->type == SlotType::recipient) {
    cred.secret = SecretBytes(32);
    cred.secret.data()[0] = 9;
  } else {
    cred.secret = SecretBytes::copy_of(std::string_view("00000000000000000000000000000000000"));
  }
  if (auto secret = h->unlock(*slot, vid, cred)) {
    (void)h->unwrap(*slot, vid, Which::master, slot->wrapped_master, *secret);
  }
  return 0;
}

#include "core/passphrase_strength.h"

#include <zxcvbn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace keyward {

PassphraseEstimate estimate_passphrase(const SecretBytes& passphrase,
                                       const std::vector<std::string>& words) {
  // NUL-terminated copy in a locked, wiped buffer (SecretBytes).
  SecretBytes z(passphrase.size() + 1);
  std::copy(passphrase.data(), passphrase.data() + passphrase.size(), z.data());
  std::vector<const char*> dict;
  for (const auto& w : words) {
    if (!w.empty()) dict.push_back(w.c_str());
  }
  dict.push_back(nullptr);
  PassphraseEstimate e;
  // Embedded NULs end the C string early: the estimate then covers less than the passphrase,
  // which only makes it more cautious.
  e.bits = ZxcvbnMatch(reinterpret_cast<const char*>(z.data()), dict.data(), nullptr);
  if (!std::isfinite(e.bits) || e.bits < 0) e.bits = 0;
  char bits[32];
  std::snprintf(bits, sizeof bits, "%.0f", e.bits);
  if (e.bits < kPassphraseFloorBits) {
    e.strength = PassphraseStrength::weak;
    e.advice = std::string("it would be guessed within about a million tries (estimated ") +
               bits + " bits; the floor is 20): use four or more random words, or a password "
               "manager's generated passphrase";
  } else if (e.bits < kPassphraseGoodBits) {
    e.strength = PassphraseStrength::fair;
    e.advice = std::string("it is guessable with a dedicated offline effort (estimated ") + bits +
               " bits; 40 or more is good): consider a longer one, e.g. more random words";
  } else {
    e.strength = PassphraseStrength::strong;
  }
  return e;
}

}  // namespace keyward

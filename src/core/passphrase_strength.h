// An estimate of how hard a new passphrase is to guess (zxcvbn, Debian's libzxcvbn: dictionary
// words, names, keyboard patterns, dates, repeats and sequences count for little), and the
// floor keyward holds new passphrases to (docs/user-guide.md, "Passphrase strength").
#pragma once

#include <string>
#include <vector>

#include "core/secret.h"

namespace keyward {

enum class PassphraseStrength {
  weak,    // below kPassphraseFloorBits: refused unless the user insists
  fair,    // below kPassphraseGoodBits: accepted with a warning
  strong,
};

// zxcvbn's score 1 ends at 10^6 guesses (about 20 bits): found within hours by an offline
// attacker even at Argon2id speed. Below it a new passphrase is refused.
inline constexpr double kPassphraseFloorBits = 20.0;
// 2^40 guesses: decades for one GPU at Argon2id's 64 MiB cost. Below it: a warning.
inline constexpr double kPassphraseGoodBits = 40.0;

struct PassphraseEstimate {
  double bits = 0;  // log2 of the estimated guesses
  PassphraseStrength strength = PassphraseStrength::weak;
  std::string advice;  // one sentence for the user (no part of the passphrase in it)
};

// `words`: context an attacker would try first (product name, user name); counted as
// dictionary words. The passphrase is copied into locked memory to be NUL-terminated; zxcvbn's
// own working copies are not under keyward's control (docs/threat-model.md).
PassphraseEstimate estimate_passphrase(const SecretBytes& passphrase,
                                       const std::vector<std::string>& words);

}  // namespace keyward

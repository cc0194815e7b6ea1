// What device code needs from the person at the keyboard, as an interface: core and src/hw never
// print or prompt. The program implements it (the CLI on stderr and /dev/tty; tests with canned
// answers) and passes it to the device adapters explicitly.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/secret.h"

namespace keyward {

enum class Asked : unsigned char {
  piv_pin,    // the PIV PIN of the named card
  fido2_pin,  // the FIDO2 PIN of the named authenticator
  piv_new_pin,  // a new PIV PIN (asked twice on a terminal)
  piv_new_puk,  // a new PIV PUK
};

class Interaction {
 public:
  virtual ~Interaction() = default;
  // One line for the user ("touch your YubiKey 12345678 to unlock vault ..."); shown even in
  // quiet mode, since it says what a touch authorises.
  virtual void notice(std::string_view line) = 0;
  // Progress that quiet mode may drop ("Generated a P-256 key on ...").
  virtual void info(std::string_view line) = 0;
  // A secret for `device` (a card or authenticator name). The implementation decides where it
  // comes from (a file option, an environment variable, a no-echo prompt) and says what to do
  // when it has none.
  virtual Result<SecretBytes> secret(Asked what, std::string_view device) = 0;
  // A yes/no question; false when nobody can answer (no terminal).
  virtual bool confirm(std::string_view question) = 0;
  // Whether a person can be asked at all (a terminal is there).
  virtual bool interactive() const = 0;
};

}  // namespace keyward

// Recipient and identity strings as users write them.
//   recipients: "age1..." (X25519), "age1yubikey1..." (piv-p256), "ssh-ed25519 AAAA... [comment]"
//   identities: "AGE-SECRET-KEY-1..." lines (age-keygen files: '#' comments and blank lines
//               ignored), or an unencrypted OpenSSH Ed25519 private key file.
// Post-quantum hybrid ("age1pq1...", "AGE-SECRET-KEY-PQ-1...") and other plugin recipients/identities
// are refused with Errc::unsupported and a message naming them.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/age/age.h"

namespace keyward::age {

Result<std::unique_ptr<Recipient>> parse_recipient(std::string_view text);
// One recipient per line; blank lines and lines starting with '#' are ignored.
Result<std::vector<std::unique_ptr<Recipient>>> parse_recipients_file(std::string_view text);
// `text` is secret (the caller keeps it in SecretBytes); error messages never quote it.
Result<std::vector<std::unique_ptr<Identity>>> parse_identities(std::string_view text);

}  // namespace keyward::age

// Shared pieces of `keyward package`, `unpack` and `pubkey`: the package identity and sender
// signing key kept in the vault, recipient arguments, the card side of age1yubikey1 recipients,
// durations, files and QR codes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/hw_piv.h"
#include "core/age/age.h"
#include "core/age/piv_p256.h"
#include "core/age/x25519.h"
#include "core/package/own_keys.h"
#include "core/vault/vault.h"
#include "hw/piv_identities.h"

namespace keyward::cli::pkg {

// keyward's own package keys (the identity and the sender key) live in core:
// core/package/own_keys.h.
using package::kIdentityCoordinate;
using package::kSigningCoordinate;
using package::vault_identity;
using package::vault_signing_seed;

// One --recipient argument: an age1.../age1yubikey1.../ssh-ed25519 string, or a file of them.
struct Recipients {
  std::vector<std::unique_ptr<age::Recipient>> all;
  std::vector<age::PivP256Recipient*> cards;  // the hardware ones (also in `all`)
};
Status add_recipient_arg(Recipients& r, const std::string& arg);

// The P-256 keys of one PIV card as piv-p256 identities (outer envelope and K_h wraps), over
// the command's PIV session (src/hw/piv_identities.h). The PIN comes from --pin-file /
// KEYWARD_PIV_PIN / a prompt, and only when a matching stanza needs it.
Result<std::unique_ptr<hw::PivIdentities>> open_card(const Context& ctx, std::uint32_t serial,
                                                      const PivUnlockOptions& pin,
                                                      const std::string& purpose);

// "24h", "90m", "3600s", "2d", or plain seconds.
Result<std::uint64_t> parse_duration(const std::string& text);
std::string describe_duration(std::uint64_t seconds);

Result<Bytes> read_small_file(const std::string& path, std::size_t max);
// Writes atomically (temp file + rename) with mode 0600; refuses to replace unless `replace`.
Status write_private_file(const std::string& path, ByteView data, bool replace);

// Prints `text` as a QR code of UTF-8 half blocks on stdout. invalid_argument if too large.
Status print_qr(const std::string& text);

std::uint64_t unix_now();

}  // namespace keyward::cli::pkg

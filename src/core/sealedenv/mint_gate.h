// The authorisation step of every mint (spec §12.6 step 4; unseal tokens, §9). Minting code asks
// a MintGate before it derives anything, so a stronger gate can replace the TOTP prompt without
// touching the mint procedures: the presence gate (touch / user verification, with an audit
// entry) is another MintGate implementation, supplied by the CLI through external_gate (core
// never talks to devices).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/sealedenv/config.h"
#include "core/sealedenv/file_format.h"

namespace keyward::sealedenv {

struct MintRequest {
  const SealedFile* file = nullptr;
  const Config* config = nullptr;
  std::string_view what;  // "deploy token", "unseal token"
  std::uint64_t now = 0;
};

class MintGate {
 public:
  virtual ~MintGate() = default;
  virtual Status authorize(const MintRequest& req) = 0;
};

// No second factor (config.require_totp_on_mint is false).
std::unique_ptr<MintGate> open_gate();

// RFC 6238 (SHA-1, 30 s, 6 digits, ±1 step, spec §5) against the vault's TOTP secret. The code
// comes from `read_code` (the CLI reads it from the terminal or stdin, never argv). A wrong code
// is auth_failed.
using CodeReader = std::function<Result<std::string>()>;
std::unique_ptr<MintGate> totp_gate(ByteView totp_secret, CodeReader read_code);

// A gate implemented by the caller: `authorize` is forwarded to `fn` (the CLI's hardware
// presence gate when the Tier A token lives in the keyward vault). An error denies.
using GateFn = std::function<Status(const MintRequest&)>;
std::unique_ptr<MintGate> external_gate(GateFn fn);

}  // namespace keyward::sealedenv

// Vault format v1: constants, HKDF labels, the header body and its MAC, the key schedule and
// coordinates. The byte layouts are specified in docs/format-vault.md; keep the two in step.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::vault {

inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::size_t kVaultIdSize = 16;
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kHeaderBodySize = 154;
inline constexpr std::uint32_t kApplicationId = 0x4B575631;  // "KWV1"

namespace label {
inline constexpr std::string_view kRecord = "keyward/vault/v1/record";
inline constexpr std::string_view kName = "keyward/vault/v1/name";
inline constexpr std::string_view kHeaderMacKey = "keyward/vault/v1/header-mac";
inline constexpr std::string_view kManifest = "keyward/vault/v1/manifest";
inline constexpr std::string_view kAudit = "keyward/vault/v1/audit";
inline constexpr std::string_view kTransitionSign = "keyward/vault/v1/transition-sign";
inline constexpr std::string_view kFingerprint = "keyward/vault/v1/fingerprint";
inline constexpr std::string_view kRecordHigh = "keyward/vault/v1/record-high";
inline constexpr std::string_view kHighCheck = "keyward/vault/v1/high-check";
inline constexpr std::string_view kHeaderMac = "keyward/vault/v1/header";
inline constexpr std::string_view kManifestEntry = "keyward/vault/v1/manifest-entry";
inline constexpr std::string_view kTransition = "keyward/vault/v1/transition";
inline constexpr std::string_view kSlotWrap = "keyward/vault/v1/slot-wrap";
inline constexpr std::string_view kWrapPrefix = "keyward/vault/v1/wrap/";
inline constexpr std::string_view kSlotSecret = "keyward/vault/v1/slot-secret";
inline constexpr std::string_view kRecovery = "keyward/vault/v1/recovery";
inline constexpr std::string_view kRecoveryCheck = "keyward/vault/v1/recovery-check";
inline constexpr std::string_view kAuditKeyring = "keyward/vault/v1/audit-keyring";
}  // namespace label

using VaultId = std::array<std::uint8_t, kVaultIdSize>;
using Digest = std::array<std::uint8_t, 32>;

// The audit anchor of one machine's log (docs/format-audit.md section 9): at every header write
// the writer records where its machine's audit log ended, under the header MAC.
struct AuditAnchor {
  std::array<std::uint8_t, 16> machine{};  // audit::machine_tag of the log's machine and directory
  std::uint64_t seq = 0;                   // last entry of that log when the header was written
  Digest hash{};                           // its chain hash (zeros when seq = 0)
  bool operator==(const AuditAnchor&) const = default;
};
inline constexpr std::size_t kMaxAuditAnchors = 8;
inline constexpr std::size_t kAuditAnchorSize = 16 + 8 + 32;
inline constexpr std::size_t kMaxAuditKeyring = 1u << 20;

struct HeaderBody {
  VaultId vault_id{};
  std::uint64_t revision = 0;
  std::uint64_t record_count = 0;
  Digest manifest{};
  Digest key_id{};
  bool has_high = false;
  Digest high_check{};
  std::uint32_t slot_count = 0;
  std::uint64_t created = 0;
  std::uint64_t next_slot = 1;
  // Header extension (section 4.1, after byte 154; absent in vaults written before it existed).
  // Most recent first, one per machine, at most kMaxAuditAnchors.
  std::vector<AuditAnchor> audit_anchors;
  // The K_audit of every earlier master, sealed under the current one (format-audit.md section 2);
  // empty if the vault was never re-keyed since the extension exists.
  Bytes audit_keyring;
};

// The full body: the 154-byte base, then the extension.
Bytes encode_header(const HeaderBody& h);
// The 154-byte base only (what the agent hands its client for the presence gate; parse_header
// accepts it as a body without extension).
Bytes encode_header_base(const HeaderBody& h);
// Strict parse: exact size, magic and version. Errors are the opaque decrypt error (tampering).
Result<HeaderBody> parse_header(ByteView body);

// Keys derived from one master key (section 2).
struct MasterKeys {
  SecretBytes record, name, mac, manifest, sign_seed, fingerprint;
  SecretBytes audit;  // K_audit: MAC key of the audit log (docs/format-audit.md)
  SecretBytes audit_keyring;  // seals the earlier masters' K_audit in the header extension
  Digest key_id{};  // Ed25519 public key of sign_seed
};
Result<MasterKeys> derive_master_keys(const SecretBytes& master, const VaultId& vid);
struct HighKeys {
  SecretBytes record;
  Digest check{};
};
Result<HighKeys> derive_high_keys(const SecretBytes& high, const VaultId& vid);

// HMAC over the header body and every slot, ascending slot number (section 4.2).
struct SlotRow {
  std::uint32_t number = 0;
  Bytes body;
};
Digest header_mac(const MasterKeys& keys, ByteView body, const std::vector<SlotRow>& slots);

// Coordinates `env/component/KEY` (section 6.1).
struct Coordinate {
  std::string env, component, key;
  std::string str() const { return env + "/" + component + "/" + key; }
};
Result<Coordinate> parse_coordinate(std::string_view text);
bool valid_env_name(std::string_view s);
bool valid_key_name(std::string_view s);
Result<Digest> record_id(const MasterKeys& keys, std::string_view coordinate);

// The opaque error every tampering/corruption path returns.
inline tl::unexpected<Error> opaque() {
  return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
}

template <std::size_t N>
inline std::array<std::uint8_t, N> to_array(ByteView b) {
  std::array<std::uint8_t, N> a{};
  for (std::size_t i = 0; i < N && i < b.size(); ++i) a[i] = b[i];
  return a;
}

}  // namespace keyward::vault

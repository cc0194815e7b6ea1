// Records (docs/format-vault.md sections 6 and 7): the sealed record body, the sealed index entry
// used by `list`, and the manifest entry that binds both to the header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"
#include "core/vault/format.h"

namespace keyward::vault {

enum class Tier : std::uint8_t { normal = 0, high = 1 };
enum class Kind : std::uint8_t { value = 0, cloud_ref = 1 };
std::string_view tier_name(Tier t) noexcept;
std::string_view kind_name(Kind k) noexcept;

inline constexpr std::size_t kMaxValueSize = 1u << 20;

struct RecordMeta {
  std::string coordinate;
  Tier tier = Tier::normal;
  Kind kind = Kind::value;
  std::uint64_t created = 0, updated = 0;
  std::array<std::uint8_t, 4> fingerprint{};  // index only
};

struct Record {
  RecordMeta meta;
  SecretBytes value;
};

// A stored row, as in the `records` table.
struct RecordRow {
  Digest id{};
  Tier tier = Tier::normal;
  Bytes idx, body;
};

// Seals meta+value into a row. `tier_key` is K_rec for normal, K_high for high records.
// `fingerprint_key` is K_fp (value fingerprint in the index entry).
Result<RecordRow> seal_record(const Digest& id, const VaultId& vid, const SecretBytes& index_key,
                              const SecretBytes& fingerprint_key, const SecretBytes& tier_key,
                              const RecordMeta& meta, ByteView value);
// Opens the index entry (always under K_rec). Failures are the opaque decrypt error.
Result<RecordMeta> open_index(const RecordRow& row, const VaultId& vid,
                              const SecretBytes& index_key);
Result<Record> open_record(const RecordRow& row, const VaultId& vid, const SecretBytes& tier_key,
                           const SecretBytes& fingerprint_key);
// open_record without an allocation per record (the agent opens hundreds per request): decrypts
// into `scratch` (locked memory the caller owns and reuses, at least body_plain_size(row) bytes)
// and returns the meta; `value` points into scratch.
std::size_t body_plain_size(const RecordRow& row) noexcept;
Result<RecordMeta> open_record_into(const RecordRow& row, const VaultId& vid,
                                    const SecretBytes& tier_key, const SecretBytes& fingerprint_key,
                                    SecretBytes& scratch, ByteView& value);

// Manifest entry HMAC (section 7) and XOR accumulation.
Digest manifest_entry(const SecretBytes& manifest_key, const RecordRow& row);
void xor_into(Digest& acc, const Digest& entry);

// First 4 bytes of BLAKE2b-256 keyed with K_fp: shows whether a value changed without being a
// usable hash of it (an unkeyed hash of a short secret such as a PIN could be reversed by guessing).
std::array<std::uint8_t, 4> value_fingerprint(const SecretBytes& fingerprint_key, ByteView value);

}  // namespace keyward::vault

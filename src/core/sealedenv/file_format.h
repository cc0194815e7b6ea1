// The SEALED-ENV-V1 container (spec §2-§4, §6 "Canonical form", §14): strict parsing and
// writing of the magic line, the ordered metadata lines and the base64 body. No cryptography
// here; see seal.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/kdf.h"

namespace keyward::sealedenv {

enum class Mode { basic, team, enterprise };
enum class KdfKind { argon2id, scrypt };

std::string_view mode_name(Mode m) noexcept;
std::optional<Mode> mode_from_name(std::string_view s) noexcept;

struct KdfSpec {
  KdfKind kind = KdfKind::argon2id;
  kdf::Argon2Params argon2{};  // t=3, m=65536, p=4 (spec §5 default)
  kdf::ScryptParams scrypt{};  // N=32768, r=8, p=1 (spec §5 default)
};

inline constexpr std::size_t kSaltSize = 16;
inline constexpr std::size_t kNonceSize = 12;
inline constexpr std::size_t kDigestSize = 32;
inline constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024 * 4 / 3 + 4096;

struct SealedFile {
  Mode mode = Mode::basic;
  KdfSpec kdf;
  Bytes salt;                         // 16
  Bytes nonce;                        // 12
  std::optional<Bytes> epoch_commit;  // 32, enterprise only
  std::optional<bool> challenge_bind; // enterprise only
  Bytes aad_digest;                   // 32
  std::optional<Bytes> hmac;          // 32, team and enterprise
  std::string created;                // ISO-8601 UTC, kept verbatim (it is part of the AAD)
  std::optional<std::string> rotated;
  Bytes ciphertext;                   // ciphertext || 16-byte GCM tag
};

// Strict parse. A V2+ magic line -> Errc::unsupported with kFormatTooNewMessage; anything else
// that is not exactly a V1 file -> Errc::malformed with a message naming the line and what was
// expected (header fields are public; nothing secret is ever quoted).
Result<SealedFile> parse_file(std::string_view text);

// parse_file for the decryption paths (§7 "Failure modes"): every malformed file becomes the
// one opaque decrypt_failed error, so a damaged header is indistinguishable from a wrong key;
// only the V2 "format too new" refusal keeps its own message. `doctor` uses parse_file to say
// what is wrong.
Result<SealedFile> parse_for_decrypt(std::string_view text);

// The file text (no trailing newline, as the Node implementation writes it). Fields must be
// consistent with the mode (else invalid_argument).
Result<std::string> write_file(const SealedFile& f);

// "SEALED-ENV-V1 MODE=<mode>"
std::string magic_line(Mode m);
// The metadata lines in §4 order, each "KEY=VALUE".
struct MetadataOptions {
  bool include_aad_digest = true;
  bool include_hmac = true;
};
std::string canonical_header(const SealedFile& f, const MetadataOptions& opts);

// §6 step 5: magic line, LF, metadata lines without AAD-DIGEST and HMAC joined by LF
// (verified against node-basic.json).
std::string aad_text(const SealedFile& f);
// §6 step 8 as the Node implementation computes it: exactly the AAD bytes (aad_text: magic line
// and metadata without AAD-DIGEST and HMAC, LF-joined, no trailing LF) followed directly by the
// raw ciphertext-with-tag. The only form keyward writes.
Bytes hmac_message(const SealedFile& f);
// The form keyward 0.1 wrote (the AAD-DIGEST line included). Read with a warning
// (kLegacyHmacWarning), never written.
Bytes hmac_message_keyward01(const SealedFile& f);

// Upper limits on KDF parameters read from a file (the header is unauthenticated when the KDF
// runs for a basic file, so these bound what a pull request editing `.env.sealed` can make CI
// spend). Above them a file is refused with Errc::unsupported naming the limit, before any KDF.
// Writers refuse the same. docs/sealed-env.md "Limits".
inline constexpr std::uint32_t kMaxArgon2T = 10;
inline constexpr std::uint32_t kMaxArgon2MKib = 1u << 20;  // 1 GiB
inline constexpr std::uint32_t kMaxArgon2P = 16;
inline constexpr std::uint64_t kMaxScryptN = 1u << 20;
inline constexpr std::uint32_t kMaxScryptR = 16;
inline constexpr std::uint32_t kMaxScryptP = 4;
inline constexpr std::uint64_t kMaxScryptNR = 1u << 23;    // 128 * N * r <= 1 GiB
inline constexpr std::string_view kArgon2LimitsText =
    "Argon2id t <= 10, m <= 1048576 KiB (1 GiB), p <= 16";
inline constexpr std::string_view kScryptLimitsText =
    "scrypt N <= 2^20, r <= 16, p <= 4, N*r <= 2^23 (1 GiB)";
// ok, or Errc::unsupported "sealed-env: KDF-PARAMS ... exceed keyward's limits (...)".
Status check_kdf_limits(const KdfSpec& k);

std::string kdf_params_text(const KdfSpec& k);
// True if `s` is an ISO-8601 UTC timestamp YYYY-MM-DDTHH:MM:SS[.fraction]Z.
bool valid_timestamp(std::string_view s) noexcept;

}  // namespace keyward::sealedenv

// NIST P-256 (OpenSSL 3, EVP API only): ECDH, ECDSA verification, SEC1 point encoding.
// Used by PIV slots (ECDH with the card key), FIDO2 (ES256 assertions) and age piv-p256.
#pragma once

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward::p256 {

inline constexpr std::size_t kUncompressedSize = 65;  // 0x04 || X || Y
inline constexpr std::size_t kCompressedSize = 33;    // 0x02/0x03 || X
inline constexpr std::size_t kScalarSize = 32;

struct KeyPair {
  SecretBytes private_scalar;  // 32 bytes, big-endian
  Bytes public_uncompressed;   // 65 bytes
};

KeyPair generate();
// Public key for a private scalar (validates the scalar is in [1, n-1]).
Result<Bytes> public_from_private(ByteView private_scalar);

// Parse a SEC1 point (compressed or uncompressed), check it is on the curve and not infinity,
// and return it in the requested canonical form. Anything else -> malformed.
Result<Bytes> decode_point(ByteView sec1);
Result<Bytes> to_uncompressed(ByteView sec1);
Result<Bytes> to_compressed(ByteView sec1);

// ECDH: the 32-byte X coordinate of private * peer (the peer point is validated first).
Result<SecretBytes> ecdh(ByteView private_scalar, ByteView peer_sec1);

// ECDSA-SHA-256 verification. `der_signature` is ASN.1 DER (as FIDO2 and PIV return);
// `raw_signature` is r||s (64 bytes). Returns true only for a valid signature; malformed inputs
// are simply invalid (false), never an error that leaks why.
bool ecdsa_verify_der(ByteView public_sec1, ByteView message, ByteView der_signature) noexcept;
bool ecdsa_verify_raw(ByteView public_sec1, ByteView message, ByteView raw_signature) noexcept;
// Signing with a software key (tests, simulator-free round trips). DER output.
Result<Bytes> ecdsa_sign_der(ByteView private_scalar, ByteView message);

}  // namespace keyward::p256

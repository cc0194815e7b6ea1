// The age STREAM payload: 16-byte random nonce, then ChaCha20-Poly1305 chunks of 64 KiB plaintext
// under payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). Chunk nonce =
// 11-byte big-endian counter || 0x01 for the final chunk, 0x00 before. The final chunk may be
// shorter than 64 KiB and is empty only when the whole payload is empty.
#pragma once

#include <cstdint>

#include "core/age/io.h"
#include "core/bytes.h"
#include "core/error.h"

namespace keyward::age {

inline constexpr std::size_t kPayloadNonceSize = 16;
inline constexpr std::size_t kChunkSize = 64 * 1024;
inline constexpr std::size_t kSealedChunkSize = kChunkSize + 16;
// Chunks are read, sealed/opened (on two threads) and written in batches of at most this many
// (1 MiB of plaintext; the first batches are 1, 2, 4 and 8 chunks so that small payloads stay
// cheap), so memory stays bounded whatever the payload size.
inline constexpr std::size_t kBatchChunks = 16;

// Writes a fresh nonce and the encrypted chunks of all of `in`. Returns the plaintext size.
Result<std::uint64_t> stream_encrypt(ByteView file_key, ByteReader& in, ByteWriter& out);

// Decrypts the chunks following `nonce`. Chunks are opened a batch at a time; the authentic
// chunks of a batch are written to `out` in order up to the first failing one, so what is written
// before a failure is exactly the plaintext of the chunks before the first bad chunk (never any
// of the bad chunk or after it). Requires a valid final chunk at end of input and nothing after
// it; every failure is Errc::decrypt_failed (opaque) except reader/writer errors, which are passed
// through (a reader error may come before the authentic chunks of its batch were written).
// `written` receives the number of plaintext bytes written, also on failure.
Status stream_decrypt(ByteView file_key, ByteView nonce, BufferedReader& in, ByteWriter& out,
                      std::uint64_t& written);

}  // namespace keyward::age

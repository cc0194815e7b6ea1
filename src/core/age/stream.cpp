#include "core/age/stream.h"

#include <array>
#include <utility>

#include "core/aead.h"
#include "core/kdf.h"
#include "core/random.h"
#include "core/secret.h"

namespace keyward::age {
namespace {

using ChunkNonce = std::array<std::uint8_t, aead::kNonceSize>;

Result<SecretBytes> payload_key(ByteView file_key, ByteView nonce) {
  return kdf::hkdf_sha256(file_key, nonce, as_bytes("payload"), aead::kKeySize);
}

// Increments the 11-byte big-endian counter; false on overflow (2^88 chunks: unreachable).
bool increment(ChunkNonce& nonce) {
  for (int i = 10; i >= 0; --i) {
    if (++nonce[static_cast<std::size_t>(i)] != 0) return true;
  }
  return false;
}

bool counter_is_zero(const ChunkNonce& nonce) {
  for (std::size_t i = 0; i < 11; ++i)
    if (nonce[i] != 0) return false;
  return true;
}

tl::unexpected<Error> payload_failed() {
  return fail(Errc::decrypt_failed, std::string(kDecryptFailedMessage));
}

// Reads until `out` is full or the reader reports end of input.
Result<std::size_t> read_full(ByteReader& in, MutableByteView out) {
  std::size_t done = 0;
  while (done < out.size()) {
    KW_TRY(const std::size_t n, in.read(out.subspan(done)));
    if (n == 0) break;
    done += n;
  }
  return done;
}

}  // namespace

Result<std::uint64_t> stream_encrypt(ByteView file_key, ByteReader& in, ByteWriter& out) {
  const Bytes nonce = random_bytes(kPayloadNonceSize);
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  KW_TRY_STATUS(out.write(nonce));

  // Two plaintext buffers: the chunk being sealed and the one after it, which tells whether the
  // current chunk is the last.
  SecretBytes cur(kChunkSize), next(kChunkSize);
  Bytes sealed(kSealedChunkSize);
  ChunkNonce chunk_nonce{};
  std::uint64_t total = 0;
  KW_TRY(std::size_t cur_n, read_full(in, cur.span()));
  for (;;) {
    std::size_t next_n = 0;
    if (cur_n == kChunkSize) {
      KW_TRY(const std::size_t n, read_full(in, next.span()));
      next_n = n;
    }
    const bool last = next_n == 0;
    chunk_nonce[11] = last ? 1 : 0;
    const MutableByteView sealed_view(sealed.data(), cur_n + aead::kTagSize);
    KW_TRY_STATUS(aead::chacha_seal_into(key, chunk_nonce, cur.view().first(cur_n), {}, sealed_view));
    KW_TRY_STATUS(out.write(sealed_view));
    total += cur_n;
    if (last) return total;
    if (!increment(chunk_nonce)) return fail(Errc::invalid_argument, "age payload too long");
    std::swap(cur, next);
    cur_n = next_n;
  }
}

Status stream_decrypt(ByteView file_key, ByteView nonce, BufferedReader& in, ByteWriter& out,
                      std::uint64_t& written) {
  written = 0;
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  Bytes sealed(kSealedChunkSize);
  SecretBytes plain(kChunkSize);
  ChunkNonce chunk_nonce{};
  for (;;) {
    KW_TRY(const std::size_t n, in.read_full(MutableByteView(sealed)));
    // End of input without a final chunk (also: no chunk at all).
    if (n < aead::kTagSize) return payload_failed();
    const ByteView chunk(sealed.data(), n);
    const MutableByteView plain_view = plain.span().first(n - aead::kTagSize);
    bool last = n < kSealedChunkSize;  // a short chunk can only be the final one
    if (last && plain_view.empty() && !counter_is_zero(chunk_nonce)) return payload_failed();
    chunk_nonce[11] = last ? 1 : 0;
    bool opened = aead::chacha_open_into(key, chunk_nonce, chunk, {}, plain_view).has_value();
    if (!opened && !last) {
      // A full-size chunk may be the final one.
      last = true;
      chunk_nonce[11] = 1;
      opened = aead::chacha_open_into(key, chunk_nonce, chunk, {}, plain_view).has_value();
    }
    if (!opened) return payload_failed();
    // The chunk is authentic: release it before looking further.
    KW_TRY_STATUS(out.write(plain_view));
    written += plain_view.size();
    if (last) {
      // Nothing may follow the final chunk.
      std::uint8_t extra = 0;
      KW_TRY(const std::size_t more, in.read_full(MutableByteView(&extra, 1)));
      if (more != 0) return payload_failed();
      return ok();
    }
    if (!increment(chunk_nonce)) return payload_failed();
  }
}

}  // namespace keyward::age

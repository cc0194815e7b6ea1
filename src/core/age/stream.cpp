#include "core/age/stream.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

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

// The nonce of chunk number `counter`: 11-byte big-endian counter || last-chunk flag. The counter
// is kept in 64 bits (2^64 chunks of 64 KiB is unreachable); the top three bytes stay zero.
ChunkNonce chunk_nonce(std::uint64_t counter, bool last) {
  ChunkNonce n{};
  for (std::size_t i = 0; i < 8; ++i)
    n[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  n[11] = last ? 1 : 0;
  return n;
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

// Runs fn(0..n-1) on the calling thread and one helper thread (the machines keyward targets have
// few cores; ChaCha20-Poly1305 of one 64 KiB chunk is the unit of work, handed out through an
// atomic counter so a busy core simply takes fewer chunks). If the helper thread cannot be
// started, everything runs on the calling thread. fn must not throw.
class ChunkPool {
 public:
  ChunkPool() {
    try {
      thread_ = std::thread([this] { loop(); });
    } catch (const std::system_error&) {
      // No helper: for_each runs sequentially.
    }
  }
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;
  ~ChunkPool() {
    if (!thread_.joinable()) return;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_one();
    thread_.join();
  }

  template <class F>
  void for_each(std::size_t n, F& fn) {
    if (n < 2 || !thread_.joinable()) {
      for (std::size_t i = 0; i < n; ++i) fn(i);
      return;
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      ctx_ = &fn;
      call_ = [](void* ctx, std::size_t i) { (*static_cast<F*>(ctx))(i); };
      n_ = n;
      next_.store(0, std::memory_order_relaxed);
      helper_done_ = false;
      ++generation_;
    }
    start_.notify_one();
    drain(call_, ctx_, n);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return helper_done_; });
  }

 private:
  using Call = void (*)(void*, std::size_t);

  void drain(Call call, void* ctx, std::size_t n) {
    for (;;) {
      const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      call(ctx, i);
    }
  }

  void loop() {
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      const Call call = call_;
      void* const ctx = ctx_;
      const std::size_t n = n_;
      lock.unlock();
      drain(call, ctx, n);
      lock.lock();
      helper_done_ = true;
      done_.notify_one();
    }
  }

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  bool stop_ = false;
  bool helper_done_ = true;
  std::uint64_t generation_ = 0;
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::size_t> next_{0};
};

// Starts the helper thread only for a batch with more than one chunk (small payloads stay on
// one thread).
template <class F>
void run_chunks(std::optional<ChunkPool>& pool, std::size_t n, F& fn) {
  if (n < 2) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  if (!pool) pool.emplace();
  pool->for_each(n, fn);
}

}  // namespace

Result<std::uint64_t> stream_encrypt(ByteView file_key, ByteReader& in, ByteWriter& out) {
  const Bytes nonce = random_bytes(kPayloadNonceSize);
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  KW_TRY_STATUS(out.write(nonce));

  // One batch of plaintext chunks and their sealed form. One byte is read past each batch: it
  // tells whether the batch holds the final chunk, and it opens the next batch.
  SecretBytes plain(kBatchChunks * kChunkSize);
  Bytes sealed(kBatchChunks * kSealedChunkSize);
  std::vector<Status> results(kBatchChunks);
  std::optional<ChunkPool> pool;
  std::uint64_t counter = 0;
  std::uint64_t total = 0;
  std::size_t carried = 0;  // 0 or 1: the look-ahead byte already at plain[0]
  for (;;) {
    KW_TRY(const std::size_t got, read_full(in, plain.span().subspan(carried)));
    const std::size_t n = carried + got;
    std::uint8_t ahead = 0;
    bool last = true;
    if (n == plain.size()) {
      KW_TRY(const std::size_t more, read_full(in, MutableByteView(&ahead, 1)));
      last = more == 0;
    }
    // The empty payload is one empty final chunk; otherwise every chunk holds 1..64 KiB.
    const std::size_t count = n == 0 ? 1 : (n + kChunkSize - 1) / kChunkSize;
    if (counter > std::numeric_limits<std::uint64_t>::max() - count)
      return fail(Errc::invalid_argument, "age payload too long");
    auto seal_one = [&](std::size_t i) {
      const std::size_t begin = i * kChunkSize;
      const std::size_t size = std::min(kChunkSize, n - begin);
      const ChunkNonce cn = chunk_nonce(counter + i, last && i + 1 == count);
      try {
        results[i] = aead::chacha_seal_into(
            key, cn, plain.view().subspan(begin, size), {},
            MutableByteView(sealed.data() + i * kSealedChunkSize, size + aead::kTagSize));
      } catch (...) {
        results[i] = tl::unexpected(Error{Errc::crypto, "ChaCha20-Poly1305 encryption failed"});
      }
    };
    run_chunks(pool, count, seal_one);
    for (std::size_t i = 0; i < count; ++i) KW_TRY_STATUS(results[i]);
    // Every chunk but the batch's last is full, so the sealed chunks are contiguous.
    KW_TRY_STATUS(out.write(ByteView(sealed.data(), n + count * aead::kTagSize)));
    total += n;
    counter += count;
    if (last) return total;
    plain.data()[0] = ahead;
    carried = 1;
  }
}

Status stream_decrypt(ByteView file_key, ByteView nonce, BufferedReader& in, ByteWriter& out,
                      std::uint64_t& written) {
  written = 0;
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  // One batch of sealed chunks and their plaintext. The chunks of a batch are opened in parallel;
  // then, in order, the authentic ones are released up to the first failure, exactly as if they
  // had been opened one at a time.
  Bytes sealed(kBatchChunks * kSealedChunkSize);
  SecretBytes plain(kBatchChunks * kChunkSize);
  enum class Opened : std::uint8_t { failed, middle, final };
  std::array<Opened, kBatchChunks> results{};
  std::optional<ChunkPool> pool;
  std::uint64_t counter = 0;
  for (;;) {
    KW_TRY(const std::size_t n, in.read_full(MutableByteView(sealed)));
    // End of input without a final chunk (also: no chunk at all).
    if (n == 0) return payload_failed();
    const std::size_t count = (n + kSealedChunkSize - 1) / kSealedChunkSize;
    if (counter > std::numeric_limits<std::uint64_t>::max() - count) return payload_failed();
    auto open_one = [&](std::size_t i) {
      results[i] = Opened::failed;
      const std::size_t begin = i * kSealedChunkSize;
      const std::size_t size = std::min(kSealedChunkSize, n - begin);
      if (size < aead::kTagSize) return;
      const ByteView chunk(sealed.data() + begin, size);
      const MutableByteView plain_view(plain.data() + i * kChunkSize, size - aead::kTagSize);
      const bool short_chunk = size < kSealedChunkSize;  // a short chunk can only be the final one
      // Only the very first chunk may be empty (the empty payload).
      if (short_chunk && plain_view.empty() && counter + i != 0) return;
      try {
        if (aead::chacha_open_into(key, chunk_nonce(counter + i, short_chunk), chunk, {},
                                   plain_view)) {
          results[i] = short_chunk ? Opened::final : Opened::middle;
        } else if (!short_chunk &&
                   aead::chacha_open_into(key, chunk_nonce(counter + i, true), chunk, {},
                                          plain_view)) {
          // A full-size chunk may be the final one.
          results[i] = Opened::final;
        }
      } catch (...) {
        secure_wipe(plain_view.data(), plain_view.size());
        results[i] = Opened::failed;
      }
    };
    run_chunks(pool, count, open_one);

    // Release the authentic prefix of the batch, ending at the first failed or final chunk.
    std::size_t good = 0;
    std::size_t plain_size = 0;
    bool final_seen = false;
    for (; good < count; ++good) {
      if (results[good] == Opened::failed) break;
      plain_size += std::min(kSealedChunkSize, n - good * kSealedChunkSize) - aead::kTagSize;
      if (results[good] == Opened::final) {
        final_seen = true;
        ++good;
        break;
      }
    }
    // Nothing from a failed chunk (already wiped by the AEAD) or after it is released; drop the
    // unreleased plaintext now rather than when the buffer is freed.
    if (good < count) secure_wipe(plain.data() + plain_size, plain.size() - plain_size);
    if (plain_size > 0) {
      KW_TRY_STATUS(out.write(ByteView(plain.data(), plain_size)));
      written += plain_size;
    }
    if (good < count && !final_seen) return payload_failed();
    if (final_seen) {
      // Nothing may follow the final chunk: neither later chunks of this batch nor more input.
      if (good < count) return payload_failed();
      std::uint8_t extra = 0;
      KW_TRY(const std::size_t more, in.read_full(MutableByteView(&extra, 1)));
      if (more != 0) return payload_failed();
      return ok();
    }
    counter += count;
  }
}

}  // namespace keyward::age

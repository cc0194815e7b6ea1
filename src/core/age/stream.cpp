#include "core/age/stream.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

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

// Batches smaller than this run on the calling thread alone: payloads under about 1 MiB never
// start the helper (its wake-ups would cost more than they save).
constexpr std::size_t kParallelChunks = kBatchChunks / 2;

// Runs fn(0..n-1) on the calling thread and one helper thread (the machines keyward targets have
// few cores; ChaCha20-Poly1305 of one 64 KiB chunk is the unit of work). start() hands the work
// to the helper and returns at once, so the calling thread can read the next batch meanwhile;
// finish() makes the calling thread take the chunks nobody has claimed yet and waits only for
// chunks the helper is working on. A helper that has not been scheduled yet is not waited for:
// work is claimed through one atomic word holding (batch generation, next chunk), so a helper
// waking up late finds the batch done (or a newer generation) and claims nothing. The helper is
// started on the first call with kParallelChunks or more chunks (if it may be, and can be:
// otherwise finish() does all the work). fn must not throw and must stay alive until finish()
// returns.
class ChunkPool {
 public:
  explicit ChunkPool(bool may_thread) : tried_thread_(!may_thread) {}
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;
  ~ChunkPool() {
    finish();
    if (!thread_.joinable()) return;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    start_.notify_one();
    thread_.join();
  }

  template <class F>
  void start(std::size_t n, F& fn) {
    finish();
    if (n >= kParallelChunks && !tried_thread_) {
      tried_thread_ = true;
      try {
        thread_ = std::thread([this] { loop(); });
      } catch (const std::system_error&) {
        // No helper: finish() runs everything on the calling thread.
      }
    }
    pending_ = true;
    const bool wake = n >= kParallelChunks && thread_.joinable();
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      ctx_ = &fn;
      call_ = [](void* ctx, std::size_t i) { (*static_cast<F*>(ctx))(i); };
      n_ = n;
      ++generation_;
      completed_.store(0, std::memory_order_relaxed);
      claim_.store((generation_ & kLow) << 32, std::memory_order_release);
    }
    if (wake) start_.notify_one();
  }

  // Idempotent: returns at once when nothing is pending.
  void finish() {
    if (!pending_) return;
    pending_ = false;
    std::size_t i = 0;
    while (claim(generation_, n_, i)) run(call_, ctx_, i);
    if (completed_.load(std::memory_order_acquire) == n_) return;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return completed_.load(std::memory_order_acquire) == n_; });
  }

 private:
  using Call = void (*)(void*, std::size_t);
  static constexpr std::uint64_t kLow = 0xffffffffu;  // claim_: generation (low 32 bits) | index

  // Claims the next chunk of generation `gen`; false when the batch is all claimed or a newer
  // batch has started.
  bool claim(std::uint64_t gen, std::size_t n, std::size_t& index) {
    std::uint64_t cur = claim_.load(std::memory_order_acquire);
    for (;;) {
      if ((cur >> 32) != (gen & kLow) || (cur & kLow) >= n) return false;
      if (claim_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel,
                                       std::memory_order_acquire)) {
        index = static_cast<std::size_t>(cur & kLow);
        return true;
      }
    }
  }

  void run(Call call, void* ctx, std::size_t i) {
    call(ctx, i);
    completed_.fetch_add(1, std::memory_order_acq_rel);
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
      std::size_t i = 0;
      bool worked = false;
      while (claim(seen, n, i)) {
        run(call, ctx, i);
        worked = true;
      }
      lock.lock();
      if (worked) done_.notify_one();
    }
  }

  // Used by the calling thread only.
  bool tried_thread_ = false;
  bool pending_ = false;
  std::thread thread_;
  // Shared with the helper (written under mutex_; claim_ and completed_ also read without it).
  std::mutex mutex_;
  std::condition_variable start_, done_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  Call call_ = nullptr;
  void* ctx_ = nullptr;
  std::size_t n_ = 0;
  std::atomic<std::uint64_t> claim_{0};
  std::atomic<std::size_t> completed_{0};
};

// The process's one helper thread lives in a pool that is created on first use and never
// destroyed (starting and joining a thread per file costs milliseconds on a busy machine). One
// stream at a time leases it; a concurrent stream runs on its own thread only.
class PoolLease {
 public:
  PoolLease() : lock_(shared_mutex(), std::try_to_lock) {
    if (lock_.owns_lock()) pool_ = &shared_pool();
  }
  PoolLease(const PoolLease&) = delete;
  PoolLease& operator=(const PoolLease&) = delete;
  ~PoolLease() { pool_->finish(); }  // before the lease is released
  ChunkPool& pool() { return *pool_; }

 private:
  static std::mutex& shared_mutex() {
    static std::mutex* const m = new std::mutex;  // never freed, like the pool
    return *m;
  }
  static ChunkPool& shared_pool() {
    static ChunkPool* const pool = new ChunkPool(true);  // never freed: see above
    return *pool;
  }
  std::unique_lock<std::mutex> lock_;
  ChunkPool sequential_{false};
  ChunkPool* pool_ = &sequential_;
};

// Calls finish() when leaving a scope, so the helper never outlives the work it was given.
class FinishGuard {
 public:
  explicit FinishGuard(ChunkPool& pool) : pool_(pool) {}
  FinishGuard(const FinishGuard&) = delete;
  FinishGuard& operator=(const FinishGuard&) = delete;
  ~FinishGuard() { pool_.finish(); }

 private:
  ChunkPool& pool_;
};

// Batches grow 1, 2, 4, ... kBatchChunks chunks, so that a small payload does not pay for
// allocating (and locking) full-size batch buffers.
std::size_t grow(std::size_t& chunks) {
  const std::size_t now = chunks;
  chunks = std::min(kBatchChunks, 2 * chunks);
  return now;
}

// A batch of plaintext chunks (n bytes) and room for their sealed form.
struct PlainBatch {
  SecretBytes plain;
  Bytes sealed;
  std::size_t n = 0;
  bool last = true;  // holds the final chunk
};

// Fills `b` from `in`. `carry` is the look-ahead byte read after the previous batch (it opens
// this one); one byte is read past a full batch: it tells whether the batch holds the final
// chunk and is returned in `ahead` for the next batch.
Status read_plain_batch(ByteReader& in, PlainBatch& b, std::size_t chunks,
                        std::optional<std::uint8_t> carry, std::uint8_t& ahead) {
  const std::size_t capacity = chunks * kChunkSize;
  if (b.plain.size() < capacity) {
    b.plain = SecretBytes(capacity);
    b.sealed.resize(chunks * kSealedChunkSize);
  }
  std::size_t carried = 0;
  if (carry) {
    b.plain.data()[0] = *carry;
    carried = 1;
  }
  KW_TRY(const std::size_t got, read_full(in, b.plain.span().first(capacity).subspan(carried)));
  b.n = carried + got;
  b.last = true;
  if (b.n == capacity) {
    KW_TRY(const std::size_t more, read_full(in, MutableByteView(&ahead, 1)));
    b.last = more == 0;
  }
  return ok();
}

}  // namespace

Result<std::uint64_t> stream_encrypt(ByteView file_key, ByteReader& in, ByteWriter& out) {
  const Bytes nonce = random_bytes(kPayloadNonceSize);
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  KW_TRY_STATUS(out.write(nonce));

  // Two batches: one being sealed while the next one is read.
  PoolLease lease;
  ChunkPool& pool = lease.pool();
  std::array<PlainBatch, 2> batches;
  std::array<Status, kBatchChunks> results;
  std::uint64_t counter = 0;
  std::uint64_t total = 0;
  std::uint8_t ahead = 0;
  std::size_t chunks = 1;
  KW_TRY_STATUS(read_plain_batch(in, batches[0], grow(chunks), std::nullopt, ahead));
  for (std::size_t cur = 0;; cur ^= 1) {
    PlainBatch& b = batches[cur];
    // The empty payload is one empty final chunk; otherwise every chunk holds 1..64 KiB.
    const std::size_t count = b.n == 0 ? 1 : (b.n + kChunkSize - 1) / kChunkSize;
    if (counter > std::numeric_limits<std::uint64_t>::max() - count)
      return fail(Errc::invalid_argument, "age payload too long");
    auto seal_one = [&](std::size_t i) {
      const std::size_t begin = i * kChunkSize;
      const std::size_t size = std::min(kChunkSize, b.n - begin);
      const ChunkNonce cn = chunk_nonce(counter + i, b.last && i + 1 == count);
      try {
        results[i] = aead::chacha_seal_into(
            key, cn, b.plain.view().subspan(begin, size), {},
            MutableByteView(b.sealed.data() + i * kSealedChunkSize, size + aead::kTagSize));
      } catch (...) {
        results[i] = tl::unexpected(Error{Errc::crypto, "ChaCha20-Poly1305 encryption failed"});
      }
    };
    Status next = ok();
    {
      const FinishGuard guard(pool);
      pool.start(count, seal_one);
      if (!b.last) next = read_plain_batch(in, batches[cur ^ 1], grow(chunks), ahead, ahead);
    }
    for (std::size_t i = 0; i < count; ++i) KW_TRY_STATUS(results[i]);
    KW_TRY_STATUS(next);
    // Every chunk but the batch's last is full, so the sealed chunks are contiguous.
    KW_TRY_STATUS(out.write(ByteView(b.sealed.data(), b.n + count * aead::kTagSize)));
    total += b.n;
    counter += count;
    if (b.last) return total;
  }
}

Status stream_decrypt(ByteView file_key, ByteView nonce, BufferedReader& in, ByteWriter& out,
                      std::uint64_t& written) {
  written = 0;
  KW_TRY(const SecretBytes key, payload_key(file_key, nonce));
  // Two batches of sealed chunks: one being opened (on two threads) while the next one is read.
  // Then, in order, the authentic chunks of the opened batch are released up to the first
  // failure, exactly as if they had been opened one at a time.
  struct SealedBatch {
    Bytes sealed;
    std::size_t requested = 0;  // bytes asked of the reader
    std::size_t n = 0;          // bytes it gave
  };
  auto read_batch = [&in](SealedBatch& batch, std::size_t chunks) -> Result<std::size_t> {
    batch.requested = chunks * kSealedChunkSize;
    if (batch.sealed.size() < batch.requested) batch.sealed.resize(batch.requested);
    return in.read_full(MutableByteView(batch.sealed).first(batch.requested));
  };
  PoolLease lease;
  ChunkPool& pool = lease.pool();
  std::array<SealedBatch, 2> batches;
  SecretBytes plain;
  std::size_t chunks = 1;
  enum class Opened : std::uint8_t { failed, middle, final };
  std::array<Opened, kBatchChunks> results{};
  std::uint64_t counter = 0;
  {
    KW_TRY(const std::size_t n, read_batch(batches[0], grow(chunks)));
    batches[0].n = n;
  }
  for (std::size_t cur = 0;; cur ^= 1) {
    const SealedBatch& b = batches[cur];
    // End of input without a final chunk (also: no chunk at all).
    if (b.n == 0) return payload_failed();
    const std::size_t count = (b.n + kSealedChunkSize - 1) / kSealedChunkSize;
    if (counter > std::numeric_limits<std::uint64_t>::max() - count) return payload_failed();
    if (plain.size() < count * kChunkSize)
      plain = SecretBytes(b.requested / kSealedChunkSize * kChunkSize);
    auto open_one = [&](std::size_t i) {
      results[i] = Opened::failed;
      const std::size_t begin = i * kSealedChunkSize;
      const std::size_t size = std::min(kSealedChunkSize, b.n - begin);
      if (size < aead::kTagSize) return;
      const ByteView chunk(b.sealed.data() + begin, size);
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
    // A batch shorter than the buffer ends the input: nothing more to read ahead.
    const bool full = b.n == b.requested;
    Result<std::size_t> next_n = std::size_t{0};
    {
      const FinishGuard guard(pool);
      pool.start(count, open_one);
      if (full) next_n = read_batch(batches[cur ^ 1], grow(chunks));
    }

    // Release the authentic prefix of the batch, ending at the first failed or final chunk.
    std::size_t good = 0;
    std::size_t plain_size = 0;
    bool final_seen = false;
    for (; good < count; ++good) {
      if (results[good] == Opened::failed) break;
      plain_size += std::min(kSealedChunkSize, b.n - good * kSealedChunkSize) - aead::kTagSize;
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
      if (!next_n) return tl::unexpected(next_n.error());
      std::size_t more = *next_n;
      if (!full) {
        std::uint8_t extra = 0;
        KW_TRY(more, in.read_full(MutableByteView(&extra, 1)));
      }
      if (more != 0) return payload_failed();
      return ok();
    }
    // Every chunk was authentic and none final: the input must go on.
    if (!next_n) return tl::unexpected(next_n.error());
    if (!full) return payload_failed();
    batches[cur ^ 1].n = *next_n;
    counter += count;
  }
}

}  // namespace keyward::age

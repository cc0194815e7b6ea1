// Byte streams for the age format: small reader/writer interfaces so that encrypt and decrypt work
// a batch of 64 KiB chunks at a time and a large payload is never held in memory.
//
// ByteReader/ByteWriter are what age::encrypt/decrypt consume; adapters are provided for
// std::istream/std::ostream and for memory. BufferedReader adds the peek/line/read-fully
// operations the header parser, the armor decoder and the STREAM decoder need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward::age {

class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to out.size() bytes into out and returns how many; 0 means end of input (and only
  // then). Errors are Errc::io (or the error of a decoding layer such as the armor reader).
  virtual Result<std::size_t> read(MutableByteView out) = 0;
};

class ByteWriter {
 public:
  virtual ~ByteWriter() = default;
  virtual Status write(ByteView data) = 0;
  // Called once after the last write (flushes; the armor writer emits its footer).
  virtual Status finish() { return ok(); }
};

// std::istream / std::ostream adapters (binary: no text-mode conversion is done here).
class IstreamReader final : public ByteReader {
 public:
  explicit IstreamReader(std::istream& in) : in_(in) {}
  Result<std::size_t> read(MutableByteView out) override;

 private:
  std::istream& in_;
};

class OstreamWriter final : public ByteWriter {
 public:
  explicit OstreamWriter(std::ostream& out) : out_(out) {}
  Status write(ByteView data) override;
  Status finish() override;

 private:
  std::ostream& out_;
};

// Reads from a caller-owned span.
class MemoryReader final : public ByteReader {
 public:
  explicit MemoryReader(ByteView data) : data_(data) {}
  Result<std::size_t> read(MutableByteView out) override;

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

// Appends to a caller-owned vector (for ciphertexts; plaintexts belong in SecretBytes).
class VectorWriter final : public ByteWriter {
 public:
  explicit VectorWriter(Bytes& out) : out_(out) {}
  Status write(ByteView data) override {
    append(out_, data);
    return ok();
  }

 private:
  Bytes& out_;
};

// A read-ahead buffer over a ByteReader. Large read_full requests bypass the buffer, so the
// STREAM decoder reads chunks straight into its own buffers.
class BufferedReader {
 public:
  explicit BufferedReader(ByteReader& src, std::size_t capacity = 16 * 1024);

  // Next byte without consuming it; -1 at end of input.
  Result<int> peek();
  // Fills out completely, or up to the end of input; returns the number of bytes read.
  Result<std::size_t> read_full(MutableByteView out);
  // Reads one line terminated by LF. The LF is consumed but not returned in `line`. Returns false
  // if the input ended before any LF (then `line` holds what was read). A line longer than
  // max_len bytes (LF excluded) is an Errc::malformed error naming `what`.
  Result<bool> read_line(std::string& line, std::size_t max_len, const char* what);

 private:
  Status fill();
  ByteReader& src_;
  Bytes buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
};

}  // namespace keyward::age

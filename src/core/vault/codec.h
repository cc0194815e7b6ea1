// Big-endian byte writer/reader for the vault's binary encodings (docs/format-vault.md).
// Internal to src/core/vault. Readers never read past the end: every get fails cleanly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace keyward::vault {

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { be(v, 2); }
  void u32(std::uint32_t v) { be(v, 4); }
  void u64(std::uint64_t v) { be(v, 8); }
  void raw(ByteView b) { append(out_, b); }
  void raw(std::string_view s) { append(out_, as_bytes(s)); }
  Bytes& bytes() { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}
  bool u8(std::uint8_t& v) { return be(v, 1); }
  bool u16(std::uint16_t& v) { return be(v, 2); }
  bool u32(std::uint32_t& v) { return be(v, 4); }
  bool u64(std::uint64_t& v) { return be(v, 8); }
  bool raw(std::size_t n, ByteView& out) {
    if (in_.size() - pos_ < n) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool raw(std::size_t n, Bytes& out) {
    ByteView v;
    if (!raw(n, v)) return false;
    out.assign(v.begin(), v.end());
    return true;
  }
  bool done() const { return pos_ == in_.size(); }
  std::size_t pos() const { return pos_; }

 private:
  template <class T>
  bool be(T& v, int n) {
    if (in_.size() - pos_ < static_cast<std::size_t>(n)) return false;
    std::uint64_t x = 0;
    for (int i = 0; i < n; ++i) x = (x << 8) | in_[pos_ + static_cast<std::size_t>(i)];
    pos_ += static_cast<std::size_t>(n);
    v = static_cast<T>(x);
    return true;
  }
  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace keyward::vault

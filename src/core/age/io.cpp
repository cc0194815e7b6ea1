#include "core/age/io.h"

#include <algorithm>
#include <cstring>
#include <istream>
#include <ostream>

namespace keyward::age {

Result<std::size_t> IstreamReader::read(MutableByteView out) {
  if (out.empty()) return std::size_t{0};
  in_.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()));
  const auto n = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) return fail(Errc::io, "read error on the input stream");
  if (n == 0 && !in_.eof()) return fail(Errc::io, "read error on the input stream");
  return n;
}

Status OstreamWriter::write(ByteView data) {
  out_.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out_) return fail(Errc::io, "write error on the output stream");
  return ok();
}

Status OstreamWriter::finish() {
  out_.flush();
  if (!out_) return fail(Errc::io, "write error on the output stream");
  return ok();
}

Result<std::size_t> MemoryReader::read(MutableByteView out) {
  const std::size_t n = std::min(out.size(), data_.size() - pos_);
  if (n > 0) std::memcpy(out.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

BufferedReader::BufferedReader(ByteReader& src, std::size_t capacity)
    : src_(src), buf_(std::max<std::size_t>(capacity, 64)) {}

Status BufferedReader::fill() {
  if (eof_) return ok();
  pos_ = end_ = 0;
  KW_TRY(const std::size_t n, src_.read(MutableByteView(buf_)));
  if (n == 0) eof_ = true;
  end_ = n;
  return ok();
}

Result<int> BufferedReader::peek() {
  if (pos_ == end_) KW_TRY_STATUS(fill());
  if (pos_ == end_) return -1;
  return static_cast<int>(buf_[pos_]);
}

Result<std::size_t> BufferedReader::read_full(MutableByteView out) {
  std::size_t done = 0;
  while (done < out.size()) {
    if (pos_ < end_) {
      const std::size_t n = std::min(end_ - pos_, out.size() - done);
      std::memcpy(out.data() + done, buf_.data() + pos_, n);
      pos_ += n;
      done += n;
      continue;
    }
    if (eof_) break;
    if (out.size() - done >= buf_.size()) {
      // Big request: read straight into the destination.
      KW_TRY(const std::size_t n, src_.read(out.subspan(done)));
      if (n == 0) {
        eof_ = true;
        break;
      }
      done += n;
    } else {
      KW_TRY_STATUS(fill());
    }
  }
  return done;
}

Result<bool> BufferedReader::read_line(std::string& line, std::size_t max_len, const char* what) {
  line.clear();
  for (;;) {
    if (pos_ == end_) {
      KW_TRY_STATUS(fill());
      if (pos_ == end_) return false;
    }
    const auto* start = buf_.data() + pos_;
    const auto* nl = static_cast<const std::uint8_t*>(std::memchr(start, '\n', end_ - pos_));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - start) : end_ - pos_;
    if (line.size() + take > max_len)
      return fail(Errc::malformed, std::string(what) + ": line longer than " +
                                       std::to_string(max_len) + " bytes");
    line.append(reinterpret_cast<const char*>(start), take);
    pos_ += take;
    if (nl) {
      ++pos_;
      return true;
    }
  }
}

}  // namespace keyward::age

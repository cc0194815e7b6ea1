#include "core/age/armor.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "core/base64.h"

namespace keyward::age {
namespace {

constexpr std::size_t kColumns = 64;
constexpr std::size_t kBytesPerLine = 48;
// Longest line the reader accepts before deciding: the BEGIN line plus CR.
constexpr std::size_t kMaxLine = 80;

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

tl::unexpected<Error> ArmorReader::bad(const std::string& what) {
  failed_ = true;
  return fail(Errc::malformed, "age armor: " + what);
}

Status ArmorReader::start() {
  started_ = true;
  for (;;) {
    KW_TRY(const int c, in_.peek());
    if (!is_space(c)) break;
    std::uint8_t skip = 0;
    KW_TRY_STATUS(in_.read_full(MutableByteView(&skip, 1)));
  }
  auto got = in_.read_line(line_, kMaxLine, "age armor");
  if (!got) {
    if (got.error().code != Errc::malformed) return tl::unexpected(got.error());
    return bad("the first line is not \"" + std::string(kArmorBegin) + "\"");
  }
  if (!*got) return bad("missing \"" + std::string(kArmorBegin) + "\" line");
  if (!line_.empty() && line_.back() == '\r') {
    crlf_ = true;
    line_.pop_back();
  }
  if (line_ != kArmorBegin) return bad("the first line is not \"" + std::string(kArmorBegin) + "\"");
  return ok();
}

Status ArmorReader::finish_trailing() {
  std::uint8_t buf[512];
  for (;;) {
    KW_TRY(const std::size_t n, in_.read_full(MutableByteView(buf, sizeof buf)));
    if (n == 0) break;
    if (!std::all_of(buf, buf + n, [](std::uint8_t c) { return is_space(c); }))
      return bad("data after the END line");
  }
  done_ = true;
  return ok();
}

Status ArmorReader::next_line() {
  auto got = in_.read_line(line_, kMaxLine, "age armor");
  if (!got) {
    if (got.error().code != Errc::malformed) return tl::unexpected(got.error());
    return bad("a line is longer than 64 columns");
  }
  const bool terminated = *got;
  if (terminated && crlf_) {
    if (line_.empty() || line_.back() != '\r') return bad("mixed CRLF and LF line endings");
    line_.pop_back();
  } else if (!terminated && crlf_ && !line_.empty() && line_.back() == '\r') {
    line_.pop_back();  // END line followed by CR and end of input
  }
  if (line_ == kArmorEnd) return finish_trailing();
  if (!terminated) return bad("missing \"" + std::string(kArmorEnd) + "\" line");
  if (expect_end_) return bad("data after a short line (only the last line may be short)");
  if (line_.empty()) return bad("empty line");
  if (line_.size() > kColumns) return bad("a line is longer than 64 columns");
  if (line_.size() % 4 != 0) return bad("a line is not whole base64 (lines are 64 columns)");
  auto bytes = encoding::base64_decode(line_);
  if (!bytes) return bad("invalid or non-canonical base64");
  if (line_.size() < kColumns || bytes->size() < kBytesPerLine) expect_end_ = true;
  decoded_ = std::move(*bytes);
  decoded_pos_ = 0;
  return ok();
}

Result<std::size_t> ArmorReader::read(MutableByteView out) {
  if (failed_) return fail(Errc::malformed, "age armor: invalid armor");
  if (!started_) KW_TRY_STATUS(start());
  std::size_t done = 0;
  while (done < out.size()) {
    if (decoded_pos_ < decoded_.size()) {
      const std::size_t n = std::min(decoded_.size() - decoded_pos_, out.size() - done);
      std::memcpy(out.data() + done, decoded_.data() + decoded_pos_, n);
      decoded_pos_ += n;
      done += n;
      continue;
    }
    if (done_) break;
    KW_TRY_STATUS(next_line());
  }
  return done;
}

Status ArmorWriter::begin() {
  begun_ = true;
  text_.reserve(64 * 1024 + 128);
  text_.append(kArmorBegin).push_back('\n');
  return ok();
}

Status ArmorWriter::flush_text() {
  KW_TRY_STATUS(out_.write(as_bytes(text_)));
  text_.clear();
  return ok();
}

namespace {
void encode_line(std::string& text, const std::uint8_t* data, std::size_t n) {
  char line[kColumns + 1];
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(line), data, static_cast<int>(n));
  text.append(line, static_cast<std::size_t>(len)).push_back('\n');
}
}  // namespace

Status ArmorWriter::write(ByteView data) {
  if (!begun_) KW_TRY_STATUS(begin());
  std::size_t pos = 0;
  while (pos < data.size()) {
    // A full line is emitted only once more data follows, so the last line is never empty.
    if (pending_n_ == kBytesPerLine) {
      encode_line(text_, pending_, kBytesPerLine);
      pending_n_ = 0;
      if (text_.size() >= 64 * 1024) KW_TRY_STATUS(flush_text());
    }
    const std::size_t n = std::min(kBytesPerLine - pending_n_, data.size() - pos);
    std::memcpy(pending_ + pending_n_, data.data() + pos, n);
    pending_n_ += n;
    pos += n;
  }
  return ok();
}

Status ArmorWriter::finish() {
  if (!begun_) KW_TRY_STATUS(begin());
  if (pending_n_ > 0) encode_line(text_, pending_, pending_n_);
  pending_n_ = 0;
  text_.append(kArmorEnd).push_back('\n');
  KW_TRY_STATUS(flush_text());
  return out_.finish();
}

}  // namespace keyward::age

// ASCII armor for age files (c2sp.org/age, "ASCII armor"): strict PEM (RFC 7468 §3, Figure 3)
// with the label "AGE ENCRYPTED FILE", padded standard base64 in lines of exactly 64 columns and
// a last line of 1-64 columns.
//
// Accepted on decode, and nothing else:
//   - whitespace (SP, HTAB, CR, LF) before "-----BEGIN AGE ENCRYPTED FILE-----" and after
//     "-----END AGE ENCRYPTED FILE-----";
//   - LF or CRLF line endings, the same on every line (the END line may lack its line ending);
//   - data lines of exactly 64 canonical base64 characters, except the last, which may be
//     shorter and is the only one that may carry '=' padding; no empty lines, no PEM headers,
//     no whitespace inside or around data lines, no data after a short line.
// The encoder writes LF line endings and a last line of 1-64 columns.
#pragma once

#include <string>

#include "core/age/io.h"

namespace keyward::age {

inline constexpr std::string_view kArmorBegin = "-----BEGIN AGE ENCRYPTED FILE-----";
inline constexpr std::string_view kArmorEnd = "-----END AGE ENCRYPTED FILE-----";

// Decodes armor lazily from `in`: read() returns decoded bytes; end of input is reported only
// after the END line and the trailing whitespace were checked. Errors are Errc::malformed
// ("age armor: ...") and leave failed() true.
class ArmorReader final : public ByteReader {
 public:
  explicit ArmorReader(BufferedReader& in) : in_(in) {}
  Result<std::size_t> read(MutableByteView out) override;
  bool failed() const { return failed_; }

 private:
  Status start();
  Status next_line();
  Status finish_trailing();
  tl::unexpected<Error> bad(const std::string& what);

  BufferedReader& in_;
  bool started_ = false;
  bool done_ = false;
  bool failed_ = false;
  bool crlf_ = false;
  bool expect_end_ = false;
  std::string line_;
  Bytes decoded_;
  std::size_t decoded_pos_ = 0;
};

// Encodes everything written to it as armor into `out`; finish() writes the last line, the END
// line, and finishes `out`.
class ArmorWriter final : public ByteWriter {
 public:
  explicit ArmorWriter(ByteWriter& out) : out_(out) {}
  Status write(ByteView data) override;
  Status finish() override;

 private:
  Status begin();
  Status flush_text();
  ByteWriter& out_;
  bool begun_ = false;
  std::uint8_t pending_[48]{};
  std::size_t pending_n_ = 0;
  std::string text_;
};

}  // namespace keyward::age

// dotenv documents: parse `KEY=value` text into entries whose values are secrets, and write
// entries back in one canonical form. The rules are specified in docs/dotenv.md; this header
// only summarises them.
//
// - Keys match [A-Za-z_][A-Za-z0-9_]* (at most DotenvOptions::max_key_length bytes). Keys are
//   not secret; values are, and only ever live in SecretBytes.
// - Values: unquoted (trimmed; ` #` or tab-`#` starts a comment), single-quoted (literal,
//   may span lines), double-quoted (escapes \n \r \t \" \\ \$, may span lines; any other
//   escape is an error). No interpolation: `$VAR` is kept literally.
// - Duplicate keys are an error by default.
// - The document is UTF-8 text without NUL bytes; LF or CRLF line endings (a CR not followed by
//   LF is an error); an optional UTF-8 BOM is skipped.
// - Error messages carry a line number and a reason, never any text of the document.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/secret.h"

namespace keyward {

struct DotenvEntry {
  std::string key;     // validated against the key charset; not secret
  SecretBytes value;   // never contains NUL; valid UTF-8
};

// Which readers a document must be unambiguous for.
enum class DotenvDialect {
  // keyward's own rules (docs/dotenv.md).
  keyward,
  // The plaintext of a SEALED-ENV-V1 file. The Node implementation of sealed-env reads it with
  // the npm `dotenv` package, whose rules differ from ours; this dialect rejects every construct
  // on which the two would read different values (see docs/dotenv.md, "SEALED-ENV-V1
  // differences"), and the writer refuses values it cannot represent for both.
  sealed_env_v1,
};

enum class DotenvDuplicates {
  reject,     // a key defined twice is an error (default: a later line must not silently win)
  last_wins,  // the later value replaces the earlier one; the entry keeps its first position
};

struct DotenvOptions {
  DotenvDialect dialect = DotenvDialect::keyward;
  DotenvDuplicates duplicates = DotenvDuplicates::reject;
  std::size_t max_key_length = 255;                 // bytes
  std::size_t max_document_bytes = 16 * 1024 * 1024;  // checked before parsing / after writing

  // The options for the plaintext of a SEALED-ENV-V1 file.
  static DotenvOptions sealed_env_v1() {
    DotenvOptions o;
    o.dialect = DotenvDialect::sealed_env_v1;
    return o;
  }
};

// Parses a whole document. Entries come out in document order. Errors are Errc::malformed with
// a message such as "dotenv line 7: unterminated double-quoted value (opened on line 5)".
Result<std::vector<DotenvEntry>> dotenv_parse(ByteView text, const DotenvOptions& options = {});

// Writes entries in canonical form (docs/dotenv.md, "Canonical form"): one `KEY=value` per
// entry in the given order, LF line endings, a final LF, no comments, no `export`.
// dotenv_parse(dotenv_write(e)) returns e for every accepted input. Errors are
// Errc::invalid_argument (bad or duplicate key, NUL byte, invalid UTF-8, value not
// representable in the chosen dialect, output over max_document_bytes).
Result<SecretBytes> dotenv_write(const std::vector<DotenvEntry>& entries,
                                 const DotenvOptions& options = {});

// True if `key` matches [A-Za-z_][A-Za-z0-9_]* and is at most max_length bytes.
bool dotenv_valid_key(std::string_view key, std::size_t max_length = 255) noexcept;

// Same keys, in the same order, with equal values (values compared in constant time).
bool dotenv_entries_equal(const std::vector<DotenvEntry>& a, const std::vector<DotenvEntry>& b);

}  // namespace keyward

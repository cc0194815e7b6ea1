// Small file helpers shared by every module that keeps a file of its own next to the vault
// (pin files, presence counters, slot usage, packages and tokens, .env.sealed files).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace keyward {

// Writes all of `data` to `fd`, retrying short writes and EINTR. On failure errno tells why.
bool write_all(int fd, ByteView data) noexcept;

// Replaces `path` atomically: the data goes to a new temporary file in the same directory
// (created with `mode` less the umask, never following an existing name), is fsync'ed, renamed
// over `path`, and the directory is fsync'ed so the rename survives a power loss. Readers see the
// old file or the new one, never a mix or an empty file, whatever fails or kills the process at
// any step; on a failure the temporary file is removed and `path` is untouched (a killed process
// leaves its temporary file `<path>.tmp-XXXXXX` behind, and `path` as it was; the next write of
// `path` removes it, see remove_stale_temporaries). `sync_dir` false
// leaves the directory's fsync to the caller (sync_parent_directory): until then a power loss may
// bring back the old file, never an empty or partial one.
Status write_file_atomic(const std::string& path, ByteView data, mode_t mode, bool sync_dir = true);

// Removes the temporary files `<path>.tmp-XXXXXX` that killed writers of `path` left behind:
// regular files of this user, untouched for a minute, whose lock no writer holds (a writer holds
// it on its temporary file until it renames it). Best effort: returns how many were removed.
int remove_stale_temporaries(const std::string& path);

// fsync of the directory holding `path` (what makes a rename or a new name in it durable).
// Errc::io "cannot sync DIR: <reason>".
Status sync_parent_directory(const std::string& path);

// The whole content of a small text file (a /proc entry, a counter file); empty when it is
// missing or unreadable.
std::string read_file_or_empty(const std::string& path);

}  // namespace keyward

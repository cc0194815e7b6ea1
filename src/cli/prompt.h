// Terminal input for secrets: a no-echo prompt on /dev/tty, and whole-stream reads into locked
// memory. Secrets never come from argv.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/secret.h"

namespace keyward::cli {

// True if there is a controlling terminal to prompt on.
bool have_tty();
// Prompts on /dev/tty with echo off; the line (without its newline) in locked memory.
// cancelled on EOF / Ctrl-D; unavailable if there is no terminal.
Result<SecretBytes> prompt_secret(std::string_view prompt);
// Asks twice; invalid_argument if the two differ or the answer is empty.
// `check`, when given, may refuse the first entry before it is repeated (its reason is shown and
// the entry counts as one of the 3 tries).
using NewSecretCheck = std::function<std::optional<std::string>(const SecretBytes&)>;
Result<SecretBytes> prompt_new_secret(std::string_view what, const NewSecretCheck& check = {});
// Asks a yes/no question on /dev/tty (echo on); false on anything but y/yes, or no terminal.
bool prompt_yes_no(std::string_view question);
// Reads a whole file descriptor (stdin: 0) into locked memory, at most max bytes.
Result<SecretBytes> read_fd_secret(int fd, std::size_t max = 1u << 20);
// Reads a file (e.g. --passphrase-file) into locked memory; strips one trailing "\n"/"\r\n".
Result<SecretBytes> read_secret_file(const std::string& path);
// Drops one trailing "\n" or "\r\n" (a shell's `echo` adds it).
SecretBytes strip_newline(SecretBytes s);

}  // namespace keyward::cli

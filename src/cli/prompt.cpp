#include "cli/prompt.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/fd.h"

namespace keyward::cli {

bool have_tty() {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

SecretBytes strip_newline(SecretBytes s) {
  std::size_t n = s.size();
  if (n > 0 && s.data()[n - 1] == '\n') --n;
  if (n > 0 && n < s.size() && s.data()[n - 1] == '\r') --n;
  if (n == s.size()) return s;
  return s.prefix(n);
}

Result<SecretBytes> read_fd_secret(int fd, std::size_t max) {
  SecretBytes buf(max + 1);
  std::size_t len = 0;
  while (len <= max) {
    ssize_t n = ::read(fd, buf.data() + len, buf.size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, std::string("cannot read input: ") + std::strerror(errno));
    if (n == 0) break;
    len += static_cast<std::size_t>(n);
  }
  if (len > max) {
    return fail(Errc::invalid_argument, "input is larger than " + std::to_string(max) + " bytes");
  }
  return buf.prefix(len);
}

Result<SecretBytes> read_secret_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                "cannot read " + path + ": " + std::strerror(errno));
  }
  KW_TRY(auto s, read_fd_secret(fd.get(), 64 * 1024));
  return strip_newline(std::move(s));
}

Result<SecretBytes> prompt_secret(std::string_view prompt) {
  Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (tty.get() < 0) {
    return fail(Errc::unavailable, "no terminal to prompt on; use the documented file or "
                                   "environment variable instead");
  }
  (void)!::write(tty.get(), prompt.data(), prompt.size());
  termios old {};
  bool restore = ::tcgetattr(tty.get(), &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= static_cast<tcflag_t>(~(ECHO | ECHONL));
    quiet.c_lflag |= ICANON;
    ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
  }
  SecretBytes buf(4096);
  std::size_t len = 0;
  bool got_newline = false;
  while (len < buf.size()) {
    char c = 0;
    ssize_t n = ::read(tty.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c == '\n') {
      got_newline = true;
      break;
    }
    buf.data()[len++] = static_cast<std::uint8_t>(c);
  }
  if (restore) ::tcsetattr(tty.get(), TCSAFLUSH, &old);
  (void)!::write(tty.get(), "\n", 1);
  if (!got_newline && len == 0) return fail(Errc::cancelled, "cancelled at the prompt");
  if (len > 0 && buf.data()[len - 1] == '\r') --len;
  return buf.prefix(len);
}

bool prompt_yes_no(std::string_view question) {
  Fd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
  if (tty.get() < 0) return false;
  (void)!::write(tty.get(), question.data(), question.size());
  (void)!::write(tty.get(), " [y/N] ", 7);
  std::string answer;
  char c = 0;
  while (answer.size() < 16) {
    ssize_t n = ::read(tty.get(), &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    answer += c;
  }
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

Result<SecretBytes> prompt_new_secret(std::string_view what, const NewSecretCheck& check) {
  // A mistyped repetition asks again (3 tries in all) instead of aborting the command.
  constexpr int kTries = 3;
  auto say = [](const std::string& line) {
    Fd tty(::open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY));
    if (tty.get() >= 0) (void)!::write(tty.get(), line.data(), line.size());
  };
  for (int attempt = 1;; ++attempt) {
    KW_TRY(auto first, prompt_secret("New " + std::string(what) + ": "));
    if (first.empty()) return fail(Errc::invalid_argument, "the " + std::string(what) + " is empty");
    if (check) {
      if (auto refused = check(first)) {
        if (attempt == kTries) {
          return fail(Errc::policy, "the new " + std::string(what) + " was refused " +
                                        std::to_string(kTries) + " times (" + *refused +
                                        "); nothing was changed");
        }
        say("That " + std::string(what) + " is refused: " + *refused + ". Try again (" +
            std::to_string(kTries - attempt) + " more).\n");
        continue;
      }
    }
    KW_TRY(auto second, prompt_secret("Repeat the " + std::string(what) + ": "));
    if (first.equals(second)) return first;
    if (attempt == kTries) {
      return fail(Errc::invalid_argument, "the two " + std::string(what) + "s differed " +
                                              std::to_string(kTries) + " times; nothing was changed");
    }
    say("The two " + std::string(what) + "s differ; try again (" +
        std::to_string(kTries - attempt) + " more).\n");
  }
}

}  // namespace keyward::cli

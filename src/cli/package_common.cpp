#include "cli/package_common.h"

#include <fcntl.h>
#include <qrencode.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "cli/prompt.h"
#include "core/age/keys.h"
#include "core/file_io.h"
#include "core/p256.h"
#include "core/pubkey.h"
#include "cli/devices.h"

namespace keyward::cli::pkg {
Status add_recipient_arg(Recipients& r, const std::string& arg) {
  std::vector<std::unique_ptr<age::Recipient>> parsed;
  if (arg.rfind("age1", 0) == 0 || arg.rfind("ssh-", 0) == 0) {
    KW_TRY(auto one, age::parse_recipient(arg));
    parsed.push_back(std::move(one));
  } else {
    KW_TRY(auto text, read_small_file(arg, 1u << 20));
    auto many = age::parse_recipients_file(as_chars(text));
    if (!many) {
      return fail(many.error().code, "recipient file " + arg + ": " + many.error().message);
    }
    if (many->empty()) return fail(Errc::invalid_argument, "recipient file " + arg + " holds no recipient");
    parsed = std::move(*many);
  }
  for (auto& p : parsed) {
    if (auto* card = dynamic_cast<age::PivP256Recipient*>(p.get())) r.cards.push_back(card);
    r.all.push_back(std::move(p));
  }
  return ok();
}

Result<std::unique_ptr<hw::PivIdentities>> open_card(const Context& ctx, std::uint32_t serial,
                                                      const PivUnlockOptions& pin,
                                                      const std::string& purpose) {
  configure_devices(ctx, pin);
  return hw::piv_identities(piv_session(), serial, purpose);
}

Result<std::uint64_t> parse_duration(const std::string& text) {
  auto bad = [&] {
    return fail(Errc::invalid_argument, "'" + text + "' is not a duration (e.g. 24h, 90m, 3600s, 2d)");
  };
  if (text.empty()) return bad();
  std::uint64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (n > 1'000'000'000) return bad();
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == 0) return bad();
  std::string unit = text.substr(i);
  std::uint64_t mul = 0;
  if (unit.empty() || unit == "s") mul = 1;
  else if (unit == "m") mul = 60;
  else if (unit == "h") mul = 3600;
  else if (unit == "d") mul = 86400;
  else return bad();
  return n * mul;
}

std::string describe_duration(std::uint64_t s) {
  // Exact whole units as they are typed (24h, 7d, 90m); otherwise the two largest units a
  // person reads at a glance ("23h 59m", not "86393s").
  if (s % 86400 == 0 && s >= 2 * 86400) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  if (s < 60) return std::to_string(s) + "s";
  const std::uint64_t d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  if (d > 0) return std::to_string(d) + "d " + std::to_string(h) + "h";
  if (h > 0) return std::to_string(h) + "h " + std::to_string(m) + "m";
  return std::to_string(m) + "m " + std::to_string(sec) + "s";
}

Result<Bytes> read_small_file(const std::string& path, std::size_t max) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno == ENOENT ? Errc::not_found : Errc::io,
                "cannot read " + path + ": " + std::strerror(errno));
  }
  Bytes out;
  std::uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return fail(Errc::io, "cannot read " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max) {
      ::close(fd);
      return fail(Errc::invalid_argument, path + " is larger than " + std::to_string(max) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

Status write_private_file(const std::string& path, ByteView data, bool replace) {
  struct stat st {};
  if (!replace && ::stat(path.c_str(), &st) == 0) {
    return fail(Errc::already_exists, path + " exists; remove it or choose another path");
  }
  return write_file_atomic(path, data, 0600);
}

Status print_qr(const std::string& text) {
  QRcode* qr = QRcode_encodeString8bit(text.c_str(), 0, QR_ECLEVEL_L);
  if (qr == nullptr) {
    return fail(Errc::invalid_argument, "too large for a QR code (" + std::to_string(text.size()) +
                                            " bytes; a QR code holds at most about 2900): move "
                                            "the file itself");
  }
  const int w = qr->width;
  const int quiet = 2;
  auto dark = [&](int x, int y) {
    if (x < 0 || y < 0 || x >= w || y >= w) return false;
    return (qr->data[y * w + x] & 1) != 0;
  };
  // Light modules are printed as blocks (readable on dark terminals, as `qrencode -t UTF8`).
  std::string out;
  for (int y = -quiet; y < w + quiet; y += 2) {
    for (int x = -quiet; x < w + quiet; ++x) {
      bool top = !dark(x, y), bottom = !dark(x, y + 1);
      if (y + 1 >= w + quiet) bottom = false;
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += "\n";
  }
  out += "\n";  // two codes printed one after the other must not touch (a camera sees one blob)
  QRcode_free(qr);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return ok();
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(std::time(nullptr));
}

}  // namespace keyward::cli::pkg

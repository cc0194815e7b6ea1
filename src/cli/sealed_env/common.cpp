#include "cli/sealed_env/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include "core/random.h"
#include "core/file_io.h"
#include "core/sealedenv/seal.h"
#include "net/redis_replay_cache.h"

namespace keyward::cli::sealed_env {

sealedenv::EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(Errc::not_found, "no such file: " + path);
    return fail(Errc::io, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return fail(Errc::io, "cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > sealedenv::kMaxFileBytes) {
      ::close(fd);
      return fail(Errc::malformed, path + " is too large");
    }
  }
  ::close(fd);
  return out;
}

Status write_text_atomic(const std::string& path, std::string_view text, bool secret_mode) {
  return write_file_atomic(path, as_bytes(text), secret_mode ? 0600 : 0644);
}

std::string sibling_config_path(const std::string& sealed_path) {
  auto dir = std::filesystem::path(sealed_path).parent_path();
  return (dir / std::string(sealedenv::kConfigFileName)).string();
}

Result<std::optional<sealedenv::Config>> load_config(const std::string& sealed_path,
                                                     sealedenv::Mode vault_mode) {
  std::string p = sibling_config_path(sealed_path);
  if (!file_exists(p)) return std::optional<sealedenv::Config>{};
  KW_TRY(std::string text, read_text(p));
  KW_TRY(sealedenv::Config c, sealedenv::parse_config(text, vault_mode));
  return std::optional<sealedenv::Config>(std::move(c));
}

void warn_once(const std::vector<std::string>& warnings) {
  static std::set<std::string> shown;
  for (const auto& w : warnings) {
    auto key = w.substr(0, w.find(':'));
    if (!shown.insert(key).second) continue;
    std::fprintf(stderr, "keyward: warning: %s\n", w.c_str());
  }
}

Result<Decrypted> decrypt_file(const std::string& path) {
  KW_TRY(std::string text, read_text(path));
  Decrypted d;
  KW_TRY(d.file, sealedenv::parse_for_decrypt(text));
  d.text = text;
  KW_TRY(auto cfg, load_config(path, d.file.mode));
  KW_TRY(sealedenv::Credentials creds, sealedenv::gather_credentials(process_env()));
  sealedenv::OpenContext octx;
  octx.now = now_seconds();
  octx.replay_factory = net::open_replay_cache;
  octx.config = cfg ? &*cfg : nullptr;
  if (const char* id = std::getenv("SEALED_ENV_DEPLOY_ID")) octx.deploy_id = std::string(id);
  auto opened = sealedenv::open_with_credentials(d.file, creds, octx);
  warn_once(creds.warnings);
  if (!opened) return tl::unexpected(opened.error());
  warn_once(opened->warnings);
  KW_TRY(d.entries, dotenv_parse(opened->plaintext, DotenvOptions::sealed_env_v1()));
  d.plaintext = std::move(opened->plaintext);
  d.creds = std::move(creds);
  return d;
}

Status reseal_in_place(const std::string& path, const Decrypted& d, ByteView plaintext) {
  const auto& c = d.creds;
  const sealedenv::Mode mode = d.file.mode;
  if (!c.tier_a || !c.master)
    return fail(Errc::auth_failed,
                "changing .env.sealed needs its Tier A token (SEALED_ENV_TOKEN of mode b, t or "
                "e), not a deploy or unseal token");
  if (mode != sealedenv::Mode::basic && !c.signing)
    return fail(Errc::auth_failed, "changing a " + std::string(sealedenv::mode_name(mode)) +
                                       " file needs the signing key (a token of mode t or e)");
  if (mode == sealedenv::Mode::enterprise && !c.totp)
    return fail(Errc::auth_failed,
                "changing an enterprise file needs the TOTP secret (a token of mode e)");
  sealedenv::SealOptions so;
  so.mode = mode;
  so.kdf = d.file.kdf;
  so.enforce_minimums = false;  // keep the file's parameters
  so.challenge_bind = d.file.challenge_bind.value_or(false);
  so.created = d.file.created;
  so.rotated = d.file.rotated;
  so.fixed_salt = d.file.salt;  // fresh nonce, same salt: the vault id does not change
  sealedenv::SealKeys keys{c.master->view(), {}, {}};
  if (c.signing) keys.signing = c.signing->view();
  if (c.totp) keys.totp = c.totp->view();
  KW_TRY(sealedenv::SealedFile f, sealedenv::seal(plaintext, keys, so));
  if (f.nonce == d.file.nonce) return fail(Errc::crypto, "nonce repeated; refusing to write");
  KW_TRY(std::string text, sealedenv::write_file(f));
  // The file must still be the one that was decrypted (an edit can take minutes).
  KW_TRY(std::string now_text, read_text(path));
  if (now_text != d.text)
    return fail(Errc::integrity, path + " changed while it was being edited; nothing written");
  struct stat st{};
  mode_t perm = 0644;
  if (::stat(path.c_str(), &st) == 0) perm = st.st_mode & 07777;
  return write_file_atomic(path, as_bytes(text), perm);
}

Result<std::string> read_code_line(const Context& ctx, const char* prompt) {
  if (::isatty(STDIN_FILENO) && !ctx.quiet) std::fprintf(stderr, "%s", prompt);
  std::string line;
  if (!std::getline(std::cin, line)) return fail(Errc::cancelled, "no TOTP code given on stdin");
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace keyward::cli::sealed_env

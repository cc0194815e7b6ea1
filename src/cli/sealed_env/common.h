// Shared plumbing of the `keyward sealed-env ...` family: file and config loading, credentials
// from the environment (never argv), warnings printed once, atomic writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "core/dotenv.h"
#include "core/sealedenv/config.h"
#include "core/sealedenv/credentials.h"
#include "core/sealedenv/file_format.h"

namespace keyward::cli::sealed_env {

inline constexpr const char* kDefaultFile = ".env.sealed";

// Each subcommand file adds itself to the `sealed-env` parent.
void add_init(CLI::App& parent, Context& ctx);
void add_encrypt(CLI::App& parent, Context& ctx);
void add_decrypt(CLI::App& parent, Context& ctx);
void add_exec(CLI::App& parent, Context& ctx);
void add_get(CLI::App& parent, Context& ctx);
void add_diff(CLI::App& parent, Context& ctx);
void add_rotate(CLI::App& parent, Context& ctx);
void add_token(CLI::App& parent, Context& ctx);
void add_mint_deploy(CLI::App& parent, Context& ctx);
void add_doctor(CLI::App& parent, Context& ctx);
void add_adopt(CLI::App& parent, Context& ctx);
void add_set(CLI::App& parent, Context& ctx);
void add_rm(CLI::App& parent, Context& ctx);
void add_edit(CLI::App& parent, Context& ctx);

// The keyward-vault coordinate of an adopted Tier A token:
// sealed-env/<hex SHA-256 vault id (spec §12.4)>/CREDENTIAL_TOKEN.
std::string adopted_coordinate(const sealedenv::SealedFile& f);

sealedenv::EnvLookup process_env();
std::uint64_t now_seconds();

Result<std::string> read_text(const std::string& path);
// Writes via a temporary file and rename; mode 0600 for secrets, 0644 otherwise.
Status write_text_atomic(const std::string& path, std::string_view text, bool secret_mode);
bool file_exists(const std::string& path);
std::string sibling_config_path(const std::string& sealed_path);

// Reads .sealed-env.config.json next to the file, if present.
Result<std::optional<sealedenv::Config>> load_config(const std::string& sealed_path,
                                                     sealedenv::Mode vault_mode);

// Prints each warning on stderr once per process (even with -q: they are security warnings).
void warn_once(const std::vector<std::string>& warnings);

// Parse (opaque on damage) + credentials + open: the decryption path shared by decrypt, exec,
// get, diff and rotate.
struct Decrypted {
  sealedenv::SealedFile file;
  std::vector<DotenvEntry> entries;
  SecretBytes plaintext;
  std::string text;                  // the file as read (to detect a concurrent change)
  sealedenv::Credentials creds;      // what opened it
};
Result<Decrypted> decrypt_file(const std::string& path);

// set / rm / edit: re-seals `plaintext` (already validated as a SEALED-ENV-V1 dotenv document)
// over `path` in place: same mode, KDF and parameters, salt (so the vault id and outstanding
// deploy tokens stay valid), CHALLENGE-BIND, CREATED and ROTATED; a fresh nonce; the Node HMAC
// form. Needs the Tier A keys of the file's mode (not a deploy token). Refuses when the file
// changed since `d` was read. Written via a temporary file and rename; no plaintext on disk.
Status reseal_in_place(const std::string& path, const Decrypted& d, ByteView plaintext);

// Reads one line (a TOTP code) from the terminal or stdin; never from argv.
Result<std::string> read_code_line(const Context& ctx, const char* prompt);

// Runs `body`, reports its error and sets ctx.exit_code.
template <class F>
void run(Context& ctx, F&& body) {
  Status s = body();
  if (!s) ctx.exit_code = report(s.error());
}

}  // namespace keyward::cli::sealed_env

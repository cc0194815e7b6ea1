#include "core/vault/pin.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "core/hash.h"
#include "core/hex.h"
#include "core/fd.h"
#include "core/file_io.h"
#include "core/locked_file.h"
#include "core/xdg.h"

namespace keyward::vault {
Result<std::string> pin_directory(const std::string& state_dir) {
  if (!state_dir.empty()) return state_dir;
  return xdg_state_dir("pins");
}

PinStore::PinStore(std::string dir, std::string vault_path)
    : dir_(std::move(dir)), vault_path_(std::move(vault_path)) {
  auto d = hash::sha256(as_bytes(vault_path_));
  file_ = dir_ + "/" + encoding::hex_encode(ByteView(d).subspan(0, 16));
}

Result<std::optional<Pin>> PinStore::load() const {
  // "No pin yet" is only a file that does not exist. A pin that exists but cannot be read fails
  // closed: accepting the vault then would let a rolled-back vault through and lower the pin.
  Fd fd(::open(file_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<Pin>{};
    return fail(Errc::integrity,
                "cannot read this machine's pin of the vault at " + vault_path_ + " (" + file_ +
                    "): " + std::strerror(errno) + "; the rollback check cannot run without it. "
                    "Fix its permissions (it should be a regular file of mode 0600 owned by you), "
                    "or reset it deliberately with `keyward vault forget`");
  }
  std::string text;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(Errc::integrity, "cannot read the pin file " + file_ + ": " +
                                       std::strerror(errno) +
                                       "; the rollback check cannot run without it (`keyward "
                                       "vault forget` resets it deliberately)");
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 8192) break;  // a pin is ~200 bytes; anything larger is damaged
  }
  std::istringstream in(text);
  std::string magic, version, key, path, vid_hex, kid_hex;
  std::uint64_t rev = 0;
  auto damaged = [&] {
    return fail(Errc::integrity, "the pin file " + file_ +
                                     " is damaged; `keyward vault forget` resets it");
  };
  std::string line;
  std::getline(in, line);
  if (line != "keyward-pin 1") return damaged();
  std::getline(in, line);  // path (informational)
  in >> key >> vid_hex;
  if (key != "vault-id") return damaged();
  in >> key >> rev;
  if (key != "revision" || !in) return damaged();
  in >> key >> kid_hex;
  if (key != "key-id") return damaged();
  auto vid = encoding::hex_decode(vid_hex);
  auto kid = encoding::hex_decode(kid_hex);
  if (!vid || vid->size() != kVaultIdSize || !kid || kid->size() != 32) return damaged();
  Pin p;
  p.vault_id = to_array<kVaultIdSize>(*vid);
  p.revision = rev;
  p.key_id = to_array<32>(*kid);
  return std::optional<Pin>(p);
}

Status PinStore::raise(const Pin& pin) const {
  // Fast path (every read): nothing to raise.
  if (auto seen = load(); seen && *seen && (*seen)->vault_id == pin.vault_id &&
                          (*seen)->revision == pin.revision && (*seen)->key_id == pin.key_id) {
    return ok();
  }
  KW_TRY_STATUS(make_private_dirs(dir_));
  // Held for the whole read-raise-write, so a raise never lowers what another process pinned.
  KW_TRY(auto lock, LockedFile::lock_file(file_ + ".lock"));
  KW_TRY(auto current, load());
  Pin next = pin;
  if (current && current->vault_id == pin.vault_id && current->revision > pin.revision) {
    next.revision = current->revision;
    next.key_id = current->key_id;  // a newer view already pinned by another process
  }
  if (current && current->vault_id == next.vault_id && current->revision == next.revision &&
      current->key_id == next.key_id) {
    return ok();
  }
  std::ostringstream os;
  os << "keyward-pin 1\npath " << vault_path_ << "\nvault-id " << encoding::hex_encode(next.vault_id)
     << "\nrevision " << next.revision << "\nkey-id " << encoding::hex_encode(next.key_id) << "\n";
  KW_TRY_STATUS(write_file_atomic(file_, as_bytes(os.str()), 0600));
  return ok();
}

Result<bool> PinStore::forget() const {
  if (::unlink(file_.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return fail(Errc::io, "cannot remove " + file_ + ": " + std::strerror(errno));
}

}  // namespace keyward::vault

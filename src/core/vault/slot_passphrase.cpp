// Passphrase slot (type 1): p is sealed under Argon2id(passphrase, salt, t, m, p).
// Params: u32 t | u32 m_kib | u32 lanes | salt(16) | sealed p (72).
#include "core/kdf.h"
#include "core/pubkey.h"
#include "core/random.h"
#include "core/vault/codec.h"
#include "core/vault/slot.h"

namespace keyward::vault {
namespace {

constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kPrefixSize = 12 + kSaltSize;
constexpr std::size_t kSealedSize = 72;
constexpr std::uint32_t kMaxT = kMaxArgonTime, kMaxLanes = kMaxArgonLanes,
                        kMaxMemoryKib = kMaxArgonMemoryKib;

// The slot's parameters are read before anything about the slot can be authenticated (the KDF
// is what yields the key): whoever can write the file chooses them. Above keyward's own maxima
// they are refused before any work, with a message that says so.
Status check_stored_params(const PassphraseParams& p) {
  if (auto c = check_passphrase_params(p); !c) {
    return fail(Errc::malformed,
                "a passphrase slot asks for Argon2id t=" + std::to_string(p.t) + ", " +
                    std::to_string(p.m_kib) + " KiB, " + std::to_string(p.p) +
                    " lanes, outside what keyward ever writes (t <= " + std::to_string(kMaxT) +
                    ", 8 MiB..1 GiB, <= " + std::to_string(kMaxLanes) +
                    " lanes): refusing to run it (the slot data is not authenticated before "
                    "its KDF; the vault file was damaged or tampered with)");
  }
  return ok();
}

struct Params {
  PassphraseParams kdf;
  ByteView salt, sealed;
};

std::optional<Params> decode(ByteView raw) {
  if (raw.size() != kPrefixSize + kSealedSize) return std::nullopt;
  Reader r(raw);
  Params p;
  if (!r.u32(p.kdf.t) || !r.u32(p.kdf.m_kib) || !r.u32(p.kdf.p) || !r.raw(kSaltSize, p.salt) ||
      !r.raw(kSealedSize, p.sealed) || !r.done()) {
    return std::nullopt;
  }
  return p;
}

Result<SecretBytes> stretch(const SecretBytes& passphrase, ByteView salt,
                            const PassphraseParams& p) {
  kdf::Argon2Params a;
  a.t_cost = p.t;
  a.m_cost_kib = p.m_kib;
  a.parallelism = p.p;
  return kdf::argon2id(passphrase, salt, a, kKeySize);
}

class PassphraseHandler final : public SlotHandler {
 public:
  SlotType type() const override { return SlotType::passphrase; }
  bool presence_capable(const Slot&) const override { return false; }

  Status validate(const Slot& slot) const override {
    auto p = decode(slot.params);
    if (!p || slot.flags != 0 || !slot.wrapped_high.empty()) return opaque();
    return check_stored_params(p->kdf);
  }

  Result<SecretBytes> unlock(const Slot& slot, const VaultId& vid,
                             const Credential& cred) const override {
    if (cred.type != SlotType::passphrase) return fail(Errc::auth_failed, "credential rejected");
    auto p = decode(slot.params);
    if (!p) return opaque();
    KW_TRY_STATUS(check_stored_params(p->kdf));
    KW_TRY(auto kek, stretch(cred.secret, p->salt, p->kdf));
    return open_slot_secret(kek, p->sealed, slot.type, vid, slot.public_key,
                            ByteView(slot.params).subspan(0, kPrefixSize));
  }
};

}  // namespace

const SlotHandler& passphrase_slot_handler() {
  static const PassphraseHandler h;
  return h;
}

Status check_passphrase_params(const PassphraseParams& p) {
  if (p.t < 1 || p.t > kMaxT) {
    return fail(Errc::invalid_argument, "Argon2id time cost must be 1.." + std::to_string(kMaxT));
  }
  if (p.m_kib < kMinArgonMemoryKib || p.m_kib > kMaxMemoryKib) {
    return fail(Errc::invalid_argument,
                "Argon2id memory must be between 8 MiB (8192 KiB) and 1 GiB; got " +
                    std::to_string(p.m_kib) + " KiB");
  }
  if (p.p < 1 || p.p > kMaxLanes) {
    return fail(Errc::invalid_argument, "Argon2id parallelism must be 1.." + std::to_string(kMaxLanes));
  }
  return ok();
}

Result<Slot> new_passphrase_slot(std::string label, const SecretBytes& passphrase,
                                 const PassphraseParams& params, const VaultId& vid) {
  KW_TRY_STATUS(check_passphrase_params(params));
  if (passphrase.empty()) return fail(Errc::invalid_argument, "the passphrase is empty");
  auto kp = pubkey::x25519_generate();
  Slot s;
  s.type = SlotType::passphrase;
  s.label = std::move(label);
  s.public_key = kp.public_key;
  Writer w;
  w.u32(params.t);
  w.u32(params.m_kib);
  w.u32(params.p);
  Bytes salt = random_bytes(kSaltSize);
  w.raw(salt);
  KW_TRY(auto kek, stretch(passphrase, salt, params));
  KW_TRY(auto sealed,
         seal_slot_secret(kek, kp.secret, s.type, vid, s.public_key, w.bytes()));
  w.raw(sealed);
  s.params = w.take();
  return s;
}

}  // namespace keyward::vault

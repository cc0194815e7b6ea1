#include "hw/piv_card.h"

#include <winscard.h>
#include <ykpiv.h>

#include <cstring>
#include <functional>

#include "core/random.h"
#include "hw/dynlib.h"

namespace keyward::hw {
namespace {

// libykpiv and libpcsclite, loaded on first use (hw/dynlib.h): every function keyward calls,
// resolved at once.
#define KW_YKPIV_FUNCTIONS(X) \
  X(ykpiv_attest) \
  X(ykpiv_authenticate) \
  X(ykpiv_change_pin) \
  X(ykpiv_change_puk) \
  X(ykpiv_connect) \
  X(ykpiv_decipher_data) \
  X(ykpiv_done) \
  X(ykpiv_fetch_object) \
  X(ykpiv_get_metadata) \
  X(ykpiv_get_pin_retries) \
  X(ykpiv_get_serial) \
  X(ykpiv_get_version) \
  X(ykpiv_init) \
  X(ykpiv_strerror) \
  X(ykpiv_util_free) \
  X(ykpiv_util_generate_key) \
  X(ykpiv_util_get_protected_mgm) \
  X(ykpiv_util_parse_metadata) \
  X(ykpiv_util_read_cert) \
  X(ykpiv_util_set_protected_mgm) \
  X(ykpiv_verify)
#define KW_PCSC_FUNCTIONS(X) \
  X(SCardEstablishContext) \
  X(SCardListReaders) \
  X(SCardReleaseContext) \
  X(pcsc_stringify_error)

struct PivLib {
#define KW_DECLARE(f) decltype(&::f) f = nullptr;
  KW_YKPIV_FUNCTIONS(KW_DECLARE)
  KW_PCSC_FUNCTIONS(KW_DECLARE)
#undef KW_DECLARE
};

constexpr const char* kPcscSoname = "libpcsclite.so.1";
constexpr const char* kYkpivSoname = "libykpiv.so.2";
const PivLib* g_lib = nullptr;

Result<const PivLib*> load_library() {
  static const Result<const PivLib*> loaded = []() -> Result<const PivLib*> {
    KW_TRY(void* pcsc, detail::open_library(kPcscSoname, "libpcsclite (PC/SC smart cards)", "libpcsclite1"));
    KW_TRY(void* ykpiv, detail::open_library(kYkpivSoname, "libykpiv (YubiKey PIV)", "libykpiv2"));
    static PivLib table;
#define KW_RESOLVE_YKPIV(f) KW_TRY_STATUS(detail::resolve(table.f, ykpiv, kYkpivSoname, #f));
#define KW_RESOLVE_PCSC(f) KW_TRY_STATUS(detail::resolve(table.f, pcsc, kPcscSoname, #f));
    KW_YKPIV_FUNCTIONS(KW_RESOLVE_YKPIV)
    KW_PCSC_FUNCTIONS(KW_RESOLVE_PCSC)
#undef KW_RESOLVE_YKPIV
#undef KW_RESOLVE_PCSC
    return &table;
  }();
  if (loaded) g_lib = *loaded;
  return loaded;
}

// Only reached after load_library() succeeded (pcsc_readers, PivCard::connect).
const PivLib& lib() { return *g_lib; }

ykpiv_state* st(void* p) { return static_cast<ykpiv_state*>(p); }

constexpr const char* kPcscdHint =
    "pcscd is not running or not reachable (start it: `sudo systemctl start pcscd.socket`)";

}  // namespace

Result<std::vector<std::string>> pcsc_readers() {
  KW_TRY_STATUS(load_library());
  SCARDCONTEXT ctx = 0;
  LONG rc = lib().SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
  if (rc != SCARD_S_SUCCESS) return fail(Errc::unavailable, kPcscdHint);
  DWORD len = 0;
  rc = lib().SCardListReaders(ctx, nullptr, nullptr, &len);
  std::vector<std::string> out;
  if (rc == SCARD_S_SUCCESS && len > 0) {
    std::string buf(len, '\0');
    rc = lib().SCardListReaders(ctx, nullptr, buf.data(), &len);
    if (rc == SCARD_S_SUCCESS) {
      for (const char* p = buf.c_str(); *p != '\0'; p += std::strlen(p) + 1) out.emplace_back(p);
    }
  }
  lib().SCardReleaseContext(ctx);
  if (rc == SCARD_E_NO_SERVICE || rc == SCARD_E_SERVICE_STOPPED) {
    return fail(Errc::unavailable, kPcscdHint);
  }
  if (rc != SCARD_S_SUCCESS && rc != SCARD_E_NO_READERS_AVAILABLE) {
    return fail(Errc::device, std::string("listing smart-card readers failed: ") +
                                  lib().pcsc_stringify_error(rc));
  }
  return out;
}

PivCard::~PivCard() {
  if (state_ != nullptr) lib().ykpiv_done(st(state_));
}

bool PivCard::simulated() const { return reader_.rfind("Virtual PCD", 0) == 0; }

std::string PivCard::name() const {
  return "YubiKey " + std::to_string(serial_) + (simulated() ? " (simulated)" : "");
}

Error PivCard::translate(int rc_int, const std::string& what) const {
  auto rc = static_cast<ykpiv_rc>(rc_int);
  std::string dev = name() + " in '" + reader_ + "'";
  switch (rc) {
    case YKPIV_PCSC_ERROR:
      return Error{Errc::device, dev + " was removed or stopped answering during " + what};
    case YKPIV_PIN_LOCKED:
      return Error{Errc::pin_blocked, "the PIV PIN of " + name() +
                                          " is blocked; unblock it with the PUK "
                                          "(`yubico-piv-tool -a unblock-pin`)"};
    case YKPIV_KEY_ERROR:
      return Error{Errc::not_found, dev + " has no key for " + what};
    default:
      return Error{Errc::device, what + " failed on " + dev + ": " + lib().ykpiv_strerror(rc)};
  }
}

Result<std::unique_ptr<PivCard>> PivCard::connect(const std::string& reader) {
  KW_TRY_STATUS(load_library());
  std::unique_ptr<PivCard> card(new PivCard());
  card->reader_ = reader;
  ykpiv_state* s = nullptr;
  if (lib().ykpiv_init(&s, 0) != YKPIV_OK) return fail(Errc::crypto, "ykpiv_init failed");
  card->state_ = s;
  std::string target = "@" + reader;
  if (lib().ykpiv_connect(s, target.c_str()) != YKPIV_OK) {
    return fail(Errc::device, "no PIV card answers in reader '" + reader + "'");
  }
  if (lib().ykpiv_get_serial(s, &card->serial_) != YKPIV_OK) {
    return fail(Errc::device, "the card in '" + reader + "' does not report a serial number");
  }
  char version[32] = {};
  if (lib().ykpiv_get_version(s, version, sizeof version) == YKPIV_OK) card->firmware_ = version;
  return card;
}

Result<int> PivCard::pin_retries() {
  // Firmware 5.3+: GET METADATA of the PIN (tag 06: total, remaining) in one APDU, without
  // un-verifying the PIN; older cards: libykpiv's re-select + empty VERIFY.
  unsigned char buf[64];
  std::size_t len = sizeof buf;
  if (lib().ykpiv_get_metadata(st(state_), 0x80, buf, &len) == YKPIV_OK) {
    for (std::size_t i = 0; i + 2 <= len;) {
      std::size_t l = buf[i + 1];
      if (l >= 0x80 || i + 2 + l > len) break;
      if (buf[i] == 0x06 && l == 2) return static_cast<int>(buf[i + 3]);
      i += 2 + l;
    }
  }
  int tries = 0;
  ykpiv_rc rc = lib().ykpiv_get_pin_retries(st(state_), &tries);
  if (rc == YKPIV_PIN_LOCKED) return 0;
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "reading the PIN retry counter"));
  return tries;
}

Status PivCard::verify_pin(const SecretBytes& pin) {
  std::string text(pin.reveal_string());
  int tries = 0;
  ykpiv_rc rc = lib().ykpiv_verify(st(state_), text.c_str(), &tries);
  secure_wipe(text.data(), text.size());
  if (rc == YKPIV_OK) return ok();
  if (rc == YKPIV_WRONG_PIN) {
    if (tries == 0) return tl::unexpected(translate(YKPIV_PIN_LOCKED, "PIN verification"));
    return fail(Errc::auth_failed, "wrong PIV PIN for " + name() + ": " + std::to_string(tries) +
                                       (tries == 1 ? " try" : " tries") + " left");
  }
  return tl::unexpected(translate(rc, "PIN verification"));
}

Status PivCard::authenticate(ByteView key) {
  ykpiv_rc rc = lib().ykpiv_authenticate(st(state_), key.empty() ? nullptr : key.data());
  if (rc == YKPIV_AUTHENTICATION_ERROR) {
    return fail(Errc::auth_failed, "the PIV management key of " + name() + " was not accepted");
  }
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "management-key authentication"));
  return ok();
}

namespace {
// Value of a one-byte tag in a GET METADATA answer (simple TLVs, one-byte lengths), or -1.
int metadata_byte(const unsigned char* p, std::size_t n, unsigned char tag) {
  std::size_t i = 0;
  while (i + 2 <= n) {
    unsigned char t = p[i];
    std::size_t len = p[i + 1];
    if (len >= 0x80 || i + 2 + len > n) return -1;
    if (t == tag && len >= 1) return p[i + 2];
    i += 2 + len;
  }
  return -1;
}
}  // namespace

Result<PivCredentialState> PivCard::credential_state() {
  PivCredentialState out;
  unsigned char buf[256];
  bool all = true;
  const unsigned char refs[] = {0x80, 0x81, YKPIV_KEY_CARDMGM};
  bool* flags[] = {&out.pin_default, &out.puk_default, &out.mgmt_default};
  for (int i = 0; i < 3; ++i) {
    std::size_t len = sizeof buf;
    ykpiv_rc rc = lib().ykpiv_get_metadata(st(state_), refs[i], buf, &len);
    if (rc == YKPIV_NOT_SUPPORTED || rc == YKPIV_KEY_ERROR || rc == YKPIV_GENERIC_ERROR) {
      all = false;
      break;
    }
    if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "reading PIN/PUK metadata"));
    int d = metadata_byte(buf, len, 0x05);
    if (d < 0) {
      all = false;
      break;
    }
    *flags[i] = d != 0;
  }
  out.known = all;
  if (!all) out.pin_default = out.puk_default = out.mgmt_default = false;
  // Admin data object (5FFF00): 80 { 81 01 flags, ... }; flag 02 = management key PIN-protected.
  // Read directly: libykpiv's ykpiv_util_get_config only reports it once the PIN is verified.
  unsigned char admin[256];
  unsigned long admin_len = sizeof admin;
  if (lib().ykpiv_fetch_object(st(state_), 0x5FFF00, admin, &admin_len) == YKPIV_OK && admin_len >= 2 &&
      admin[0] == 0x80 && admin[1] < 0x80 && 2u + admin[1] <= admin_len) {
    int admin_flags = metadata_byte(admin + 2, admin[1], 0x81);
    out.mgmt_protected = admin_flags >= 0 && (admin_flags & 0x02) != 0;
  }
  return out;
}

namespace {
Status change_reference(PivCard& card, bool puk, const SecretBytes& current,
                        const SecretBytes& next, void* state,
                        const std::function<Error(int, const std::string&)>& tr) {
  const char* what = puk ? "PUK" : "PIN";
  if (next.size() < 6 || next.size() > 8) {
    return fail(Errc::invalid_argument, std::string("a PIV ") + what + " has 6 to 8 characters");
  }
  int tries = 0;
  auto* s = static_cast<ykpiv_state*>(state);
  ykpiv_rc rc =
      puk ? lib().ykpiv_change_puk(s, reinterpret_cast<const char*>(current.data()), current.size(),
                             reinterpret_cast<const char*>(next.data()), next.size(), &tries)
          : lib().ykpiv_change_pin(s, reinterpret_cast<const char*>(current.data()), current.size(),
                             reinterpret_cast<const char*>(next.data()), next.size(), &tries);
  if (rc == YKPIV_OK) return ok();
  if (rc == YKPIV_WRONG_PIN) {
    if (tries == 0) {
      return fail(Errc::pin_blocked, "the PIV " + std::string(what) + " of " + card.name() +
                                         " is blocked");
    }
    return fail(Errc::auth_failed, "wrong current PIV " + std::string(what) + " for " +
                                       card.name() + ": " + std::to_string(tries) +
                                       (tries == 1 ? " try" : " tries") + " left");
  }
  if (rc == YKPIV_PIN_LOCKED) {
    return fail(Errc::pin_blocked, "the PIV " + std::string(what) + " of " + card.name() +
                                       " is blocked");
  }
  return tl::unexpected(tr(rc, std::string("changing the ") + what));
}
}  // namespace

Status PivCard::change_pin(const SecretBytes& current, const SecretBytes& next) {
  return change_reference(*this, false, current, next, state_,
                          [this](int rc, const std::string& w) { return translate(rc, w); });
}

Status PivCard::change_puk(const SecretBytes& current, const SecretBytes& next) {
  return change_reference(*this, true, current, next, state_,
                          [this](int rc, const std::string& w) { return translate(rc, w); });
}

Status PivCard::set_random_protected_management_key() {
  ykpiv_mgm mgm{};
  random_fill(MutableByteView(mgm.data, sizeof mgm.data));
  ykpiv_rc rc = lib().ykpiv_util_set_protected_mgm(st(state_), &mgm);
  if (rc != YKPIV_OK) {
    secure_wipe(&mgm, sizeof mgm);
    return tl::unexpected(translate(rc, "setting the PIN-protected management key"));
  }
  ykpiv_mgm back{};
  rc = lib().ykpiv_util_get_protected_mgm(st(state_), &back);
  bool same = rc == YKPIV_OK && ct_equal(ByteView(mgm.data, sizeof mgm.data),
                                         ByteView(back.data, sizeof back.data));
  secure_wipe(&mgm, sizeof mgm);
  secure_wipe(&back, sizeof back);
  if (!same) {
    return fail(Errc::device,
                "the new management key of " + name() +
                    " could not be read back from its PIN-protected store; the card's PIV "
                    "application may need a reset (`ykman piv reset`) before it can be enrolled");
  }
  return ok();
}

Status PivCard::authenticate_protected() {
  ykpiv_mgm mgm{};
  ykpiv_rc rc = lib().ykpiv_util_get_protected_mgm(st(state_), &mgm);
  if (rc != YKPIV_OK) {
    secure_wipe(&mgm, sizeof mgm);
    return fail(Errc::device, "the PIN-protected management key of " + name() +
                                  " could not be read (is the PIN verified?)");
  }
  rc = lib().ykpiv_authenticate(st(state_), mgm.data);
  secure_wipe(&mgm, sizeof mgm);
  if (rc == YKPIV_AUTHENTICATION_ERROR) {
    return fail(Errc::auth_failed, "the PIN-protected management key stored on " + name() +
                                       " was not accepted by the card");
  }
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "management-key authentication"));
  return ok();
}

Result<std::optional<PivKeyMetadata>> PivCard::key_metadata(std::uint8_t key_ref) {
  unsigned char buf[1024];
  std::size_t len = sizeof buf;
  ykpiv_rc rc = lib().ykpiv_get_metadata(st(state_), key_ref, buf, &len);
  if (rc == YKPIV_KEY_ERROR) return std::optional<PivKeyMetadata>{};
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "reading key metadata"));
  ykpiv_metadata md{};
  if (lib().ykpiv_util_parse_metadata(buf, len, &md) != YKPIV_OK) {
    return fail(Errc::device, "unreadable key metadata from " + name());
  }
  PivKeyMetadata out;
  out.algorithm = md.algorithm;
  out.pin_policy = md.pin_policy;
  out.touch_policy = md.touch_policy;
  out.generated = md.origin == YKPIV_METADATA_ORIGIN_GENERATED;
  if (md.pubkey_len >= 65) out.public_key.assign(md.pubkey + md.pubkey_len - 65, md.pubkey + md.pubkey_len);
  return std::optional<PivKeyMetadata>(std::move(out));
}

Result<Bytes> PivCard::generate_p256(std::uint8_t key_ref, std::uint8_t pin_policy,
                                     std::uint8_t touch_policy) {
  std::uint8_t *mod = nullptr, *exp = nullptr, *point = nullptr;
  std::size_t mod_len = 0, exp_len = 0, point_len = 0;
  ykpiv_rc rc = lib().ykpiv_util_generate_key(st(state_), key_ref, YKPIV_ALGO_ECCP256, pin_policy,
                                        touch_policy, &mod, &mod_len, &exp, &exp_len, &point,
                                        &point_len);
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "key generation"));
  Bytes out(point, point + point_len);
  lib().ykpiv_util_free(st(state_), point);
  return out;
}

Result<Bytes> PivCard::attest(std::uint8_t key_ref) {
  unsigned char buf[3072];
  std::size_t len = sizeof buf;
  ykpiv_rc rc = lib().ykpiv_attest(st(state_), key_ref, buf, &len);
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "attestation"));
  return Bytes(buf, buf + len);
}

Result<Bytes> PivCard::attestation_certificate() {
  std::uint8_t* data = nullptr;
  std::size_t len = 0;
  ykpiv_rc rc = lib().ykpiv_util_read_cert(st(state_), YKPIV_KEY_ATTESTATION, &data, &len);
  if (rc != YKPIV_OK || data == nullptr) {
    return tl::unexpected(translate(rc == YKPIV_OK ? YKPIV_GENERIC_ERROR : rc,
                                    "reading the attestation certificate"));
  }
  Bytes out(data, data + len);
  lib().ykpiv_util_free(st(state_), data);
  return out;
}

Result<SecretBytes> PivCard::ecdh(std::uint8_t key_ref, ByteView peer) {
  unsigned char out[128];
  std::size_t len = sizeof out;
  ykpiv_rc rc = lib().ykpiv_decipher_data(st(state_), peer.data(), peer.size(), out, &len,
                                    YKPIV_ALGO_ECCP256, key_ref);
  if (rc == YKPIV_AUTHENTICATION_ERROR) {
    secure_wipe(out, sizeof out);
    return fail(Errc::presence, "touch not confirmed on " + name() +
                                    ": refused or timed out (touch the key when it blinks)");
  }
  if (rc != YKPIV_OK) {
    secure_wipe(out, sizeof out);
    return tl::unexpected(translate(rc, "the key agreement"));
  }
  auto s = SecretBytes::copy_of(ByteView(out, len));
  secure_wipe(out, sizeof out);
  return s;
}

}  // namespace keyward::hw

#include "hw/piv_card.h"

#include <openssl/evp.h>
#include <winscard.h>
#include <ykpiv.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

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
  X(ykpiv_save_object) \
  X(ykpiv_init) \
  X(ykpiv_strerror) \
  X(ykpiv_transfer_data) \
  X(ykpiv_util_free) \
  X(ykpiv_util_generate_key) \
  X(ykpiv_util_get_protected_mgm) \
  X(ykpiv_util_parse_metadata) \
  X(ykpiv_util_read_cert) \
  X(ykpiv_util_set_protected_mgm) \
  X(ykpiv_verify)
#define KW_PCSC_FUNCTIONS(X) \
  X(SCardEstablishContext) \
  X(SCardGetStatusChange) \
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

// The factory management key (3DES before firmware 5.7, AES-192 from 5.7 on: same bytes).
constexpr std::uint8_t kDefaultMgmtKey[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                              5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
constexpr int kObjPrinted = 0x5FC109;    // PIN-gated: 88 { 89 <management key> }
constexpr int kObjAdminData = 0x5FFF00;  // 80 { 81 01 <flags>, 82 <salt>, 83 <time> }
constexpr std::uint8_t kAdminFlagProtectedMgm = 0x02;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

// One 16-byte AES block, ECB, key of 16/24/32 bytes (OpenSSL EVP). False on a library failure.
bool aes_block(bool encrypt, ByteView key, const std::uint8_t* in, std::uint8_t* out) {
  const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_ecb()
                             : key.size() == 24 ? EVP_aes_192_ecb()
                             : key.size() == 32 ? EVP_aes_256_ecb()
                                                : nullptr;
  if (cipher == nullptr) return false;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  std::uint8_t tmp[32];
  int n = 0, fin = 0;
  bool ok = ctx && EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.data(), nullptr,
                                     encrypt ? 1 : 0) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx.get(), 0) == 1 &&
            EVP_CipherUpdate(ctx.get(), tmp, &n, in, 16) == 1 && n == 16 &&
            EVP_CipherFinal_ex(ctx.get(), tmp + n, &fin) == 1 && fin == 0;
  if (ok) std::memcpy(out, tmp, 16);
  secure_wipe(tmp, sizeof tmp);
  return ok;
}

// Simple BER-TLV reader over one level (tags of one byte, lengths 0..0xFFFF).
struct Tlv {
  std::uint8_t tag;
  ByteView value;
};
std::optional<std::vector<Tlv>> parse_tlvs(ByteView in) {
  std::vector<Tlv> out;
  std::size_t i = 0;
  while (i < in.size()) {
    if (i + 2 > in.size()) return std::nullopt;
    std::uint8_t tag = in[i++];
    std::size_t len = in[i++];
    if (len == 0x81 || len == 0x82) {
      std::size_t n = len - 0x80;
      if (i + n > in.size()) return std::nullopt;
      len = 0;
      for (std::size_t k = 0; k < n; ++k) len = (len << 8) | in[i++];
    } else if (len > 0x80) {
      return std::nullopt;
    }
    if (i + len > in.size()) return std::nullopt;
    out.push_back({tag, ByteView(in.data() + i, len)});
    i += len;
  }
  return out;
}
const Tlv* find_tlv(const std::vector<Tlv>& tlvs, std::uint8_t tag) {
  for (const auto& t : tlvs) {
    if (t.tag == tag) return &t;
  }
  return nullptr;
}
// Appends tag, length (short values only: < 0x80 or 0x81 xx) and value.
void put_tlv(std::vector<std::uint8_t>& out, std::uint8_t tag, ByteView value) {
  out.push_back(tag);
  if (value.size() >= 0x80) out.push_back(0x81);
  out.push_back(static_cast<std::uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

}  // namespace

std::size_t piv_mgmt_key_length(std::uint8_t algorithm) {
  switch (algorithm) {
    case kPivMgmtTdes: return 24;
    case kPivMgmtAes128: return 16;
    case kPivMgmtAes192: return 24;
    case kPivMgmtAes256: return 32;
    default: return 0;
  }
}

std::string piv_mgmt_algorithm_name(std::uint8_t algorithm) {
  switch (algorithm) {
    case kPivMgmtTdes: return "3DES";
    case kPivMgmtAes128: return "AES-128";
    case kPivMgmtAes192: return "AES-192";
    case kPivMgmtAes256: return "AES-256";
    default: {
      char b[24];
      std::snprintf(b, sizeof b, "algorithm 0x%02x", algorithm);
      return b;
    }
  }
}

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

Result<bool> pcsc_card_present(const std::string& reader) {
  KW_TRY_STATUS(load_library());
  SCARDCONTEXT ctx = 0;
  LONG rc = lib().SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &ctx);
  if (rc != SCARD_S_SUCCESS) return fail(Errc::unavailable, kPcscdHint);
  SCARD_READERSTATE state{};
  state.szReader = reader.c_str();
  state.dwCurrentState = SCARD_STATE_UNAWARE;
  rc = lib().SCardGetStatusChange(ctx, 0, &state, 1);
  lib().SCardReleaseContext(ctx);
  if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT) {
    return fail(Errc::device, "reading the state of reader '" + reader + "' failed: " +
                                  lib().pcsc_stringify_error(rc));
  }
  return (state.dwEventState & SCARD_STATE_PRESENT) != 0;
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

Result<std::uint8_t> PivCard::management_key_algorithm() {
  if (mgmt_algorithm_) return *mgmt_algorithm_;
  unsigned char buf[256];
  std::size_t len = sizeof buf;
  ykpiv_rc rc = lib().ykpiv_get_metadata(st(state_), YKPIV_KEY_CARDMGM, buf, &len);
  std::uint8_t alg = kPivMgmtTdes;  // firmware < 5.3 has no GET METADATA and no AES keys
  if (rc == YKPIV_OK) {
    auto tlvs = parse_tlvs(ByteView(buf, len));
    const Tlv* a = tlvs ? find_tlv(*tlvs, 0x01) : nullptr;
    if (a == nullptr || a->value.size() != 1) {
      return fail(Errc::device, "unreadable management-key metadata from " + name());
    }
    alg = a->value[0];
  } else if (rc != YKPIV_NOT_SUPPORTED && rc != YKPIV_KEY_ERROR && rc != YKPIV_GENERIC_ERROR) {
    return tl::unexpected(translate(rc, "reading the management-key metadata"));
  }
  if (piv_mgmt_key_length(alg) == 0) {
    return fail(Errc::unsupported, "the PIV management key of " + name() + " uses " +
                                       piv_mgmt_algorithm_name(alg) +
                                       ", which keyward does not know (3DES and AES only)");
  }
  mgmt_algorithm_ = alg;
  return alg;
}

Status PivCard::authenticate(ByteView key) {
  KW_TRY(std::uint8_t alg, management_key_algorithm());
  const std::string which = piv_mgmt_algorithm_name(alg);
  if (key.empty()) {
    // The factory key has the same bytes for 3DES and AES-192; AES-128/256 keys were set by
    // someone and have no default.
    if (piv_mgmt_key_length(alg) != sizeof kDefaultMgmtKey) {
      return fail(Errc::auth_failed, "the PIV management key of " + name() + " is " + which +
                                         ", which has no factory value: pass it with "
                                         "--management-key-file FILE");
    }
    key = ByteView(kDefaultMgmtKey, sizeof kDefaultMgmtKey);
  }
  if (key.size() != piv_mgmt_key_length(alg)) {
    return fail(Errc::invalid_argument,
                "the PIV management key of " + name() + " is " + which + " (" +
                    std::to_string(piv_mgmt_key_length(alg)) + " bytes, " +
                    std::to_string(2 * piv_mgmt_key_length(alg)) + " hex digits); the key given has " +
                    std::to_string(key.size()) + " bytes");
  }
  if (alg != kPivMgmtTdes) return authenticate_aes(alg, key, which);
  ykpiv_rc rc = lib().ykpiv_authenticate(st(state_), key.data());
  if (rc == YKPIV_AUTHENTICATION_ERROR) {
    return fail(Errc::auth_failed, name() + " did not accept the PIV management key (3DES)");
  }
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "management-key authentication"));
  return ok();
}

Status PivCard::authenticate_aes(std::uint8_t alg, ByteView key, const std::string& which) {
  // Mutual authentication, as yubikit does it: the card sends a witness encrypted under the key,
  // the host returns it decrypted together with its own challenge, and the card proves it knows
  // the key by returning the challenge encrypted. Witness and challenge are one AES block.
  constexpr std::size_t kBlock = 16;
  const unsigned char templ[4] = {0x00, 0x87, alg, YKPIV_KEY_CARDMGM};
  const std::string what = which + " management-key authentication";
  auto rejected = [&] {
    return fail(Errc::auth_failed,
                name() + " did not accept the PIV management key (" + which + ")");
  };
  unsigned char out[64];
  unsigned long out_len = sizeof out;
  int sw = 0;
  const unsigned char request[] = {0x7C, 0x02, 0x80, 0x00};
  ykpiv_rc rc = lib().ykpiv_transfer_data(st(state_), templ, request, sizeof request, out, &out_len, &sw);
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, what));
  if (sw != 0x9000) {
    return fail(Errc::device, what + " failed on " + name() + ": the card answered " +
                                  std::to_string(sw >> 8) + "/" + std::to_string(sw & 0xff) +
                                  " to the witness request (does its metadata name another "
                                  "algorithm?)");
  }
  auto outer = parse_tlvs(ByteView(out, out_len));
  const Tlv* dyn = outer ? find_tlv(*outer, 0x7C) : nullptr;
  auto inner = dyn ? parse_tlvs(dyn->value) : std::nullopt;
  const Tlv* witness = inner ? find_tlv(*inner, 0x80) : nullptr;
  if (witness == nullptr || witness->value.size() != kBlock) {
    return fail(Errc::device, what + " failed on " + name() + ": malformed witness");
  }
  // 7C 24 { 80 10 <decrypted witness> 81 10 <challenge> }
  unsigned char msg[2 + 2 * (2 + kBlock)] = {0x7C, 2 * (2 + kBlock), 0x80, kBlock};
  unsigned char* plain_witness = msg + 4;
  unsigned char* challenge = msg + 4 + kBlock + 2;
  msg[4 + kBlock] = 0x81;
  msg[5 + kBlock] = kBlock;
  random_fill(MutableByteView(challenge, kBlock));
  unsigned char expected[kBlock];
  if (!aes_block(false, key, witness->value.data(), plain_witness) ||
      !aes_block(true, key, challenge, expected)) {
    secure_wipe(msg, sizeof msg);
    return fail(Errc::crypto, "AES failed during " + what);
  }
  out_len = sizeof out;
  rc = lib().ykpiv_transfer_data(st(state_), templ, msg, sizeof msg, out, &out_len, &sw);
  secure_wipe(msg, sizeof msg);
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, what));
  if (sw == 0x6982) return rejected();  // wrong key (or a management-key touch not given)
  if (sw != 0x9000) {
    return fail(Errc::device, what + " failed on " + name() + ": status word " +
                                  std::to_string(sw >> 8) + "/" + std::to_string(sw & 0xff));
  }
  outer = parse_tlvs(ByteView(out, out_len));
  dyn = outer ? find_tlv(*outer, 0x7C) : nullptr;
  inner = dyn ? parse_tlvs(dyn->value) : std::nullopt;
  const Tlv* response = inner ? find_tlv(*inner, 0x82) : nullptr;
  const bool proven = response != nullptr && ct_equal(response->value, ByteView(expected, kBlock));
  secure_wipe(expected, sizeof expected);
  if (!proven) {
    // The card accepted our answer but could not encrypt our challenge: not the card we think.
    return fail(Errc::integrity, "the card " + name() +
                                     " did not prove that it knows its management key");
  }
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
    if (refs[i] == YKPIV_KEY_CARDMGM) {
      int a = metadata_byte(buf, len, 0x01);
      if (a >= 0 && piv_mgmt_key_length(static_cast<std::uint8_t>(a)) != 0) {
        out.mgmt_algorithm = static_cast<std::uint8_t>(a);
        mgmt_algorithm_ = out.mgmt_algorithm;
      }
    }
  }
  out.known = all;
  if (!all) {
    out.pin_default = out.puk_default = out.mgmt_default = false;
    out.mgmt_algorithm = kPivMgmtTdes;
  }
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
  KW_TRY(std::uint8_t alg, management_key_algorithm());
  // Keep the card's algorithm: an AES card gets a new AES key of the same size, never 3DES.
  if (alg != kPivMgmtTdes) return set_random_protected_aes_key(alg);
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

Result<SecretBytes> PivCard::read_protected_key() {
  unsigned char buf[YKPIV_OBJ_MAX_SIZE];
  unsigned long len = sizeof buf;
  ykpiv_rc rc = lib().ykpiv_fetch_object(st(state_), kObjPrinted, buf, &len);
  if (rc != YKPIV_OK) {
    secure_wipe(buf, sizeof buf);
    if (rc == YKPIV_PCSC_ERROR) return tl::unexpected(translate(rc, "reading the protected key"));
    return fail(Errc::device, "the PIN-protected management key of " + name() +
                                  " could not be read (is the PIN verified?)");
  }
  auto outer = parse_tlvs(ByteView(buf, len));
  const Tlv* container = outer ? find_tlv(*outer, 0x88) : nullptr;
  auto inner = container ? parse_tlvs(container->value) : std::nullopt;
  const Tlv* key = inner ? find_tlv(*inner, 0x89) : nullptr;
  std::optional<SecretBytes> out;
  if (key != nullptr) out = SecretBytes::copy_of(key->value);
  secure_wipe(buf, sizeof buf);
  if (!out) {
    return fail(Errc::device, name() + " flags its management key as PIN-protected, but its "
                                       "printed-information object holds no key");
  }
  return std::move(*out);
}

Status PivCard::set_random_protected_aes_key(std::uint8_t alg) {
  const std::size_t n = piv_mgmt_key_length(alg);
  SecretBytes key = random_secret(n);
  // 1. Store the new key PIN-protected while the old key still authenticates us: if the card
  //    refuses the new key below, nothing is lost (the old key stays valid).
  {
    SecretBytes obj(4 + n);  // 88 <n+2> 89 <n> key
    obj.data()[0] = 0x88;
    obj.data()[1] = static_cast<std::uint8_t>(n + 2);
    obj.data()[2] = 0x89;
    obj.data()[3] = static_cast<std::uint8_t>(n);
    std::memcpy(obj.data() + 4, key.data(), n);
    ykpiv_rc rc = lib().ykpiv_save_object(st(state_), kObjPrinted, obj.data(), obj.size());
    if (rc != YKPIV_OK) {
      return tl::unexpected(translate(rc, "storing the PIN-protected management key"));
    }
  }
  // 2. SET MANAGEMENT KEY: FF FF FF, data <algorithm> 9B <n> <key> (no touch requirement).
  {
    SecretBytes data(3 + n);
    data.data()[0] = alg;
    data.data()[1] = YKPIV_KEY_CARDMGM;
    data.data()[2] = static_cast<std::uint8_t>(n);
    std::memcpy(data.data() + 3, key.data(), n);
    const unsigned char templ[4] = {0x00, 0xFF, 0xFF, 0xFF};
    unsigned char out[64];
    unsigned long out_len = sizeof out;
    int sw = 0;
    ykpiv_rc rc = lib().ykpiv_transfer_data(st(state_), templ, data.data(),
                                      static_cast<long>(data.size()), out, &out_len, &sw);
    if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "setting the management key"));
    if (sw != 0x9000) {
      return fail(Errc::device, "setting a new " + piv_mgmt_algorithm_name(alg) +
                                    " management key failed on " + name() + ": status word " +
                                    std::to_string(sw >> 8) + "/" + std::to_string(sw & 0xff) +
                                    "; the old key is unchanged");
    }
  }
  // 3. Flag it in the admin data (80 { 81 01 flags ... }), keeping the other items; a salt (82,
  //    the older PIN-derived key scheme) is dropped as libykpiv and YubiKey Manager do.
  {
    unsigned char admin[YKPIV_OBJ_MAX_SIZE];
    unsigned long admin_len = sizeof admin;
    std::uint8_t flags = 0;
    std::vector<std::uint8_t> items;
    if (lib().ykpiv_fetch_object(st(state_), kObjAdminData, admin, &admin_len) == YKPIV_OK) {
      auto outer = parse_tlvs(ByteView(admin, admin_len));
      const Tlv* body = outer ? find_tlv(*outer, 0x80) : nullptr;
      auto inner = body ? parse_tlvs(body->value) : std::nullopt;
      if (inner) {
        for (const auto& t : *inner) {
          if (t.tag == 0x81 && t.value.size() == 1) flags = t.value[0];
          if (t.tag != 0x81 && t.tag != 0x82) put_tlv(items, t.tag, t.value);
        }
      }
    }
    flags |= kAdminFlagProtectedMgm;
    std::vector<std::uint8_t> value;
    put_tlv(value, 0x81, ByteView(&flags, 1));
    value.insert(value.end(), items.begin(), items.end());
    std::vector<std::uint8_t> object;
    put_tlv(object, 0x80, value);
    ykpiv_rc rc = lib().ykpiv_save_object(st(state_), kObjAdminData, object.data(), object.size());
    if (rc != YKPIV_OK) {
      return fail(Errc::device, "the new management key of " + name() +
                                    " is stored PIN-protected, but flagging it in the admin data "
                                    "failed (" + std::string(lib().ykpiv_strerror(rc)) + ")");
    }
  }
  // 4. Read it back and authenticate with it: the card must give it out and accept it.
  auto back = read_protected_key();
  if (!back || !back->equals(key.view())) {
    return fail(Errc::device,
                "the new management key of " + name() +
                    " could not be read back from its PIN-protected store; the card's PIV "
                    "application may need a reset (`ykman piv reset`) before it can be enrolled");
  }
  return authenticate_aes(alg, key.view(), piv_mgmt_algorithm_name(alg));
}

Status PivCard::authenticate_protected() {
  KW_TRY(std::uint8_t alg, management_key_algorithm());
  if (alg != kPivMgmtTdes) {
    KW_TRY(auto key, read_protected_key());
    if (key.size() != piv_mgmt_key_length(alg)) {
      return fail(Errc::device, "the PIN-protected management key stored on " + name() + " has " +
                                    std::to_string(key.size()) + " bytes, but the card's key is " +
                                    piv_mgmt_algorithm_name(alg));
    }
    auto r = authenticate_aes(alg, key.view(), piv_mgmt_algorithm_name(alg));
    if (!r && r.error().code == Errc::auth_failed) {
      return fail(Errc::auth_failed, "the PIN-protected management key stored on " + name() +
                                         " was not accepted by the card");
    }
    return r;
  }
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

Status PivCard::delete_key(std::uint8_t key_ref) {
  // MOVE KEY (INS F6) to FF deletes the key: YubiKey firmware 5.7 and later (and the simulator).
  const unsigned char templ[4] = {0x00, 0xF6, 0xFF, key_ref};
  const unsigned char none[1] = {0};  // no command data (libykpiv copies from a real pointer)
  unsigned char out[16];
  unsigned long out_len = sizeof out;
  int sw = 0;
  ykpiv_rc rc = lib().ykpiv_transfer_data(st(state_), templ, none, 0, out, &out_len, &sw);
  if (rc != YKPIV_OK) return tl::unexpected(translate(rc, "key deletion"));
  if (sw == 0x9000) return ok();
  if (sw == 0x6D00 || sw == 0x6E00) {
    return fail(Errc::unsupported, name() + " (firmware " + firmware_ +
                                       ") cannot delete a PIV key (firmware 5.7 or later can)");
  }
  if (sw == 0x6982) {
    return fail(Errc::auth_failed, name() + " refused to delete the key: management key not "
                                            "authenticated");
  }
  return fail(Errc::device, "key deletion failed on " + name() + ": status word " +
                                std::to_string(sw >> 8) + "/" + std::to_string(sw & 0xff));
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

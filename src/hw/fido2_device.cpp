#include "hw/fido2_device.h"

#include <fido.h>
#include <fido/es256.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/random.h"
#include "hw/dynlib.h"

namespace keyward::hw {
namespace {

// libfido2, loaded on first use (hw/dynlib.h): every function keyward calls, resolved at once.
#define KW_FIDO2_FUNCTIONS(X) \
  X(fido_assert_allow_cred) \
  X(fido_assert_authdata_len) \
  X(fido_assert_authdata_ptr) \
  X(fido_assert_count) \
  X(fido_assert_free) \
  X(fido_assert_hmac_secret_len) \
  X(fido_assert_hmac_secret_ptr) \
  X(fido_assert_new) \
  X(fido_assert_set_clientdata_hash) \
  X(fido_assert_set_extensions) \
  X(fido_assert_set_hmac_salt) \
  X(fido_assert_set_rp) \
  X(fido_assert_set_up) \
  X(fido_assert_set_uv) \
  X(fido_assert_sig_len) \
  X(fido_assert_sig_ptr) \
  X(fido_cred_free) \
  X(fido_cred_id_len) \
  X(fido_cred_id_ptr) \
  X(fido_cred_new) \
  X(fido_cred_pubkey_len) \
  X(fido_cred_pubkey_ptr) \
  X(fido_cred_set_clientdata_hash) \
  X(fido_cred_set_extensions) \
  X(fido_cred_set_prot) \
  X(fido_cred_set_rk) \
  X(fido_cred_set_rp) \
  X(fido_cred_set_type) \
  X(fido_cred_set_user) \
  X(fido_cred_set_uv) \
  X(fido_dev_close) \
  X(fido_dev_free) \
  X(fido_dev_get_assert) \
  X(fido_dev_get_retry_count) \
  X(fido_dev_get_uv_retry_count) \
  X(fido_dev_has_pin) \
  X(fido_dev_has_uv) \
  X(fido_dev_info_free) \
  X(fido_dev_info_manifest) \
  X(fido_dev_info_new) \
  X(fido_dev_info_path) \
  X(fido_dev_info_ptr) \
  X(fido_dev_make_cred) \
  X(fido_dev_new) \
  X(fido_dev_open) \
  X(fido_dev_set_io_functions) \
  X(fido_init) \
  X(fido_strerr)

struct Fido2Lib {
#define KW_DECLARE(f) decltype(&::f) f = nullptr;
  KW_FIDO2_FUNCTIONS(KW_DECLARE)
#undef KW_DECLARE
};

constexpr const char* kFido2Soname = "libfido2.so.1";
const Fido2Lib* g_lib = nullptr;

Result<const Fido2Lib*> load_library() {
  static const Result<const Fido2Lib*> loaded = []() -> Result<const Fido2Lib*> {
    KW_TRY(void* h, detail::open_library(kFido2Soname, "libfido2 (FIDO2 security keys)", "libfido2-1"));
    static Fido2Lib table;
#define KW_RESOLVE(f) KW_TRY_STATUS(detail::resolve(table.f, h, kFido2Soname, #f));
    KW_FIDO2_FUNCTIONS(KW_RESOLVE)
#undef KW_RESOLVE
    table.fido_init(FIDO_DISABLE_U2F_FALLBACK);
    return &table;
  }();
  if (loaded) g_lib = *loaded;
  return loaded;
}

// Only reached after load_library() succeeded (Fido2Device::open, fido2_hid_devices).
const Fido2Lib& lib() { return *g_lib; }

fido_dev_t* dv(void* p) { return static_cast<fido_dev_t*>(p); }

// ---- simulator transport: "sim:<unix socket>", 64-byte CTAPHID reports (no report id).
void* sim_open(const char* path) {
  const char* sock = path + 4;
  sockaddr_un addr{};
  if (std::strlen(sock) >= sizeof addr.sun_path) return nullptr;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, sock, std::strlen(sock));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  return new int(fd);
}
void sim_close(void* h) {
  ::close(*static_cast<int*>(h));
  delete static_cast<int*>(h);
}
int sim_read(void* h, unsigned char* buf, size_t len, int ms) {
  const int fd = *static_cast<int*>(h);
  if (len != 64) return -1;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return -1;
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::recv(fd, buf + got, len - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += static_cast<size_t>(n);
  }
  return 64;
}
int sim_write(void* h, const unsigned char* buf, size_t len) {
  const int fd = *static_cast<int*>(h);
  if (len != 65) return -1;
  size_t sent = 0;
  while (sent < 64) {
    ssize_t n = ::send(fd, buf + 1 + sent, 64 - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += static_cast<size_t>(n);
  }
  return 65;
}

fido_opt_t uv_opt(vault::Fido2Uv uv) {
  return uv == vault::Fido2Uv::required ? FIDO_OPT_TRUE : FIDO_OPT_OMIT;
}

// libfido2 returns authData CBOR-wrapped (a byte string); strip the header.
Bytes unwrap_cbor_bytes(const unsigned char* p, std::size_t n) {
  if (p == nullptr || n < 1 || (p[0] >> 5) != 2) return {};
  std::size_t info = p[0] & 0x1f, hdr = 1, len = 0;
  if (info < 24) len = info;
  else if (info == 24 && n >= 2) { len = p[1]; hdr = 2; }
  else if (info == 25 && n >= 3) { len = (std::size_t(p[1]) << 8) | p[2]; hdr = 3; }
  else return {};
  if (hdr + len != n) return {};
  return Bytes(p + hdr, p + n);
}

}  // namespace

Status fido2_library() {
  KW_TRY_STATUS(load_library());
  return ok();
}

std::vector<std::string> fido2_hid_devices() {
  std::vector<std::string> out;
  if (!load_library()) return out;  // fido2_library() says why
  const size_t max = 16;
  fido_dev_info_t* list = lib().fido_dev_info_new(max);
  size_t n = 0;
  if (list != nullptr && lib().fido_dev_info_manifest(list, max, &n) == FIDO_OK) {
    for (size_t i = 0; i < n; ++i) out.emplace_back(lib().fido_dev_info_path(lib().fido_dev_info_ptr(list, i)));
  }
  lib().fido_dev_info_free(&list, max);
  return out;
}

Fido2Device::~Fido2Device() {
  if (dev_ != nullptr) {
    fido_dev_t* d = dv(dev_);
    lib().fido_dev_close(d);
    lib().fido_dev_free(&d);
  }
}

std::string Fido2Device::name() const {
  return "FIDO2 key " + path_ + (simulated() ? " (simulated)" : "");
}

Error Fido2Device::translate(int rc, const std::string& what) const {
  switch (rc) {
    case FIDO_ERR_PIN_INVALID: {
      int tries = -1;
      if (lib().fido_dev_get_retry_count(dv(dev_), &tries) != FIDO_OK) tries = -1;
      return Error{Errc::auth_failed, "wrong FIDO2 PIN for " + name() +
                                          (tries >= 0 ? ": " + std::to_string(tries) +
                                                            (tries == 1 ? " try left" : " tries left")
                                                      : std::string())};
    }
    case FIDO_ERR_PIN_BLOCKED:
      return Error{Errc::pin_blocked, "the FIDO2 PIN of " + name() + " is blocked (reset the key)"};
    case FIDO_ERR_UV_BLOCKED:
      return Error{Errc::pin_blocked, "the fingerprint is locked out on " + name() +
                                          " (too many non-matching tries): use the FIDO2 PIN"};
    case FIDO_ERR_UV_INVALID: {
      int tries = -1;
      if (lib().fido_dev_get_uv_retry_count(dv(dev_), &tries) != FIDO_OK) tries = -1;
      return Error{Errc::auth_failed, "fingerprint not recognised by " + name() +
                                          (tries >= 0 ? ": " + std::to_string(tries) + " tries left"
                                                      : std::string())};
    }
    case FIDO_ERR_PIN_REQUIRED:
      return Error{Errc::auth_failed, name() + " needs its FIDO2 PIN (--fido2-pin-file or KEYWARD_FIDO2_PIN)"};
    case FIDO_ERR_NO_CREDENTIALS:
      return Error{Errc::not_found, name() + " does not hold this slot's credential"};
    case FIDO_ERR_ACTION_TIMEOUT:
      return Error{Errc::presence, "touch not confirmed on " + name() + ": timed out"};
    case FIDO_ERR_OPERATION_DENIED:
      return Error{Errc::presence, "touch refused on " + name()};
    case FIDO_ERR_TX:
    case FIDO_ERR_RX:
    case FIDO_ERR_RX_NOT_CBOR:
      return Error{Errc::device, name() + " was removed or stopped answering during " + what};
    default:
      return Error{Errc::device, what + " failed on " + name() + ": " + lib().fido_strerr(rc)};
  }
}

Result<std::unique_ptr<Fido2Device>> Fido2Device::open(const std::string& path) {
  KW_TRY_STATUS(load_library());
  std::unique_ptr<Fido2Device> d(new Fido2Device());
  d->path_ = path;
  fido_dev_t* dev = lib().fido_dev_new();
  if (dev == nullptr) return fail(Errc::crypto, "fido_dev_new failed");
  d->dev_ = dev;
  if (d->simulated()) {
    static fido_dev_io_t io = {sim_open, sim_close, sim_read, sim_write};
    if (lib().fido_dev_set_io_functions(dev, &io) != FIDO_OK) return fail(Errc::crypto, "libfido2 I/O");
  }
  int rc = lib().fido_dev_open(dev, path.c_str());
  if (rc != FIDO_OK) return fail(Errc::device, "cannot open " + d->name() + ": " + lib().fido_strerr(rc));
  return d;
}

Result<Fido2NewCredential> Fido2Device::make_credential(const std::string& rp_id,
                                                        ByteView user_id, ByteView cdh,
                                                        vault::Fido2Uv uv, int cred_protect,
                                                        const SecretBytes& pin) {
  fido_cred_t* c = lib().fido_cred_new();
  if (c == nullptr) return fail(Errc::crypto, "fido_cred_new failed");
  std::string pin_text(pin.reveal_string());
  int rc = lib().fido_cred_set_type(c, COSE_ES256);
  if (rc == FIDO_OK) rc = lib().fido_cred_set_clientdata_hash(c, cdh.data(), cdh.size());
  if (rc == FIDO_OK) rc = lib().fido_cred_set_rp(c, rp_id.c_str(), "keyward");
  if (rc == FIDO_OK) rc = lib().fido_cred_set_user(c, user_id.data(), user_id.size(), "keyward", nullptr, nullptr);
  if (rc == FIDO_OK) rc = lib().fido_cred_set_extensions(c, FIDO_EXT_HMAC_SECRET | FIDO_EXT_CRED_PROTECT);
  if (rc == FIDO_OK) rc = lib().fido_cred_set_prot(c, cred_protect == 3 ? FIDO_CRED_PROT_UV_REQUIRED
                                                                  : FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID);
  if (rc == FIDO_OK) rc = lib().fido_cred_set_rk(c, FIDO_OPT_FALSE);
  if (rc == FIDO_OK && uv == vault::Fido2Uv::required && pin_text.empty()) rc = lib().fido_cred_set_uv(c, FIDO_OPT_TRUE);
  if (rc == FIDO_OK) rc = lib().fido_dev_make_cred(dv(dev_), c, pin_text.empty() ? nullptr : pin_text.c_str());
  secure_wipe(pin_text.data(), pin_text.size());
  if (rc != FIDO_OK) {
    lib().fido_cred_free(&c);
    return tl::unexpected(translate(rc, "creating the credential"));
  }
  Fido2NewCredential out;
  out.credential_id.assign(lib().fido_cred_id_ptr(c), lib().fido_cred_id_ptr(c) + lib().fido_cred_id_len(c));
  if (lib().fido_cred_pubkey_len(c) == 64) {
    out.public_key.push_back(0x04);
    out.public_key.insert(out.public_key.end(), lib().fido_cred_pubkey_ptr(c), lib().fido_cred_pubkey_ptr(c) + 64);
  }
  lib().fido_cred_free(&c);
  if (out.public_key.empty()) return fail(Errc::device, name() + " returned no ES256 public key");
  return out;
}

Result<vault::Fido2Assertion> Fido2Device::get_assertion(const vault::Fido2CredInfo& cred,
                                                         ByteView cdh, const SecretBytes& pin) {
  fido_assert_t* a = lib().fido_assert_new();
  if (a == nullptr) return fail(Errc::crypto, "fido_assert_new failed");
  std::string pin_text(pin.reveal_string());
  int rc = lib().fido_assert_set_rp(a, cred.rp_id.c_str());
  if (rc == FIDO_OK) rc = lib().fido_assert_set_clientdata_hash(a, cdh.data(), cdh.size());
  if (rc == FIDO_OK) rc = lib().fido_assert_allow_cred(a, cred.credential_id.data(), cred.credential_id.size());
  if (rc == FIDO_OK) rc = lib().fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET);
  if (rc == FIDO_OK) rc = lib().fido_assert_set_hmac_salt(a, cred.salt.data(), cred.salt.size());
  if (rc == FIDO_OK) rc = lib().fido_assert_set_up(a, FIDO_OPT_TRUE);
  if (rc == FIDO_OK && pin_text.empty()) rc = lib().fido_assert_set_uv(a, uv_opt(cred.uv));
  if (rc == FIDO_OK) rc = lib().fido_dev_get_assert(dv(dev_), a, pin_text.empty() ? nullptr : pin_text.c_str());
  secure_wipe(pin_text.data(), pin_text.size());
  if (rc != FIDO_OK || lib().fido_assert_count(a) != 1) {
    lib().fido_assert_free(&a);
    return tl::unexpected(translate(rc == FIDO_OK ? FIDO_ERR_INVALID_ARGUMENT : rc, "the assertion"));
  }
  vault::Fido2Assertion out;
  out.auth_data = unwrap_cbor_bytes(lib().fido_assert_authdata_ptr(a, 0), lib().fido_assert_authdata_len(a, 0));
  out.signature.assign(lib().fido_assert_sig_ptr(a, 0), lib().fido_assert_sig_ptr(a, 0) + lib().fido_assert_sig_len(a, 0));
  if (lib().fido_assert_hmac_secret_len(a, 0) == 32) {
    out.hmac_output = SecretBytes::copy_of(ByteView(lib().fido_assert_hmac_secret_ptr(a, 0), 32));
  }
  lib().fido_assert_free(&a);
  return out;
}

bool Fido2Device::pin_set() const { return lib().fido_dev_has_pin(dv(dev_)); }
bool Fido2Device::builtin_uv() const { return lib().fido_dev_has_uv(dv(dev_)); }

Result<bool> Fido2Device::has_credential(const vault::Fido2CredInfo& cred) {
  fido_assert_t* a = lib().fido_assert_new();
  if (a == nullptr) return fail(Errc::crypto, "fido_assert_new failed");
  Bytes cdh = random_bytes(32);
  int rc = lib().fido_assert_set_rp(a, cred.rp_id.c_str());
  if (rc == FIDO_OK) rc = lib().fido_assert_set_clientdata_hash(a, cdh.data(), cdh.size());
  if (rc == FIDO_OK) rc = lib().fido_assert_allow_cred(a, cred.credential_id.data(), cred.credential_id.size());
  if (rc == FIDO_OK) rc = lib().fido_assert_set_up(a, FIDO_OPT_FALSE);
  if (rc == FIDO_OK) rc = lib().fido_dev_get_assert(dv(dev_), a, nullptr);
  lib().fido_assert_free(&a);
  if (rc == FIDO_OK) return true;
  if (rc == FIDO_ERR_NO_CREDENTIALS) return false;
  return tl::unexpected(translate(rc, "probing for the credential"));
}

}  // namespace keyward::hw

// Drives the virtual FIDO2 authenticators through libfido2 1.12 (the library the product will
// use) with a custom I/O shim (fido_dev_set_io_functions) that carries 64-byte CTAPHID reports
// over the simulator's Unix socket. Cross-checks hmac-secret outputs with python-fido2.
//
// usage: hwsim-fido-libfido2-check   (env HWSIM_BIN, HWSIM_STATE; sockets HWSIM_STATE/fido{0,1}.sock)
#include <fido.h>
#include <fido/es256.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;
int g_failures = 0;
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
      ++g_failures;                                                                    \
    }                                                                                  \
  } while (0)
#define CHECK_RC(expr, want)                                                                         \
  do {                                                                                               \
    int rc_ = (expr);                                                                                \
    if (rc_ != (want)) {                                                                             \
      std::fprintf(stderr, "%s:%d: %s -> %s (want %s)\n", __FILE__, __LINE__, #expr, fido_strerr(rc_), \
                   fido_strerr(want));                                                               \
      ++g_failures;                                                                                  \
    }                                                                                                \
  } while (0)

// ---- custom I/O: path "hwsim:<unix socket path>"
void* io_open(const char* path) {
  const char* prefix = "hwsim:";
  if (std::strncmp(path, prefix, std::strlen(prefix)) != 0) return nullptr;
  const char* sock = path + std::strlen(prefix);
  sockaddr_un addr{};
  if (std::strlen(sock) >= sizeof addr.sun_path) return nullptr;
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, sock);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    return nullptr;
  }
  return new int(fd);
}

void io_close(void* h) {
  close(*static_cast<int*>(h));
  delete static_cast<int*>(h);
}

// libfido2 reads one 64-byte report; ms < 0 blocks.
int io_read(void* h, unsigned char* buf, size_t len, int ms) {
  const int fd = *static_cast<int*>(h);
  if (len != 64) return -1;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -1;
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += static_cast<size_t>(n);
  }
  return 64;
}

// libfido2 writes report id (0) + 64 bytes; the socket carries the 64 bytes.
int io_write(void* h, const unsigned char* buf, size_t len) {
  const int fd = *static_cast<int*>(h);
  if (len != 65) return -1;
  size_t sent = 0;
  while (sent < 64) {
    ssize_t n = send(fd, buf + 1 + sent, 64 - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += static_cast<size_t>(n);
  }
  return 65;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) {
    std::fprintf(stderr, "missing environment variable %s\n", name);
    std::exit(2);
  }
  return v;
}

int ctl(const std::string& args) {
  std::string cmd = env("HWSIM_BIN") + " ctl --socket " + env("HWSIM_STATE") + "/ctl.sock " + args + " >/dev/null";
  return std::system(cmd.c_str());
}

fido_dev_t* open_dev(const std::string& sock) {
  static fido_dev_io_t io = {io_open, io_close, io_read, io_write};
  fido_dev_t* dev = fido_dev_new();
  if (fido_dev_set_io_functions(dev, &io) != FIDO_OK) std::exit(2);
  int rc = fido_dev_open(dev, ("hwsim:" + sock).c_str());
  if (rc != FIDO_OK) {
    std::fprintf(stderr, "fido_dev_open(%s): %s\n", sock.c_str(), fido_strerr(rc));
    std::exit(1);
  }
  return dev;
}

void close_dev(fido_dev_t*& dev) {
  fido_dev_close(dev);
  fido_dev_free(&dev);
}

std::string hex(const unsigned char* p, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", p[i]);
    s += b;
  }
  return s;
}

const char* kRp = "io.systemd.cryptsetup";
const unsigned char kZeroCdh[32] = {};

struct Assertion {
  int rc = 0;
  Bytes secret;
  uint8_t flags = 0;
  bool sig_ok = false;
};

Assertion assert_hmac(fido_dev_t* dev, const Bytes& cred_id, const Bytes& salt, const char* pin,
                      const es256_pk_t* pk) {
  Assertion out;
  fido_assert_t* a = fido_assert_new();
  fido_assert_set_rp(a, kRp);
  fido_assert_set_clientdata_hash(a, kZeroCdh, sizeof kZeroCdh);
  fido_assert_allow_cred(a, cred_id.data(), cred_id.size());
  fido_assert_set_extensions(a, FIDO_EXT_HMAC_SECRET);
  fido_assert_set_hmac_salt(a, salt.data(), salt.size());
  out.rc = fido_dev_get_assert(dev, a, pin);
  if (out.rc == FIDO_OK) {
    out.secret.assign(fido_assert_hmac_secret_ptr(a, 0), fido_assert_hmac_secret_ptr(a, 0) + fido_assert_hmac_secret_len(a, 0));
    out.flags = fido_assert_flags(a, 0);
    out.sig_ok = fido_assert_verify(a, 0, COSE_ES256, pk) == FIDO_OK;
  }
  fido_assert_free(&a);
  return out;
}

std::string python_secret(const std::string& sock, const Bytes& cred_id, const Bytes& salt, const char* pin) {
  std::string cmd = "/usr/bin/python3 " + std::string(KEYWARD_HWSIM_SOURCE_DIR) + "/fido_xcheck.py " + sock + " " +
                    kRp + " " + hex(cred_id.data(), cred_id.size()) + " " + hex(salt.data(), salt.size()) +
                    (pin ? std::string(" ") + pin : std::string());
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, p) ? std::string(buf) : std::string();
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

int main() {
  fido_init(FIDO_DISABLE_U2F_FALLBACK);
  const std::string state = env("HWSIM_STATE");
  const std::string sock0 = state + "/fido0.sock", sock1 = state + "/fido1.sock";
  CHECK(ctl("fido1 auto-touch 0") == 0);
  CHECK(ctl("fido0 auto-touch 0") == 0);

  fido_dev_t* dev = open_dev(sock1);
  CHECK(fido_dev_is_fido2(dev));
  CHECK_RC(fido_dev_reset(dev), FIDO_OK);  // known state whatever ran before

  fido_cbor_info_t* info = fido_cbor_info_new();
  CHECK_RC(fido_dev_get_cbor_info(dev, info), FIDO_OK);
  bool hmac_ext = false;
  for (size_t i = 0; i < fido_cbor_info_extensions_len(info); ++i) {
    if (std::string(fido_cbor_info_extensions_ptr(info)[i]) == "hmac-secret") hmac_ext = true;
  }
  CHECK(hmac_ext);
  CHECK(fido_cbor_info_protocols_len(info) == 2 && fido_cbor_info_protocols_ptr(info)[0] == 2);
  Bytes aaguid1(fido_cbor_info_aaguid_ptr(info), fido_cbor_info_aaguid_ptr(info) + fido_cbor_info_aaguid_len(info));
  fido_cbor_info_free(&info);

  // --- make a non-resident ES256 credential with hmac-secret + credProtect, the systemd way
  fido_cred_t* cred = fido_cred_new();
  const unsigned char user_id[] = {'u', 'u', 'i', 'd'};
  fido_cred_set_type(cred, COSE_ES256);
  fido_cred_set_rp(cred, kRp, "Encrypted Volume");
  fido_cred_set_user(cred, user_id, sizeof user_id, "uuid", "/dev/sda2", nullptr);
  fido_cred_set_clientdata_hash(cred, kZeroCdh, sizeof kZeroCdh);
  fido_cred_set_extensions(cred, FIDO_EXT_HMAC_SECRET | FIDO_EXT_CRED_PROTECT);
  fido_cred_set_prot(cred, FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID);
  fido_cred_set_rk(cred, FIDO_OPT_FALSE);
  CHECK_RC(fido_dev_make_cred(dev, cred, nullptr), FIDO_OK);
  CHECK_RC(fido_cred_verify_self(cred), FIDO_OK);  // packed self attestation checks out
  CHECK(fido_cred_prot(cred) == FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID);
  Bytes cred_id(fido_cred_id_ptr(cred), fido_cred_id_ptr(cred) + fido_cred_id_len(cred));
  es256_pk_t* pk = es256_pk_new();
  CHECK_RC(es256_pk_from_ptr(pk, fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred)), FIDO_OK);
  fido_cred_free(&cred);

  Bytes salt(32), salt2(32);
  for (size_t i = 0; i < 32; ++i) {
    salt[i] = static_cast<unsigned char>(i * 7 + 1);
    salt2[i] = static_cast<unsigned char>(255 - i);
  }

  // --- hmac-secret without UV: stable, salt-dependent, signature verifies
  Assertion s1 = assert_hmac(dev, cred_id, salt, nullptr, pk);
  CHECK_RC(s1.rc, FIDO_OK);
  CHECK(s1.secret.size() == 32 && s1.sig_ok);
  CHECK((s1.flags & 0x01) && !(s1.flags & 0x04));
  Assertion s1b = assert_hmac(dev, cred_id, salt, nullptr, pk);
  CHECK(s1b.secret == s1.secret);
  Assertion s2 = assert_hmac(dev, cred_id, salt2, nullptr, pk);
  CHECK(s2.rc == FIDO_OK && s2.secret != s1.secret);

  // --- PIN: set it; with the PIN the UV flag is set and the output differs
  const char* pin = "1234hwsim";
  CHECK_RC(fido_dev_set_pin(dev, pin, nullptr), FIDO_OK);
  Assertion u1 = assert_hmac(dev, cred_id, salt, pin, pk);
  CHECK_RC(u1.rc, FIDO_OK);
  CHECK(u1.sig_ok && (u1.flags & 0x04));
  CHECK(u1.secret.size() == 32 && u1.secret != s1.secret);
  Assertion u1b = assert_hmac(dev, cred_id, salt, pin, pk);
  CHECK(u1b.secret == u1.secret);
  Assertion bad = assert_hmac(dev, cred_id, salt, "wrong-pin", pk);
  CHECK_RC(bad.rc, FIDO_ERR_PIN_INVALID);
  int retries = 0;
  CHECK_RC(fido_dev_get_retry_count(dev, &retries), FIDO_OK);
  CHECK(retries == 7);

  // --- touch: refuse and timeout come back as the CTAP errors a key returns
  CHECK(ctl("fido1 auto-touch off") == 0);
  CHECK(ctl("fido1 touch-timeout 300") == 0);
  CHECK_RC(assert_hmac(dev, cred_id, salt, nullptr, pk).rc, FIDO_ERR_ACTION_TIMEOUT);
  CHECK(ctl("fido1 touch-timeout 30000") == 0);
  CHECK(ctl("fido1 auto-touch 0") == 0);
  close_dev(dev);

  // --- same credential and salt through python-fido2: identical outputs, with and without UV
  CHECK(python_secret(sock1, cred_id, salt, nullptr) == hex(s1.secret.data(), s1.secret.size()));
  CHECK(python_secret(sock1, cred_id, salt, pin) == hex(u1.secret.data(), u1.secret.size()));

  // --- two authenticators at once: distinct devices, credentials do not cross over
  dev = open_dev(sock1);
  fido_dev_t* dev0 = open_dev(sock0);
  fido_cbor_info_t* info0 = fido_cbor_info_new();
  CHECK_RC(fido_dev_get_cbor_info(dev0, info0), FIDO_OK);
  Bytes aaguid0(fido_cbor_info_aaguid_ptr(info0), fido_cbor_info_aaguid_ptr(info0) + fido_cbor_info_aaguid_len(info0));
  fido_cbor_info_free(&info0);
  CHECK(aaguid0 != aaguid1);
  CHECK_RC(assert_hmac(dev0, cred_id, salt, nullptr, pk).rc, FIDO_ERR_NO_CREDENTIALS);
  Assertion again = assert_hmac(dev, cred_id, salt, nullptr, pk);
  CHECK(again.rc == FIDO_OK && again.secret == s1.secret);
  close_dev(dev0);

  CHECK_RC(fido_dev_reset(dev), FIDO_OK);  // leave the authenticator clean
  close_dev(dev);
  es256_pk_free(&pk);
  if (g_failures) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  std::printf("fido_libfido2_check: ok\n");
  return 0;
}

// LD_PRELOAD shim for Yubico's PKCS#11 module (libykcs11 2.2), test use only.
//
// libykcs11 lists a PC/SC reader as a slot only when the reader's name starts with "Yubico"
// (ykcs11/utils.c is_yubico_reader), the way a real YubiKey's reader is named ("Yubico YubiKey
// OTP+FIDO+CCID 00 00"). The simulator's cards sit in vpcd's readers, named by the system's
// /etc/reader.conf.d/vpcd ("Virtual PCD 00 00"), which the tests cannot rename while other
// clients use pcscd. This shim only renames: readers appear as "Yubico Virtual PCD 00 00" to the
// process it is preloaded into, and names passed back in lose the prefix again. Everything else
// (pcscd, vpcd, the card, libykpiv, libykcs11) is the real thing.
#include <dlfcn.h>
#include <winscard.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char kPrefix[] = "Yubico ";
constexpr std::size_t kPrefixLen = sizeof kPrefix - 1;

// The real function: libpcsclite is usually loaded RTLD_LOCAL (dlopen of the PKCS#11 module),
// out of RTLD_NEXT's reach, so ask the library itself.
template <typename F>
F real(const char* name) {
  static void* lib = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_LOCAL);
  void* f = lib ? dlsym(lib, name) : nullptr;
  if (!f) f = dlsym(RTLD_NEXT, name);
  return reinterpret_cast<F>(f);
}

const char* strip(const char* name) {
  if (name && std::strncmp(name, kPrefix, kPrefixLen) == 0) return name + kPrefixLen;
  return name;
}

bool is_special(const char* name) { return name && name[0] == '\\'; }  // "\\?PnP?\Notification"

}  // namespace

extern "C" {

LONG SCardListReaders(SCARDCONTEXT ctx, LPCSTR groups, LPSTR readers, LPDWORD len) {
  using Fn = LONG (*)(SCARDCONTEXT, LPCSTR, LPSTR, LPDWORD);
  static Fn next = real<Fn>("SCardListReaders");
  if (!next) return SCARD_F_INTERNAL_ERROR;
  if (!len || *len == SCARD_AUTOALLOCATE) return next(ctx, groups, readers, len);
  DWORD need = 0;
  LONG rv = next(ctx, groups, nullptr, &need);
  if (rv != SCARD_S_SUCCESS) return rv;
  std::vector<char> raw(need);
  rv = next(ctx, groups, raw.data(), &need);
  if (rv != SCARD_S_SUCCESS) return rv;
  std::string out;
  for (const char* r = raw.data(); r < raw.data() + need && *r; r += std::strlen(r) + 1) {
    out += kPrefix;
    out += r;
    out.push_back('\0');
  }
  out.push_back('\0');
  const DWORD have = *len;
  *len = static_cast<DWORD>(out.size());
  if (!readers) return SCARD_S_SUCCESS;
  if (have < out.size()) return SCARD_E_INSUFFICIENT_BUFFER;
  std::memcpy(readers, out.data(), out.size());
  return SCARD_S_SUCCESS;
}

LONG SCardConnect(SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protocols, LPSCARDHANDLE card,
                  LPDWORD active) {
  using Fn = LONG (*)(SCARDCONTEXT, LPCSTR, DWORD, DWORD, LPSCARDHANDLE, LPDWORD);
  static Fn next = real<Fn>("SCardConnect");
  if (!next) return SCARD_F_INTERNAL_ERROR;
  return next(ctx, strip(reader), share, protocols, card, active);
}

LONG SCardGetStatusChange(SCARDCONTEXT ctx, DWORD timeout, SCARD_READERSTATE* states, DWORD n) {
  using Fn = LONG (*)(SCARDCONTEXT, DWORD, SCARD_READERSTATE*, DWORD);
  static Fn next = real<Fn>("SCardGetStatusChange");
  if (!next) return SCARD_F_INTERNAL_ERROR;
  std::vector<const char*> saved(n);
  for (DWORD i = 0; i < n; ++i) {
    saved[i] = states[i].szReader;
    if (!is_special(states[i].szReader)) states[i].szReader = strip(states[i].szReader);
  }
  LONG rv = next(ctx, timeout, states, n);
  for (DWORD i = 0; i < n; ++i) states[i].szReader = saved[i];
  return rv;
}

LONG SCardStatus(SCARDHANDLE card, LPSTR name, LPDWORD name_len, LPDWORD state, LPDWORD protocol, LPBYTE atr,
                 LPDWORD atr_len) {
  using Fn = LONG (*)(SCARDHANDLE, LPSTR, LPDWORD, LPDWORD, LPDWORD, LPBYTE, LPDWORD);
  static Fn next = real<Fn>("SCardStatus");
  if (!next) return SCARD_F_INTERNAL_ERROR;
  if (!name_len || *name_len == SCARD_AUTOALLOCATE) return next(card, name, name_len, state, protocol, atr, atr_len);
  char buf[MAX_READERNAME];
  DWORD blen = sizeof buf;
  LONG rv = next(card, buf, &blen, state, protocol, atr, atr_len);
  if (rv != SCARD_S_SUCCESS) return rv;
  const std::string full = std::string(kPrefix) + buf;
  const DWORD have = *name_len;
  *name_len = static_cast<DWORD>(full.size() + 1);
  if (!name) return SCARD_S_SUCCESS;
  if (have < full.size() + 1) return SCARD_E_INSUFFICIENT_BUFFER;
  std::memcpy(name, full.c_str(), full.size() + 1);
  return SCARD_S_SUCCESS;
}

}  // extern "C"

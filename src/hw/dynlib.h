// The device libraries (libfido2, libykpiv, libpcsclite) are loaded with dlopen() when a command
// first talks to a device, not by the dynamic loader at every start-up: together with what they
// pull in (libcbor, libudev, libz) they were about half of the shared libraries keyward mapped
// and relocated before main(), a cost every `keyward run` paid (docs/agent.md, "Performance").
// Only src/hw uses this. A missing library or symbol is an error that names the package to
// install; nothing falls back silently.
#pragma once

#include <string>

#include "core/error.h"

namespace keyward::hw::detail {

// dlopen(soname, RTLD_NOW | RTLD_LOCAL) (-z now semantics: every symbol resolved at once).
// `what` names the library for the error message ("libfido2 (FIDO2 keys)"), `package` the
// distribution package that provides it.
Result<void*> open_library(const char* soname, const char* what, const char* package);

// dlsym; Errc::unavailable naming the symbol if the library lacks it (too old).
Result<void*> library_symbol(void* handle, const char* soname, const char* name);

// Resolves `name` into a function pointer of the declared type (decltype(&::name)).
template <class Fn>
Status resolve(Fn& out, void* handle, const char* soname, const char* name) {
  KW_TRY(void* p, library_symbol(handle, soname, name));
  out = reinterpret_cast<Fn>(p);
  return ok();
}

}  // namespace keyward::hw::detail

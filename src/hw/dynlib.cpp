#include "hw/dynlib.h"

#include <dlfcn.h>

namespace keyward::hw::detail {

Result<void*> open_library(const char* soname, const char* what, const char* package) {
  void* h = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    return fail(Errc::unavailable, std::string(what) + " is not installed or cannot be loaded (" +
                                       soname + (why != nullptr ? std::string(": ") + why : "") +
                                       "); install the " + package + " package");
  }
  return h;
}

Result<void*> library_symbol(void* handle, const char* soname, const char* name) {
  ::dlerror();
  void* p = ::dlsym(handle, name);
  if (p == nullptr) {
    return fail(Errc::unavailable, std::string(soname) + " lacks " + name +
                                       " (too old a version); update it");
  }
  return p;
}

}  // namespace keyward::hw::detail

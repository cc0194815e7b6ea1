#include "core/hardening.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace keyward {

Status harden_process() {
  struct rlimit none {};
  none.rlim_cur = 0;
  none.rlim_max = 0;
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return fail(Errc::io, std::string("cannot disable core dumps: ") + std::strerror(errno));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return fail(Errc::io, std::string("cannot mark process non-dumpable: ") + std::strerror(errno));
  }
  return ok();
}

}  // namespace keyward

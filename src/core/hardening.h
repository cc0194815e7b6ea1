// Process hardening for the keyward executables (not for the library: it changes process state).
#pragma once

#include "core/error.h"

namespace keyward {

// No core dumps (RLIMIT_CORE = 0), not dumpable/ptrace-attachable by other same-uid processes
// (PR_SET_DUMPABLE = 0). Call first thing in main().
Status harden_process();

}  // namespace keyward

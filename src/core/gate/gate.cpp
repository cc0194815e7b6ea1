// PLACEHOLDER (coordination only, replaced by the presence-gate work before anything lands on a
// release): every call refuses, so nothing is ever released without the real gate.
#include "core/gate/gate.h"

namespace keyward::gate {

void describe_requester(Request&) {}

Result<Grant> pass(const Request&, const vault::HeaderBody&, const std::vector<vault::Slot>&,
                   const std::string&) {
  return fail(Errc::unavailable, "the presence gate is not built into this keyward");
}

Result<vault::Record> open_high_row(const vault::RecordRow&, const vault::VaultId&, const Grant&) {
  return fail(Errc::unavailable, "the presence gate is not built into this keyward");
}

}  // namespace keyward::gate

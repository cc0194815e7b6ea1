// PLACEHOLDER for coordination (replaced by the presence-gate work): no prompt, no devices.
#include "cli/presence.h"

namespace keyward::cli {

Result<gate::Grant> presence_gate(const Context&, const std::string& vault_label,
                                  const std::string& purpose,
                                  const std::vector<std::string>& coordinates, gate::Level level,
                                  const vault::HeaderBody& header,
                                  const std::vector<vault::Slot>& slots) {
  gate::Request req;
  req.vault_label = vault_label;
  req.vault_id = header.vault_id;
  req.purpose = purpose;
  req.coordinates = coordinates;
  req.level = level;
  gate::describe_requester(req);
  return gate::pass(req, header, slots, {});
}

}  // namespace keyward::cli

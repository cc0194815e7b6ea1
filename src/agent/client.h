// The client end of the agent protocol: one connection, one request, one response, with
// timeouts, and a check that the agent runs under our own uid.
#pragma once

#include <string>

#include "agent/proto.h"
#include "core/fd.h"

namespace keyward::agent {

// Milliseconds a client waits for the agent ($KEYWARD_AGENT_TIMEOUT_MS, default 30000; the agent
// may itself wait up to the vault's lock timeout for a writer).
int client_timeout_ms();

// Connects to the agent. Errors: not_found when no agent listens (no socket, or connection
// refused: a stale socket); unavailable/policy/io for anything else.
Result<Fd> connect_agent(const std::string& socket_path, int timeout_ms);

// Sends `req` and returns the agent's response. The response may itself be an error
// (ok == false); transport failures are errors of this call: not_found (no agent), unavailable
// (the agent died, timed out, or answered something malformed). The whole call is bounded by
// timeout_ms (absolute, not per read). A request without an id gets a random one and the
// deadline of this call; the answer must carry that id. `delivered` (if given) is set once the
// request has been sent in full: from then on the agent may apply it, and a client that gets
// no answer must not do the same change another way (docs/agent.md, "Deadlines").
Result<Response> call(const std::string& socket_path, const Request& req, int timeout_ms,
                      bool* delivered = nullptr);

}  // namespace keyward::agent

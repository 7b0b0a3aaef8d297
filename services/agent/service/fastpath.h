// The rules for giving a pod netaccel's fast path and taking it away again, over whatever
// Dataplanes carries the calls. Every step is idempotent (ADD twice, a reconcile after a
// service restarted) and undoes only what the agent itself did: a veth fwd auto-attached, or
// a cgroup covered by a node-wide sockmap, is left to its owner.
#pragma once

#include <string>
#include <vector>

#include "dataplanes.h"
#include "endpoint_store.h"

namespace netaccel::agent {

struct Wiring {
  FastPath fastpath;
  std::vector<std::string> warnings;  // why a part is on the kernel path (logged, not fatal)
};

// What the endpoint should have now, given what it had; asks the services for it.
Wiring wire(Dataplanes& dp, const Endpoint& e);
// Takes away what wire() recorded as the agent's own; warnings as above.
std::vector<std::string> unwire(Dataplanes& dp, const Endpoint& e);
// For CNI CHECK: the services that run agree with the endpoint's record. A service that is
// not running is no failure (the pod is on the kernel path, or the pinned path survives).
// Returns the warnings, or the first disagreement as an error.
Result<std::vector<std::string>> check(Dataplanes& dp, const Endpoint& e);

}  // namespace netaccel::agent

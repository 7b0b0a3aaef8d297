// Network namespaces: find the namespace a veth peer lives in, and run code inside it.
#pragma once

#include <functional>
#include <string>

#include "netaccel/core/result.h"
#include "netaccel/core/unique_fd.h"

namespace netaccel {

// The nsid our namespace uses for the namespace behind ns_fd (-1 if it has none yet).
Result<int> netns_id_of(int ns_fd);

// Opens the namespace our namespace calls `nsid` (IFLA_LINK_NETNSID of a veth). Looks through
// named namespaces (/run/netns) and every process's namespace.
Result<UniqueFd> open_netns_by_id(int nsid);

// Runs fn with the calling thread inside ns_fd's network namespace, then switches back.
Status run_in_netns(int ns_fd, const std::function<Status()>& fn);

}  // namespace netaccel

// A route to one address (/32 or /128) on-link through one interface, in the caller's network
// namespace: what a node needs to reach an address that lives behind a pod's veth but is not
// in the kernel of the pod (libgazelle's user-stack address).
#pragma once

#include <string>

#include "netaccel/core/result.h"

namespace netaccel {

// Made or replaced (a repeated CNI ADD is not an error); the interface must exist.
Status replace_host_route(const std::string& address, const std::string& ifname);
// Removed; one that is not there (or whose interface is gone) is not an error.
Status delete_host_route(const std::string& address);
// Whether the main table has exactly this host route through `ifname`.
bool has_host_route(const std::string& address, const std::string& ifname);

}  // namespace netaccel

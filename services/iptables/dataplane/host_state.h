// The host facts the data path needs besides the ruleset: which addresses are local
// (addrtype LOCAL, local origin), each interface's primary address (MASQUERADE, REDIRECT) and
// index (interface patterns). Read with getifaddrs; the daemon refreshes them on link events.
#pragma once

#include <map>
#include <string>

#include "address.h"
#include "netaccel/core/result.h"

namespace netaccel::ipt {

struct HostState {
  std::map<std::string, int> ifindex;             // name -> ifindex
  std::map<int, Addr> primary_addr;               // ifindex -> its primary address (IPv6: global if any)
  std::map<Addr, int> local_addrs;                // address of the family -> ifindex
};

Result<HostState> read_host_state(Family f);
// Writes ipt_local_addrs and ipt_iface_addrs.
Status write_host_state(const HostState& h, int local_addrs_fd, int iface_addrs_fd);

}  // namespace netaccel::ipt

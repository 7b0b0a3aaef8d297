// One user stack per interface: the owner holds an flock on stats_dir/if-<name>.lock for its
// lifetime (the kernel drops it when the process dies, however it dies). Whoever gets the lock
// may also remove a steering program a killed predecessor left attached (DPDK's net_af_xdp
// attaches through netlink, which does not end with the process).
#pragma once

#include <string>
#include <vector>

#include "netaccel/core/result.h"
#include "netaccel/core/unique_fd.h"

namespace gazelle {

netaccel::Result<netaccel::UniqueFd> lock_interface(const std::string& stats_dir, const std::string& ifname);
// Detaches a leftover gazelle_steer XDP program from ifname (call with the lock held).
void remove_stale_steering(const std::string& ifname);
// The kernel interface a config drives: xdp_eth_name, or iface= of a DPDK vdev.
std::string interface_of(const std::vector<std::string>& dpdk_args, const std::string& xdp_eth_name);

}  // namespace gazelle

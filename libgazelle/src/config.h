// libgazelle configuration: an INI file whose keys are named after Gazelle's lstack.conf where
// they mean the same thing. Keys may stand before any section (lstack.conf style) or under
// [lstack]. Every error names the file, the key and what was expected.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace gazelle {

enum class Backend { af_xdp, dpdk };

struct Config {
  std::string origin;             // file the config came from
  Backend backend = Backend::af_xdp;
  in_addr_t host_addr = 0;        // be: the user stack's IPv4 address
  in_addr_t mask_addr = 0;        // be
  in_addr_t gateway_addr = 0;     // be; 0 = none (only the local subnet is reachable)
  std::array<uint8_t, 6> devices{};  // MAC to use; all zero = the interface's own
  bool devices_set = false;
  std::string xdp_eth_name;       // interface for AF_XDP (and for DPDK's af_xdp/af_packet vdevs)
  uint32_t xdp_queue_id = 0;
  std::vector<std::string> dpdk_args;
  uint32_t num_cpus = 1;          // stacks per process; only 1 is supported (see README)
  uint32_t tcp_conn_count = 1500; // max concurrent TCP connections of the process
  bool rx_csum_check = true;      // verify IP/TCP/UDP checksums of received frames
  std::string stats_dir = "/run/gazelle";

  bool in_subnet(in_addr_t be_addr) const { return (be_addr & mask_addr) == (host_addr & mask_addr); }
};

// Path from $GAZELLE_CONF, else /etc/gazelle/lstack.conf when it exists, else the CNI plugin's
// file for this process's network namespace when that exists (gazelle/cni_layout.h).
std::string config_path();
// A missing file is not an error: the caller then keeps everything on the kernel stack.
bool config_exists(const std::string& path);
netaccel::Result<Config> load_config(const std::string& path);
netaccel::Result<Config> parse_config(const std::string& text, const std::string& origin);

}  // namespace gazelle

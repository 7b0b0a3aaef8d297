// /etc/netaccel/iptables.conf: which interfaces get the data path, where the ruleset is kept,
// conntrack timeouts.
#pragma once

#include <string>
#include <vector>

#include "conntrack_timeouts.h"
#include "netaccel/core/config.h"
#include "netaccel/core/pins.h"
#include "netaccel/core/result.h"

namespace netaccel::ipt {

struct IptablesConfig {
  std::vector<std::string> interfaces = {"*"};  // names or "eth+" patterns; "*": all but lo
  std::string state_file = "/var/lib/netaccel/iptables.rules";
  bool ipv6 = true;            // the ip6tables ruleset and its data path instance
  std::string state_file6 = "/var/lib/netaccel/ip6tables.rules";
  std::string pin_root = kDefaultPinRoot;
  CtTimeouts timeouts;         // ct_*_timeout keys, seconds
  uint32_t ct_sweep_interval = 5;  // seconds between conntrack sweeps
  bool wants(const std::string& ifname) const;
};

Result<IptablesConfig> parse_iptables_config(const IniConfig& ini);

}  // namespace netaccel::ipt

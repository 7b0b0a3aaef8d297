// /etc/netaccel/sockmap.conf and the vocabulary of netaccel-sockmap's logic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "netaccel/core/config.h"
#include "netaccel/core/pins.h"
#include "sockmap/sockmap_abi.h"

namespace netaccel::sockmap {


// An address prefix whose sockets live on this node (pod CIDR, node address).
struct Prefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  int len = 0;
  bool operator==(const Prefix&) const = default;
};
Result<Prefix> parse_prefix(const std::string& text);
std::string to_string(const Prefix& p);

// Sidecar mode: Istio-style outbound capture without iptables (IPv4).
struct SidecarOptions {
  bool enabled = false;
  uint16_t outbound_port = 15001;  // the local proxy's outbound listener
  uint16_t inbound_port = 15006;   // a pod's sidecar inbound listener
  uint32_t proxy_uid = 1337;       // the proxy's own connections are never redirected
};

struct SockmapConfig {
  std::vector<std::string> cgroups;  // enabled at start; empty: the cgroup v2 root
  std::vector<Prefix> local_prefixes;
  std::string pin_root = kDefaultPinRoot;
  SidecarOptions sidecar;
};

Result<SockmapConfig> parse_sockmap_config(const IniConfig& ini);

// Counter names in the order of enum sm_stat.
const std::array<const char*, SM_STAT__MAX>& stat_names();

}  // namespace netaccel::sockmap

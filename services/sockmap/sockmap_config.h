// /etc/netaccel/sockmap.conf and the vocabulary of netaccel-sockmap's logic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "netaccel/core/config.h"
#include "netaccel/core/pins.h"
#include "netaccel/core/prefix.h"
#include "sockmap/sockmap_abi.h"

namespace netaccel::sockmap {


// Local prefixes: the pod CIDR and node addresses whose sockets live on this node.
using netaccel::Prefix;
using netaccel::parse_prefix;
using netaccel::to_string;

// Sidecar mode: Istio-style outbound capture without iptables (IPv4).
struct SidecarOptions {
  bool enabled = false;
  uint16_t outbound_port = 15001;  // the local proxy's outbound listener
  uint16_t inbound_port = 15006;   // a pod's sidecar inbound listener
  uint32_t proxy_uid = 1337;       // the proxy's own connections are never redirected
};

// Bulk bypass (bpf/sockmap/sm_bulk.h): a socket that sends `bytes` with no reply from its
// peer is left to TCP from then on. `automatic` turns it on only where the kernel isolates
// page tables: the machines where redirected bulk measured slower than TCP.
enum class BulkBypass { automatic, on, off };
struct BulkOptions {
  BulkBypass mode = BulkBypass::automatic;
  uint64_t bytes = uint64_t{4} << 20;
};
// The threshold handed to the BPF program; 0: never bypass.
uint64_t bulk_threshold(const BulkOptions& o, bool page_table_isolation);
// Whether this kernel runs with page-table isolation (vulnerabilities/meltdown says "PTI").
bool kernel_isolates_page_tables(const std::string& meltdown_file = "/sys/devices/system/cpu/vulnerabilities/meltdown");

struct SockmapConfig {
  std::vector<std::string> cgroups;  // enabled at start; empty: the cgroup v2 root
  std::vector<Prefix> local_prefixes;
  std::string pin_root = kDefaultPinRoot;
  SidecarOptions sidecar;
  BulkOptions bulk;
};

Result<SockmapConfig> parse_sockmap_config(const IniConfig& ini);

// Counter names in the order of enum sm_stat.
const std::array<const char*, SM_STAT__MAX>& stat_names();

}  // namespace netaccel::sockmap

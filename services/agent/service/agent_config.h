// /etc/netaccel/agent.conf, section [agent].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netaccel/core/config.h"
#include "netaccel/core/result.h"

namespace netaccel::agent {

struct AgentConfig {
  std::string state_dir = "/var/lib/netaccel/agent";  // objects.yaml and endpoints.json
  uint32_t gc_interval_s = 60;                          // endpoints whose netns is gone are dropped
  bool wire_fastpath = true;  // tell netaccel-fwd and netaccel-sockmap about each pod
  uint32_t cgroup_scan_ms = 500;  // how often pods without a known cgroup are looked for
  // Cluster mode: set, the objects live in etcd and every node's endpoints too.
  std::vector<std::string> etcd_endpoints;  // client URLs of the members, http://host:2379
  std::string etcd_prefix = "/netaccel";    // every key the agents write is under it
  std::string node_name;                    // this node's name in etcd (default: the host name)
  uint32_t endpoint_lease_s = 10;           // a dead node's endpoints go this long after it
  bool cluster_mode() const { return !etcd_endpoints.empty(); }
};

Result<AgentConfig> parse_agent_config(const IniConfig& ini);

}  // namespace netaccel::agent

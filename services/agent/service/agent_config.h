// /etc/netaccel/agent.conf, section [agent].
#pragma once

#include <cstdint>
#include <string>

#include "netaccel/core/config.h"
#include "netaccel/core/result.h"

namespace netaccel::agent {

struct AgentConfig {
  std::string state_dir = "/var/lib/netaccel/agent";  // objects.yaml and endpoints.json
  uint32_t gc_interval_s = 60;                          // endpoints whose netns is gone are dropped
  bool wire_fastpath = true;  // tell netaccel-fwd and netaccel-sockmap about each pod
  uint32_t cgroup_scan_ms = 500;  // how often pods without a known cgroup are looked for
};

Result<AgentConfig> parse_agent_config(const IniConfig& ini);

}  // namespace netaccel::agent

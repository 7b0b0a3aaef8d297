#include "agent_config.h"

#include "netaccel/core/config_schema.h"

namespace netaccel::agent {

Result<AgentConfig> parse_agent_config(const IniConfig& ini) {
  using C = AgentConfig;
  static const auto schema = ConfigSchema<C>("agent")
                                 .path("state_dir", [](C& c) -> std::string& { return c.state_dir; })
                                 .number<uint32_t>("gc_interval_s", [](C& c) -> uint32_t& { return c.gc_interval_s; }, 1, 86400)
                                 .flag("wire_fastpath", [](C& c) -> bool& { return c.wire_fastpath; })
                                 .number<uint32_t>("cgroup_scan_ms", [](C& c) -> uint32_t& { return c.cgroup_scan_ms; }, 50, 600000);
  return schema.parse(ini);
}

}  // namespace netaccel::agent

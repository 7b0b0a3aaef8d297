#include "agent_config.h"

#include "netaccel/core/config_schema.h"

namespace netaccel::agent {

Result<AgentConfig> parse_agent_config(const IniConfig& ini) {
  using C = AgentConfig;
  static const auto schema = ConfigSchema<C>("agent")
                                 .path("state_dir", [](C& c) -> std::string& { return c.state_dir; })
                                 .number<uint32_t>("gc_interval_s", [](C& c) -> uint32_t& { return c.gc_interval_s; }, 1, 86400);
  return schema.parse(ini);
}

}  // namespace netaccel::agent

#include "agent_config.h"

#include <unistd.h>

#include "netaccel/core/config_schema.h"

namespace netaccel::agent {

Result<AgentConfig> parse_agent_config(const IniConfig& ini) {
  using C = AgentConfig;
  static const auto schema = ConfigSchema<C>("agent")
                                 .path("state_dir", [](C& c) -> std::string& { return c.state_dir; })
                                 .number<uint32_t>("gc_interval_s", [](C& c) -> uint32_t& { return c.gc_interval_s; }, 1, 86400)
                                 .flag("wire_fastpath", [](C& c) -> bool& { return c.wire_fastpath; })
                                 .number<uint32_t>("cgroup_scan_ms", [](C& c) -> uint32_t& { return c.cgroup_scan_ms; }, 50, 600000)
                                 .list("etcd_endpoints", [](C& c) -> std::vector<std::string>& { return c.etcd_endpoints; },
                                       [](const std::string& u) { return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0; },
                                       "an http:// or https:// client URL")
                                 .path("etcd_prefix", [](C& c) -> std::string& { return c.etcd_prefix; })
                                 .text("node_name", [](C& c) -> std::string& { return c.node_name; })
                                 .number<uint32_t>("endpoint_lease_s", [](C& c) -> uint32_t& { return c.endpoint_lease_s; }, 2, 3600);
  auto cfg = schema.parse(ini);
  if (!cfg) return cfg;
  if (cfg->node_name.empty()) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    cfg->node_name = host;
  }
  if (cfg->node_name.empty() || cfg->node_name.find('/') != std::string::npos)
    return make_error(Errc::invalid_argument, ini.where("agent", "node_name") + ": '" + cfg->node_name + "' is not a node name");
  while (cfg->etcd_prefix.size() > 1 && cfg->etcd_prefix.back() == '/') cfg->etcd_prefix.pop_back();
  return cfg;
}

}  // namespace netaccel::agent

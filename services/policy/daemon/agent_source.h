// The ClusterSource on the bus: netaccel-agent's Get, ListEndpoints/GetEndpoint and
// ListClusterEndpoints; and its signals, which say when to read again.
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <string>
#include <vector>

#include "cluster_source.h"

namespace netaccel::policy {

class AgentSource : public ClusterSource {
 public:
  explicit AgentSource(sd_bus* bus) : bus_(bus) {}
  ~AgentSource() override;

  Result<std::string> objects(const std::string& kind) override;
  Result<std::vector<EndpointRecord>> local_endpoints() override;
  Result<std::vector<EndpointRecord>> remote_endpoints() override;

  // The agent's etcd members and key prefix; no members while cluster mode is off.
  struct ClusterEtcd {
    std::vector<std::string> endpoints;
    std::string prefix;
  };
  Result<ClusterEtcd> cluster_etcd();

  // `changed` runs after every ObjectChanged, Endpoint* and ClusterEndpointChanged signal and
  // when the agent (re)appears on the bus.
  Status watch(std::function<void()> changed);

 private:
  sd_bus* bus_;
  std::function<void()> changed_;
  std::vector<sd_bus_slot*> slots_;
};

}  // namespace netaccel::policy

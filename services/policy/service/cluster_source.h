// Where netaccel-policy learns the cluster: the agent's objects and endpoints. An interface so
// the service's logic can be tested without a bus; daemon/agent_source.cpp is the real one.
#pragma once

#include <string>
#include <vector>

#include "label_selector.h"
#include "netaccel/core/prefix.h"
#include "netaccel/core/result.h"

namespace netaccel::policy {

// A pod as the CNI plugin registered it (this node's) or as another node's agent published it.
struct EndpointRecord {
  std::string id;  // container/ifname
  std::string ns, name;
  Labels labels;
  std::vector<Prefix> ips;
  std::string host_veth;  // this node's pods only
};

class ClusterSource {
 public:
  virtual ~ClusterSource() = default;
  // Every stored object of `kind` ("Namespace", "Pod", "NetworkPolicy", "Node") as
  // multi-document YAML.
  virtual Result<std::string> objects(const std::string& kind) = 0;
  virtual Result<std::vector<EndpointRecord>> local_endpoints() = 0;
  // Other nodes' pods (cluster mode); empty otherwise.
  virtual Result<std::vector<EndpointRecord>> remote_endpoints() = 0;
};

// The endpoint JSON the agent serves (GetEndpoint, ListClusterEndpoints).
Result<EndpointRecord> parse_endpoint_json(const std::string& json);

}  // namespace netaccel::policy

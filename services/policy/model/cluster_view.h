// What the policy compiler reads from the agent: namespaces and their labels, every pod of the
// cluster (this node's and, in cluster mode, the others') with its addresses, labels and named
// container ports, and the NetworkPolicies. Parsed from the agent's YAML objects.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "label_selector.h"
#include "netaccel/core/prefix.h"
#include "network_policy.h"

namespace netaccel::policy {

struct NamedPort {
  std::string name;
  uint8_t proto = kProtoTcp;
  uint16_t port = 0;
  auto operator<=>(const NamedPort&) const = default;
};

struct PodInfo {
  std::string ns, name;
  Labels labels;
  std::vector<Prefix> ips;       // host prefixes (/32, /128)
  std::vector<NamedPort> ports;  // every container's named ports
  std::string key() const { return ns + "/" + name; }
};

struct NamespaceInfo {
  std::string name;
  Labels labels;  // kubernetes.io/metadata.name included, as the agent stores it
};

struct ClusterView {
  std::map<std::string, NamespaceInfo> namespaces;
  std::vector<PodInfo> pods;
  std::vector<NetworkPolicy> policies;
  std::vector<Prefix> host_ips;  // this node's own addresses: reserved identity "host"
  std::vector<Prefix> node_ips;  // other nodes' addresses (Node objects): "remote-node"
  const NamespaceInfo* find_namespace(const std::string& name) const;
};

Result<PodInfo> parse_pod(const YAML::Node& doc);
Result<NamespaceInfo> parse_namespace(const YAML::Node& doc);

}  // namespace netaccel::policy

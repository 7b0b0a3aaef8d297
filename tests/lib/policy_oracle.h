// A second NetworkPolicy evaluator for the tests: it reads the policies' YAML itself and
// decides each connection straight from the Kubernetes API's wording, with no identities,
// no compiled tables and none of netaccel-policy's parsing. Conformance and unit tests take
// their truth tables from here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace netaccel::test {

struct OraclePod {
  std::string ns, name;
  std::map<std::string, std::string> labels;
  std::vector<std::string> ips;
  struct Port {
    std::string name, protocol;  // "TCP", "UDP", "SCTP"
    int port;
  };
  std::vector<Port> ports;
};

// One NetworkPolicy document. A wrapper because YAML::Node's assignment writes into the node it
// refers to (shared by every copy): assigning OracleClusters, or erasing from their vectors,
// would rewrite the policies of other copies. This one rebinds instead.
struct PolicyDoc {
  YAML::Node node;
  PolicyDoc(YAML::Node n) : node(std::move(n)) {}  // NOLINT: a document is a policy
  PolicyDoc(const PolicyDoc& o) : node(o.node) {}
  PolicyDoc& operator=(const PolicyDoc& o) {
    node.reset(o.node);
    return *this;
  }
};

struct OracleCluster {
  std::map<std::string, std::map<std::string, std::string>> namespaces;  // name → labels
  std::vector<OraclePod> pods;
  std::vector<PolicyDoc> policies;  // NetworkPolicy documents as applied
};

// The API's readings the oracle is built on, for other test-side translators of policies.
bool selector_matches(const YAML::Node& selector, const std::map<std::string, std::string>& labels);
bool policy_has_type(const YAML::Node& policy, const std::string& type);  // policyTypes, defaulted
std::string policy_namespace(const YAML::Node& policy);
std::map<std::string, std::string> namespace_labels(const OracleCluster& c, const std::string& ns);  // with metadata.name

// Is a new connection from `src_ip` to `dst_ip` (protocol "TCP", "UDP", "SCTP" or "ICMP",
// destination `port`) allowed? Addresses that are no pod's are outside the cluster.
bool oracle_allows(const OracleCluster& c, const std::string& src_ip, const std::string& dst_ip, const std::string& protocol, int port);

}  // namespace netaccel::test

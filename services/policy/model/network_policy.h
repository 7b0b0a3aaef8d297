// networking.k8s.io/v1 NetworkPolicy as the compiler and the test oracle read it: selectors
// parsed, policyTypes defaulted as the API server does, ports with their protocol defaulted.
// The agent validated the document's shape; parsing here still names the field it cannot read.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "label_selector.h"
#include "netaccel/core/prefix.h"
#include "netaccel/core/result.h"

namespace netaccel::policy {

enum : uint8_t { kProtoTcp = 6, kProtoUdp = 17, kProtoSctp = 132 };
const char* proto_name(uint8_t proto);  // "TCP", "UDP", "SCTP", else the number

// One entry of a rule's ports: a protocol and every port, one port, a range, or a named port
// that each destination pod resolves through its containerPorts.
struct PortMatch {
  uint8_t proto = kProtoTcp;
  uint16_t port = 0;      // 0: every port of `proto` (unless `name` is set)
  uint16_t end_port = 0;  // 0: just `port`
  std::string name;       // a named port
  bool operator==(const PortMatch&) const = default;
};

struct IpBlock {
  Prefix cidr;
  std::vector<Prefix> except;
  bool contains(const Prefix& host) const;  // in cidr and in no except
  bool operator==(const IpBlock&) const = default;
};

// A from/to entry. podSelector alone: pods of the policy's namespace; namespaceSelector alone:
// every pod of the selected namespaces; both: the selected pods of the selected namespaces.
struct Peer {
  std::optional<LabelSelector> pods, namespaces;
  std::optional<IpBlock> block;
  bool operator==(const Peer&) const = default;
};

// Empty peers: every source/destination; empty ports: every protocol and port.
struct Rule {
  std::vector<Peer> peers;
  std::vector<PortMatch> ports;
  bool operator==(const Rule&) const = default;
};

struct NetworkPolicy {
  std::string ns, name;
  LabelSelector pod_selector;
  bool isolates_ingress = true;  // policyTypes, defaulted: Ingress always, Egress when egress rules exist
  bool isolates_egress = false;
  std::vector<Rule> ingress, egress;
  std::string key() const { return ns + "/" + name; }
  bool operator==(const NetworkPolicy&) const = default;
};

// `doc` is one NetworkPolicy document as the agent stores it.
Result<NetworkPolicy> parse_network_policy(const YAML::Node& doc);

}  // namespace netaccel::policy

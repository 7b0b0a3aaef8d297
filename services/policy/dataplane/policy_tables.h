// A CompiledPolicy lowered to the data path's keys and values (bpf/policy/policy_abi.h):
// addresses as IPv4-mapped IPv6 trie keys, port ranges as trie prefixes, the local endpoints
// by their host-side veth with their policy slots. Pure, so the tests can check it by value;
// BpfPolicyTables writes it into the kernel.
#pragma once

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiled_policy.h"
#include "policy/policy_abi.h"

namespace netaccel::policy {

// A pod of this node: its host-side veth and its slot in the policy arrays (1-based).
struct LocalEndpoint {
  uint32_t ifindex = 0;
  uint32_t slot = 0;
  auto operator<=>(const LocalEndpoint&) const = default;
};

// The byte image of keys, comparable (the kernel's tries compare bytes too).
template <typename K>
struct KeyLess {
  bool operator()(const K& a, const K& b) const { return std::memcmp(&a, &b, sizeof(K)) < 0; }
};
using AddrKeys = std::map<pol_addr_key, pol_addr_val, KeyLess<pol_addr_key>>;
using CidrKeys = std::map<pol_addr_key, pol_cidr_val, KeyLess<pol_addr_key>>;
using RuleKeys = std::set<pol_rule_key, KeyLess<pol_rule_key>>;

struct PolicyTables {
  AddrKeys ipcache;
  CidrKeys cidrs;
  std::map<uint32_t, pol_endpoint> endpoints;  // by ifindex
  std::map<uint32_t, RuleKeys> rules;           // by slot (1-based); absent: no policy selects it
};

pol_addr_key addr_key(const Prefix& p);
Prefix prefix_of(const pol_addr_key& k);  // the inverse, IPv4 for mapped addresses
// The trie keys one entry needs: one for every protocol, one for every port, else the
// aligned blocks that cover [port_lo, port_hi] exactly.
std::vector<pol_rule_key> rule_keys(const PolicyEntry& e);
pol_rule_key isolation_key(Direction d);
// An endpoint's policy map: its isolation markers and every entry's keys; empty when no policy
// selects it (it has no map).
std::optional<RuleKeys> endpoint_rule_keys(const EndpointPolicy& p);

// One pod more, as entries: what PolicyTables gains when a pod whose identity every policy map
// knows already comes (its addresses, and on this node its endpoint and its own policy map).
struct PodEntries {
  std::vector<std::pair<pol_addr_key, pol_addr_val>> addresses;
  uint32_t ifindex = 0;  // 0: another node's pod, addresses only
  pol_endpoint endpoint{};
  std::optional<RuleKeys> rules;  // the endpoint's map, when a policy selects it
};

PolicyTables lower(const CompiledPolicy& c, const std::map<std::string, LocalEndpoint>& local);

}  // namespace netaccel::policy

// What the data path holds, in user space: address → identity (ipcache), ipBlock ranges →
// CIDR identity, and per endpoint the set of (direction, peer identity, protocol, port range)
// it allows, with the flags saying whether a direction is isolated at all. allows() is the
// data path's decision written in C++: the BPF program must agree with it, and it must agree
// with the test oracle that reads the NetworkPolicies directly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netaccel/core/prefix.h"

namespace netaccel::policy {

enum class Direction : uint8_t { ingress = 0, egress = 1 };
const char* direction_name(Direction d);

struct PolicyEntry {
  Direction dir = Direction::ingress;
  uint32_t identity = 0;  // kIdentityAny: every peer
  uint8_t proto = 0;      // 0: every protocol and port
  uint16_t port_lo = 0, port_hi = 0;
  auto operator<=>(const PolicyEntry&) const = default;
};

struct EndpointPolicy {
  bool isolated[2] = {false, false};       // by Direction
  std::vector<std::string> isolated_by[2];  // the policies that select it, "ns/name"
  std::set<PolicyEntry> entries;
  bool operator==(const EndpointPolicy&) const = default;
};

struct AddressIdentity {
  Prefix prefix;
  uint32_t identity = 0;
};

struct CompiledPolicy {
  std::vector<AddressIdentity> ipcache;  // host prefixes of pods and nodes
  std::vector<AddressIdentity> cidrs;    // ipBlock partition (longest prefix wins)
  std::map<std::string, EndpointPolicy> endpoints;  // by pod "ns/name"
  std::map<std::string, uint32_t> pod_identity;      // by pod "ns/name"
  std::map<std::string, std::vector<Prefix>> pod_addresses;
  std::map<uint32_t, std::string> identity_names;    // every identity in use, for people

  uint32_t address_identity(const Prefix& host) const;            // kIdentityWorld if unknown
  std::optional<uint32_t> cidr_identity(const Prefix& host) const;  // most specific range
  // The data path's verdict for one packet of a new connection at `endpoint`, in direction
  // `dir`, from or to `peer`. `port` is empty when the packet has no readable port (a later
  // fragment, ICMP): then only entries for every protocol, or every port of its protocol, match.
  bool allows(const std::string& endpoint, Direction dir, const Prefix& peer, uint8_t proto, std::optional<uint16_t> port) const;
};

}  // namespace netaccel::policy

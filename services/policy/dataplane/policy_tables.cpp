#include "policy_tables.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace netaccel::policy {

pol_addr_key addr_key(const Prefix& p) {
  pol_addr_key k{};
  if (p.family == AF_INET) {
    k.addr[10] = k.addr[11] = 0xff;
    std::memcpy(k.addr + 12, p.addr.data(), 4);
    k.prefixlen = POL_ADDR_PREFIX_BITS(p.len);
  } else {
    std::memcpy(k.addr, p.addr.data(), 16);
    k.prefixlen = p.len;
  }
  return k;
}

Prefix prefix_of(const pol_addr_key& k) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  Prefix p;
  if (k.prefixlen >= 96 && std::memcmp(k.addr, mapped, 12) == 0) {
    p.family = AF_INET;
    std::memcpy(p.addr.data(), k.addr + 12, 4);
    p.len = static_cast<int>(k.prefixlen - 96);
  } else {
    p.family = AF_INET6;
    std::memcpy(p.addr.data(), k.addr, 16);
    p.len = static_cast<int>(k.prefixlen);
  }
  return p;
}

namespace {

pol_rule_key base_key(uint32_t prefixlen, uint32_t identity, Direction d, uint8_t proto, uint16_t port) {
  pol_rule_key k{};
  k.prefixlen = prefixlen;
  k.identity = htonl(identity);
  k.dir = static_cast<uint8_t>(d);
  k.proto = proto;
  k.port = htons(port);
  return k;
}

}  // namespace

std::vector<pol_rule_key> rule_keys(const PolicyEntry& e) {
  if (e.proto == 0) return {base_key(POL_RULE_BITS_ANY_PROTO, e.identity, e.dir, 0, 0)};
  if (e.port_lo == 0 && e.port_hi == 65535) return {base_key(POL_RULE_BITS_ANY_PORT, e.identity, e.dir, e.proto, 0)};
  std::vector<pol_rule_key> out;
  uint32_t lo = e.port_lo, hi = e.port_hi;
  while (lo <= hi) {
    // The largest block that starts at lo (aligned) and ends within hi.
    uint32_t bits = 0;
    while (bits < 16 && (lo & ((2u << bits) - 1)) == 0 && lo + (2u << bits) - 1 <= hi) ++bits;
    out.push_back(base_key(POL_RULE_BITS_FULL - bits, e.identity, e.dir, e.proto, static_cast<uint16_t>(lo)));
    lo += 1u << bits;
  }
  return out;
}

pol_rule_key isolation_key(Direction d) { return base_key(POL_RULE_BITS_ANY_PROTO, POL_ID_ISOLATED, d, 0, 0); }

std::optional<RuleKeys> endpoint_rule_keys(const EndpointPolicy& p) {
  if (!p.isolated[0] && !p.isolated[1]) return std::nullopt;
  RuleKeys keys;
  for (int d = 0; d < 2; ++d)
    if (p.isolated[d]) keys.insert(isolation_key(static_cast<Direction>(d)));
  for (const auto& e : p.entries)
    for (const auto& k : rule_keys(e)) keys.insert(k);
  return keys;
}

PolicyTables lower(const CompiledPolicy& c, const std::map<std::string, LocalEndpoint>& local) {
  PolicyTables t;
  for (const auto& a : c.ipcache) t.ipcache[addr_key(a.prefix)] = pol_addr_val{a.identity, 0};
  for (const auto& [pod, ep] : local) {
    auto id = c.pod_identity.find(pod);
    if (id == c.pod_identity.end()) continue;  // no Pod object yet: nothing to enforce for it
    t.endpoints[ep.ifindex] = pol_endpoint{ep.slot, id->second};
    if (auto pol = c.endpoints.find(pod); pol != c.endpoints.end())
      if (auto keys = endpoint_rule_keys(pol->second)) t.rules[ep.slot] = std::move(*keys);
  }
  // Local pods' addresses carry their slot, so a packet to them finds their ingress policy.
  for (const auto& [pod, ep] : local) {
    auto addrs = c.pod_addresses.find(pod);
    if (addrs == c.pod_addresses.end() || !c.pod_identity.count(pod)) continue;
    for (const auto& a : addrs->second) t.ipcache[addr_key(a)].endpoint = ep.slot;
  }
  for (const auto& cidr : c.cidrs) t.cidrs[addr_key(cidr.prefix)] = pol_cidr_val{cidr.identity};
  return t;
}

}  // namespace netaccel::policy

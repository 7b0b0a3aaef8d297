#include "compiled_policy.h"

#include "identity.h"

namespace netaccel::policy {

const char* direction_name(Direction d) { return d == Direction::ingress ? "ingress" : "egress"; }

uint32_t CompiledPolicy::address_identity(const Prefix& host) const {
  for (const auto& a : ipcache)
    if (a.prefix == host) return a.identity;
  return kIdentityWorld;
}

std::optional<uint32_t> CompiledPolicy::cidr_identity(const Prefix& host) const {
  const AddressIdentity* best = nullptr;
  for (const auto& c : cidrs)
    if (c.prefix.contains(host) && (!best || c.prefix.len > best->prefix.len)) best = &c;
  if (!best) return std::nullopt;
  return best->identity;
}

bool CompiledPolicy::allows(const std::string& endpoint, Direction dir, const Prefix& peer, uint8_t proto, std::optional<uint16_t> port) const {
  auto ep = endpoints.find(endpoint);
  if (ep == endpoints.end() || !ep->second.isolated[static_cast<int>(dir)]) return true;
  std::vector<uint32_t> ids{kIdentityAny, address_identity(peer)};
  if (auto c = cidr_identity(peer)) ids.push_back(*c);
  for (const auto& e : ep->second.entries) {
    if (e.dir != dir) continue;
    bool id_matches = false;
    for (uint32_t id : ids) id_matches |= e.identity == id;
    if (!id_matches) continue;
    if (e.proto == 0) return true;
    if (e.proto != proto) continue;
    // A packet without a readable port (a later fragment) matches only "every port".
    if (port ? *port >= e.port_lo && *port <= e.port_hi : e.port_lo == 0 && e.port_hi == 65535) return true;
  }
  return false;
}

}  // namespace netaccel::policy

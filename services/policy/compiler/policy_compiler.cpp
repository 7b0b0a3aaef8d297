#include "policy_compiler.h"

#include <algorithm>

namespace netaccel::policy {

namespace {

std::string block_text(const IpBlock& b) {
  std::string s = to_string(b.cidr);
  for (const auto& e : b.except) s += " except " + to_string(e);
  return s;
}

// Every ipBlock of every policy, each distinct block once.
std::vector<IpBlock> all_blocks(const ClusterView& view) {
  std::vector<IpBlock> out;
  auto add = [&](const std::vector<Rule>& rules) {
    for (const auto& r : rules)
      for (const auto& p : r.peers)
        if (p.block && std::find(out.begin(), out.end(), *p.block) == out.end()) out.push_back(*p.block);
  };
  for (const auto& p : view.policies) {
    add(p.ingress);
    add(p.egress);
  }
  return out;
}

struct Compiler {
  const ClusterView& view;
  IdentityAllocator& identities;
  CidrIdentities& cidr_ids;
  CompiledPolicy out;
  std::map<uint32_t, IdentityLabels> pod_ids;           // identity → its labels
  std::vector<IpBlock> blocks;                          // index = block number
  std::map<uint32_t, std::set<size_t>> cidr_members;    // CIDR identity → blocks it is in

  Status add_pods() {
    for (const auto& pod : view.pods) {
      IdentityLabels labels = identity_labels(pod, view.find_namespace(pod.ns));
      auto acquired = identities.acquire(labels);
      if (!acquired) return Error{acquired.error().code, "the identity of pod " + pod.key() + ": " + acquired.error().message};
      uint32_t id = *acquired;
      pod_ids.emplace(id, labels);
      out.pod_identity[pod.key()] = id;
      out.pod_addresses[pod.key()] = pod.ips;
      out.identity_names[id] = labels.to_string();
      for (const auto& ip : pod.ips) out.ipcache.push_back({ip, id});
    }
    for (const auto& ip : view.host_ips) out.ipcache.push_back({ip, kIdentityHost});
    for (const auto& ip : view.node_ips) out.ipcache.push_back({ip, kIdentityRemoteNode});
    return {};
  }

  // Each cidr and except is a range of the partition; its identity is the set of blocks whose
  // cidr holds it and none of whose excepts do. Longest prefix wins in the lookup, so an
  // address gets the identity of the most specific range that holds it, which is exactly the
  // set of blocks that hold the address (ranges nest or are disjoint).
  void add_cidrs() {
    blocks = all_blocks(view);
    std::vector<Prefix> ranges;
    for (const auto& b : blocks) {
      ranges.push_back(b.cidr);
      ranges.insert(ranges.end(), b.except.begin(), b.except.end());
    }
    std::vector<Prefix> unique;
    for (const auto& r : ranges)
      if (std::find(unique.begin(), unique.end(), r) == unique.end()) unique.push_back(r);
    for (const auto& r : unique) {
      std::set<size_t> members;
      std::string key;
      for (size_t i = 0; i < blocks.size(); ++i)
        if (blocks[i].contains(r)) {  // r's first address stands for all of r here
          members.insert(i);
          key += block_text(blocks[i]) + ";";
        }
      uint32_t id = members.empty() ? kIdentityWorld : cidr_ids.acquire(key);
      out.cidrs.push_back({r, id});
      if (!members.empty()) {
        cidr_members[id] = members;
        out.identity_names[id] = "cidr " + key.substr(0, key.size() - 1);
      }
    }
  }

  bool selects(const Peer& peer, const std::string& policy_ns, const IdentityLabels& id) const {
    if (peer.namespaces ? !peer.namespaces->matches(id.ns_labels) : id.ns != policy_ns) return false;
    return !peer.pods || peer.pods->matches(id.pod_labels);
  }

  // The identities a rule's peers name; {kIdentityAny} when it names none.
  std::set<uint32_t> peer_identities(const Rule& rule, const std::string& policy_ns) const {
    if (rule.peers.empty()) return {kIdentityAny};
    std::set<uint32_t> ids;
    for (size_t pi = 0; pi < rule.peers.size(); ++pi) {
      const Peer& peer = rule.peers[pi];
      if (peer.block) {
        size_t b = std::find(blocks.begin(), blocks.end(), *peer.block) - blocks.begin();
        for (const auto& [id, members] : cidr_members)
          if (members.count(b)) ids.insert(id);
        continue;
      }
      for (const auto& [id, labels] : pod_ids)
        if (selects(peer, policy_ns, labels)) ids.insert(id);
    }
    return ids;
  }

  static std::optional<uint16_t> resolve(const std::vector<NamedPort>& ports, const PortMatch& m) {
    for (const auto& p : ports)
      if (p.name == m.name && p.proto == m.proto) return p.port;
    return std::nullopt;
  }

  void add_rule(EndpointPolicy& ep, Direction dir, const Rule& rule, const std::string& policy_ns, const PodInfo& pod) {
    std::set<uint32_t> peers = peer_identities(rule, policy_ns);
    if (rule.ports.empty()) {
      for (uint32_t id : peers) ep.entries.insert({dir, id, 0, 0, 0});
      return;
    }
    for (const auto& m : rule.ports) {
      if (m.name.empty()) {
        uint16_t lo = m.port ? m.port : 0, hi = m.port ? (m.end_port ? m.end_port : m.port) : 65535;
        for (uint32_t id : peers) ep.entries.insert({dir, id, m.proto, lo, hi});
        continue;
      }
      if (dir == Direction::ingress) {  // the destination is this pod
        if (auto port = resolve(pod.ports, m))
          for (uint32_t id : peers) ep.entries.insert({dir, id, m.proto, *port, *port});
        continue;
      }
      // Egress: each destination pod resolves the name; an identity carries its named ports.
      // Addresses that are not pods (ipBlocks, world) have no named ports.
      for (uint32_t id : peers) {
        std::vector<uint32_t> targets;
        if (id == kIdentityAny)
          for (const auto& [pid, _] : pod_ids) targets.push_back(pid);
        else if (pod_ids.count(id))
          targets.push_back(id);
        for (uint32_t t : targets)
          if (auto port = resolve(pod_ids.at(t).ports, m)) ep.entries.insert({dir, t, m.proto, *port, *port});
      }
    }
  }

  void add_endpoints() {
    for (const auto& pod : view.pods) {
      EndpointPolicy ep;
      for (const auto& p : view.policies) {
        if (p.ns != pod.ns || !p.pod_selector.matches(pod.labels)) continue;
        if (p.isolates_ingress) {
          ep.isolated[0] = true;
          ep.isolated_by[0].push_back(p.key());
          for (const auto& r : p.ingress) add_rule(ep, Direction::ingress, r, p.ns, pod);
        }
        if (p.isolates_egress) {
          ep.isolated[1] = true;
          ep.isolated_by[1].push_back(p.key());
          for (const auto& r : p.egress) add_rule(ep, Direction::egress, r, p.ns, pod);
        }
      }
      out.endpoints[pod.key()] = std::move(ep);
    }
  }
};

}  // namespace

uint32_t CidrIdentities::acquire(const std::string& membership) {
  if (auto it = by_key_.find(membership); it != by_key_.end()) return it->second;
  std::set<uint32_t> used;
  for (const auto& [_, id] : by_key_) used.insert(id);
  uint32_t id = kFirstCidrIdentity;
  while (used.count(id)) ++id;
  by_key_.emplace(membership, id);
  return id;
}

void CidrIdentities::retain(const std::set<uint32_t>& used) {
  std::erase_if(by_key_, [&](const auto& kv) { return !used.count(kv.second); });
}

Result<CompiledPolicy> compile(const ClusterView& view, IdentityAllocator& identities, CidrIdentities& cidr_ids, const CompileLimits& limits) {
  Compiler c{view, identities, cidr_ids, {}, {}, {}, {}};
  if (auto st = c.add_pods(); !st) return st.error();
  c.add_cidrs();
  if (c.out.cidrs.size() > limits.cidrs)
    return make_error(Errc::invalid_argument, "ipBlocks need " + std::to_string(c.out.cidrs.size()) + " address ranges, the data path holds " +
                                                  std::to_string(limits.cidrs));
  c.add_endpoints();
  for (const auto& [pod, ep] : c.out.endpoints)
    if (ep.entries.size() > limits.entries_per_endpoint)
      return make_error(Errc::invalid_argument, "pod " + pod + " needs " + std::to_string(ep.entries.size()) +
                                                    " policy entries, its policy map holds " + std::to_string(limits.entries_per_endpoint));
  std::set<uint32_t> pod_used, cidr_used;
  for (const auto& [id, _] : c.pod_ids) pod_used.insert(id);
  for (const auto& [id, _] : c.cidr_members) cidr_used.insert(id);
  identities.retain(pod_used);
  cidr_ids.retain(cidr_used);
  return std::move(c.out);
}

}  // namespace netaccel::policy

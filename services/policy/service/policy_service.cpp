#include "policy_service.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "view_builder.h"

namespace netaccel::policy {

namespace {

// This node's own addresses: the reserved identity "host".
std::vector<Prefix> host_addresses() {
  std::vector<Prefix> out;
  ifaddrs* ifa = nullptr;
  if (getifaddrs(&ifa) != 0) return out;
  for (ifaddrs* i = ifa; i; i = i->ifa_next) {
    if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)) continue;
    Prefix p;
    p.family = i->ifa_addr->sa_family;
    if (p.family == AF_INET) {
      std::memcpy(p.addr.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
      p.len = 32;
    } else {
      std::memcpy(p.addr.data(), &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, 16);
      p.len = 128;
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  freeifaddrs(ifa);
  return out;
}

std::string ports_text(const std::vector<PolicyEntry>& es) {
  std::string out;
  for (const auto& e : es) {
    if (!out.empty()) out += ", ";
    if (e.proto == 0) out += "every protocol and port";
    else if (e.port_lo == 0 && e.port_hi == 65535) out += std::string(proto_name(e.proto)) + " every port";
    else if (e.port_lo == e.port_hi) out += std::string(proto_name(e.proto)) + " " + std::to_string(e.port_lo);
    else out += std::string(proto_name(e.proto)) + " " + std::to_string(e.port_lo) + "-" + std::to_string(e.port_hi);
  }
  return out;
}

}  // namespace

PolicyService::PolicyService(ClusterSource& source, Enforcer& enforcer, const PolicyConfig& cfg)
    : source_(source), enforcer_(enforcer), cfg_(cfg), previous_slots_(enforcer.previous_slots()) {}

void PolicyService::use_identities(std::unique_ptr<IdentityAllocator> ids, bool cluster_wide) {
  identities_ = std::move(ids);
  cluster_ids_ = cluster_wide;
}

Status PolicyService::resync() {
  auto built = build_view(source_);
  if (!built) {
    last_error_ = built.error().what();
    return built.error();
  }
  return apply(std::move(*built));
}

Status PolicyService::add_endpoint(const std::string& json) {
  auto ep = parse_endpoint_json(json);
  if (!ep) return ep.error();
  if (!last_view_) return resync();  // nothing to add it to yet: read everything
  auto quick = add_known_identity(*ep);
  if (!quick) {
    last_error_ = quick.error().what();
    return quick.error();
  }
  if (*quick) return {};
  BuiltView b = *last_view_;
  add_local_endpoint(b, *ep);
  return apply(std::move(b));
}

Status PolicyService::prepare_for_adds() {
  if (!last_view_) return {};
  constexpr size_t kReadySlots = 4;  // a burst of pods larger than this waits on grace periods
  std::set<uint32_t> used, next;
  for (const auto& [_, l] : local_) used.insert(l.slot);
  for (uint32_t s = 1; s <= POL_MAX_ENDPOINTS && next.size() < kReadySlots; ++s)
    if (!used.count(s)) next.insert(s);
  return enforcer_.prepare_slots(next);
}

// A pod of an identity in use is, to every policy, one more address of that identity: its
// own policy is its identity's (namespace, labels and named ports make both), so it is
// copied, and only the pod's own entries are written. The whole apply that a later resync
// makes finds the same tables and changes nothing.
Result<bool> PolicyService::add_known_identity(const EndpointRecord& ep) {
  const std::string key = (ep.ns.empty() ? "default" : ep.ns) + "/" + ep.name;
  const ClusterView& view = last_view_->view;
  PodInfo pod{ep.ns.empty() ? "default" : ep.ns, ep.name, ep.labels, ep.ips, {}};
  if (last_view_->object_pods.count(key)) {
    // Its Pod object came first: the object's labels and ports, the runtime's addresses.
    auto it = std::find_if(view.pods.begin(), view.pods.end(), [&](const PodInfo& p) { return p.key() == key; });
    if (it == view.pods.end() || !it->ips.empty()) return false;
    pod.labels = it->labels;
    pod.ports = it->ports;
  } else if (compiled_.pod_identity.count(key)) {
    return false;  // registered again: it may have new labels
  }
  if (local_.count(key) || ep.host_veth.empty()) return false;
  const unsigned ifindex = if_nametoindex(ep.host_veth.c_str());
  if (!ifindex) return false;
  auto id = identities_->lookup(identity_labels(pod, view.find_namespace(pod.ns)));
  if (!id) return false;
  const EndpointPolicy* policy = nullptr;
  for (const auto& [other, other_id] : compiled_.pod_identity)
    if (other_id == *id) {
      policy = &compiled_.endpoints.at(other);
      break;
    }
  if (!policy) return false;
  std::set<uint32_t> used;
  for (const auto& [_, l] : local_) used.insert(l.slot);
  uint32_t slot = 1;
  while (used.count(slot)) ++slot;
  if (slot > POL_MAX_ENDPOINTS) return false;
  PodEntries entries;
  entries.ifindex = ifindex;
  entries.endpoint = pol_endpoint{slot, *id};
  entries.rules = endpoint_rule_keys(*policy);
  if (entries.rules && entries.rules->size() > cfg_.policy_map_entries) return false;  // the whole apply names the error
  for (const auto& ip : pod.ips) entries.addresses.push_back({addr_key(ip), pol_addr_val{*id, slot}});
  if (auto st = enforcer_.add_pod(entries); !st) {
    if (st.error().code == make_error_code(Errc::already_exists)) return false;
    return st.error();
  }
  if (auto st = enforcer_.attach(ifindex); !st) return st.error();
  compiled_.endpoints[key] = *policy;
  compiled_.pod_identity[key] = *id;
  compiled_.pod_addresses[key] = pod.ips;
  for (const auto& ip : pod.ips) compiled_.ipcache.push_back({ip, *id});
  local_[key] = {ifindex, slot};
  veths_[key] = ep.host_veth;
  add_local_endpoint(*last_view_, ep);
  last_error_.clear();
  return true;
}

Status PolicyService::apply(BuiltView built_view) {
  auto built = &built_view;
  const BuiltView as_read = built_view;
  ClusterView& view = built->view;
  view.host_ips = host_addresses();
  std::erase_if(view.node_ips, [&](const Prefix& p) { return std::find(view.host_ips.begin(), view.host_ips.end(), p) != view.host_ips.end(); });
  // A pod's address is the pod's, even where it is also an address of this host's namespace.
  std::erase_if(view.host_ips, [&](const Prefix& p) {
    for (const auto& pod : view.pods)
      if (std::find(pod.ips.begin(), pod.ips.end(), p) != pod.ips.end()) return true;
    return false;
  });
  CompileLimits limits;
  limits.entries_per_endpoint = cfg_.policy_map_entries;
  auto compiled = compile(view, *identities_, cidr_ids_, limits);
  if (!compiled) {
    last_error_ = compiled.error().what();
    return compiled.error();
  }
  // This node's pods whose veth exists here. A pod keeps its slot while it keeps its veth; a
  // new one takes the slot a previous run pinned for its veth, else the lowest free one.
  std::map<std::string, LocalEndpoint> next;
  std::map<std::string, unsigned> ifindexes;
  std::set<uint32_t> used;
  for (const auto& [pod, veth] : built->local_veths) {
    unsigned ifindex = veth.empty() ? 0 : if_nametoindex(veth.c_str());
    if (!ifindex) continue;  // gone already: garbage the agent will collect
    ifindexes[pod] = ifindex;
    if (auto old = local_.find(pod); old != local_.end() && old->second.ifindex == ifindex) {
      next[pod] = old->second;
      used.insert(old->second.slot);
    }
  }
  for (const auto& [pod, ifindex] : ifindexes) {
    if (next.count(pod)) continue;
    uint32_t slot = 0;
    if (auto prev = previous_slots_.find(ifindex); prev != previous_slots_.end() && !used.count(prev->second)) slot = prev->second;
    for (uint32_t s = 1; !slot; ++s)
      if (!used.count(s)) slot = s;
    used.insert(slot);
    next[pod] = {ifindex, slot};
  }
  PolicyTables tables = lower(*compiled, next);
  for (const auto& [pod, ep] : next)
    if (auto keys = tables.rules.find(ep.slot); keys != tables.rules.end() && keys->second.size() > cfg_.policy_map_entries) {
      Error e = make_error(Errc::invalid_argument, "pod " + pod + " needs " + std::to_string(keys->second.size()) +
                                                       " policy-map keys, its map holds " + std::to_string(cfg_.policy_map_entries) +
                                                       " (policy_map_entries); the previous policy stays in force");
      last_error_ = e.what();
      return e;
    }
  if (auto st = enforcer_.install(tables); !st) {
    last_error_ = st.error().what();
    return st;
  }
  local_ = std::move(next);
  compiled_ = std::move(*compiled);
  last_view_ = as_read;
  veths_ = std::move(built->local_veths);
  policies_ = view.policies.size();
  previous_slots_.clear();
  // Programs after tables: a veth is enforced from its first packet on the new state. Old
  // veths lose their programs after their entries are gone (they pass meanwhile).
  std::set<uint32_t> want;
  for (const auto& [pod, ep] : local_) {
    want.insert(ep.ifindex);
    if (auto st = enforcer_.attach(ep.ifindex); !st) {
      last_error_ = st.error().what();
      return st;
    }
  }
  for (uint32_t ifindex : enforcer_.attached())
    if (!want.count(ifindex)) (void)enforcer_.detach(ifindex);
  last_error_.clear();
  return {};
}

std::vector<EndpointSummary> PolicyService::endpoints() const {
  std::vector<EndpointSummary> out;
  for (const auto& [pod, ep] : local_) {
    EndpointSummary s{pod, veths_.count(pod) ? veths_.at(pod) : "", 0, ep.slot};
    if (auto id = compiled_.pod_identity.find(pod); id != compiled_.pod_identity.end()) s.identity = id->second;
    if (auto p = compiled_.endpoints.find(pod); p != compiled_.endpoints.end()) {
      s.isolated_ingress = p->second.isolated[0];
      s.isolated_egress = p->second.isolated[1];
    }
    out.push_back(s);
  }
  return out;
}

std::vector<std::pair<uint32_t, std::string>> PolicyService::identities() const {
  std::vector<std::pair<uint32_t, std::string>> out;
  for (uint32_t id : {kIdentityHost, kIdentityWorld, kIdentityRemoteNode}) out.emplace_back(id, reserved_identity_name(id));
  for (const auto& [id, name] : compiled_.identity_names) out.emplace_back(id, name);
  return out;
}

std::string PolicyService::identity_name(uint32_t id) const {
  if (const char* r = reserved_identity_name(id)) return r;
  auto it = compiled_.identity_names.find(id);
  return it == compiled_.identity_names.end() ? "identity " + std::to_string(id) : it->second;
}

std::string PolicyService::pod_in_slot(uint32_t slot) const {
  for (const auto& [pod, ep] : local_)
    if (ep.slot == slot) return pod;
  return "";
}

std::vector<std::string> PolicyService::isolating_policies(const std::string& pod, Direction d) const {
  auto p = compiled_.endpoints.find(pod);
  return p == compiled_.endpoints.end() ? std::vector<std::string>{} : p->second.isolated_by[static_cast<int>(d)];
}

Result<std::string> PolicyService::describe(const std::string& pod) const {
  auto id = compiled_.pod_identity.find(pod);
  if (id == compiled_.pod_identity.end()) return make_error(Errc::not_found, "pod " + pod + " is not known to netaccel-policy");
  std::string out = "pod " + pod + " (identity " + std::to_string(id->second) + ": " + identity_name(id->second) + ")\n";
  auto ep = compiled_.endpoints.find(pod);
  for (Direction d : {Direction::ingress, Direction::egress}) {
    const int i = static_cast<int>(d);
    if (ep == compiled_.endpoints.end() || !ep->second.isolated[i]) {
      out += std::string(direction_name(d)) + ": unrestricted (no policy selects it)\n";
      continue;
    }
    std::string by;
    for (const auto& p : ep->second.isolated_by[i]) by += (by.empty() ? "" : ", ") + p;
    out += std::string(direction_name(d)) + ": isolated by " + by + "\n";
    std::map<uint32_t, std::vector<PolicyEntry>> by_peer;
    for (const auto& e : ep->second.entries)
      if (e.dir == d) by_peer[e.identity].push_back(e);
    if (by_peer.empty()) out += "  allows nothing\n";
    for (const auto& [peer, entries] : by_peer)
      out += std::string("  ") + (d == Direction::ingress ? "from " : "to ") +
             (peer == kIdentityAny ? std::string("anyone") : identity_name(peer) + " [" + std::to_string(peer) + "]") + ": " +
             ports_text(entries) + "\n";
  }
  return out;
}

}  // namespace netaccel::policy

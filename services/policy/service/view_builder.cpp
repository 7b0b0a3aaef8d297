#include "view_builder.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <unordered_map>

namespace netaccel::policy {

namespace {

// Every document of a multi-document YAML text.
Result<std::vector<YAML::Node>> documents(const std::string& kind, const std::string& text) {
  try {
    std::vector<YAML::Node> docs;
    for (auto& d : YAML::LoadAll(text))
      if (d && !d.IsNull()) docs.push_back(d);
    return docs;
  } catch (const YAML::Exception& e) {
    return make_error(Errc::parse_error, "the agent's " + kind + " objects: " + e.what());
  }
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_all(ClusterSource& source, const std::string& kind, Parse parse) {
  auto text = source.objects(kind);
  if (!text) return text.error();
  auto docs = documents(kind, *text);
  if (!docs) return docs.error();
  std::vector<T> out;
  for (const auto& d : *docs) {
    auto v = parse(d);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

// A Node's addresses (status.addresses[].address) that are IPs.
Result<std::vector<Prefix>> node_addresses(const YAML::Node& doc) {
  std::vector<Prefix> out;
  const YAML::Node status = doc["status"];  // optional; indexing a missing node throws
  if (auto a = status ? status["addresses"] : YAML::Node(); a && a.IsSequence())
    for (const auto& x : a)
      if (x["address"])
        if (auto p = parse_prefix(x["address"].Scalar()); p) out.push_back(*p);
  return out;
}

}  // namespace

// An endpoint without a Pod object becomes one; with one, the object's labels and ports stand
// and the endpoint adds the addresses the runtime gave.
namespace {
void add_addresses(PodInfo& pod, const std::vector<Prefix>& ips) {
  for (const auto& ip : ips)
    if (std::find(pod.ips.begin(), pod.ips.end(), ip) == pod.ips.end()) pod.ips.push_back(ip);
}
}  // namespace

void merge_endpoint(ClusterView& v, const EndpointRecord& ep) {
  const std::string ns = ep.ns.empty() ? "default" : ep.ns;
  for (auto& pod : v.pods)
    if (pod.ns == ns && pod.name == ep.name) return add_addresses(pod, ep.ips);
  v.pods.push_back({ns, ep.name, ep.labels, ep.ips, {}});
}

void add_local_endpoint(BuiltView& b, const EndpointRecord& ep) {
  const std::string key = (ep.ns.empty() ? "default" : ep.ns) + "/" + ep.name;
  // A pod known only from its endpoint is what the endpoint says now (a relabelled pod
  // registers again); one with a Pod object keeps the object's labels.
  if (!b.object_pods.count(key))
    std::erase_if(b.view.pods, [&](const PodInfo& p) { return p.key() == key; });
  merge_endpoint(b.view, ep);
  b.local_veths[(ep.ns.empty() ? "default" : ep.ns) + "/" + ep.name] = ep.host_veth;
}

Result<EndpointRecord> parse_endpoint_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(Errc::parse_error, "endpoint: not a JSON object");
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  EndpointRecord ep{str("containerId") + "/" + str("ifname"), str("podNamespace"), str("podName"), {}, {}, str("hostVeth")};
  if (ep.name.empty()) ep.name = str("containerId");
  if (j.contains("labels") && j["labels"].is_object())
    for (const auto& [k, val] : j["labels"].items())
      if (val.is_string()) ep.labels[k] = val.get<std::string>();
  for (const char* field : {"ipv4", "ipv6"}) {
    std::string a = str(field);
    if (a.empty()) continue;
    auto p = parse_prefix(a.substr(0, a.find('/')));  // the agent may keep "10.0.0.2/24"
    if (!p) return make_error(Errc::parse_error, "endpoint " + ep.id + ": " + field + ": " + p.error().message);
    ep.ips.push_back(*p);
  }
  return ep;
}

Result<BuiltView> build_view(ClusterSource& source) {
  BuiltView b;
  auto nss = parse_all<NamespaceInfo>(source, "Namespace", parse_namespace);
  if (!nss) return nss.error();
  for (auto& ns : *nss) b.view.namespaces[ns.name] = std::move(ns);
  auto pods = parse_all<PodInfo>(source, "Pod", parse_pod);
  if (!pods) return pods.error();
  b.view.pods = std::move(*pods);
  for (const auto& p : b.view.pods) b.object_pods.insert(p.key());
  auto policies = parse_all<NetworkPolicy>(source, "NetworkPolicy", parse_network_policy);
  if (!policies) return policies.error();
  b.view.policies = std::move(*policies);
  auto nodes = parse_all<std::vector<Prefix>>(source, "Node", node_addresses);
  if (!nodes) return nodes.error();
  for (const auto& n : *nodes) b.view.node_ips.insert(b.view.node_ips.end(), n.begin(), n.end());
  auto local = source.local_endpoints();
  if (!local) return local.error();
  for (const auto& ep : *local) add_local_endpoint(b, ep);
  auto remote = source.remote_endpoints();
  if (!remote) return remote.error();
  // merge_endpoint for each, through an index: a cluster has thousands of other nodes' pods.
  std::unordered_map<std::string, size_t> at;
  for (size_t i = 0; i < b.view.pods.size(); ++i) at.emplace(b.view.pods[i].key(), i);
  for (const auto& ep : *remote) {
    const std::string ns = ep.ns.empty() ? "default" : ep.ns, key = ns + "/" + ep.name;
    if (b.local_veths.count(key)) continue;
    if (auto it = at.find(key); it != at.end()) {
      add_addresses(b.view.pods[it->second], ep.ips);
      continue;
    }
    at.emplace(key, b.view.pods.size());
    b.view.pods.push_back({ns, ep.name, ep.labels, ep.ips, {}});
  }
  // Pods without an address (not scheduled, or another node's without cluster mode) have no
  // packets to judge, but still have identities other rules may name.
  return b;
}

}  // namespace netaccel::policy

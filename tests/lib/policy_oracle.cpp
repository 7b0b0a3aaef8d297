#include "policy_oracle.h"

#include <arpa/inet.h>

#include <cstring>

namespace netaccel::test {

namespace {

using LabelMap = std::map<std::string, std::string>;

}  // namespace

// metav1.LabelSelector: every matchLabels pair and every expression must hold.
bool selector_matches(const YAML::Node& sel, const std::map<std::string, std::string>& labels) {
  if (!sel || sel.IsNull()) return true;
  if (auto ml = sel["matchLabels"])
    for (const auto& kv : ml) {
      auto it = labels.find(kv.first.as<std::string>());
      if (it == labels.end() || it->second != kv.second.as<std::string>()) return false;
    }
  if (auto me = sel["matchExpressions"])
    for (const auto& e : me) {
      const std::string key = e["key"].as<std::string>(), op = e["operator"].as<std::string>();
      auto it = labels.find(key);
      bool in_values = false;
      if (it != labels.end() && e["values"])
        for (const auto& v : e["values"]) in_values |= v.as<std::string>() == it->second;
      if (op == "In" && !in_values) return false;
      if (op == "NotIn" && in_values) return false;
      if (op == "Exists" && it == labels.end()) return false;
      if (op == "DoesNotExist" && it != labels.end()) return false;
    }
  return true;
}

std::string policy_namespace(const YAML::Node& policy) {
  return policy["metadata"]["namespace"] ? policy["metadata"]["namespace"].as<std::string>() : "default";
}

// policyTypes as written, or as the API server defaults them.
bool policy_has_type(const YAML::Node& policy, const std::string& type) {
  const YAML::Node spec = policy["spec"];
  if (spec["policyTypes"] && spec["policyTypes"].size() > 0) {
    for (const auto& t : spec["policyTypes"])
      if (t.as<std::string>() == type) return true;
    return false;
  }
  if (type == "Ingress") return true;
  return spec["egress"] && spec["egress"].IsSequence() && spec["egress"].size() > 0;
}

std::map<std::string, std::string> namespace_labels(const OracleCluster& c, const std::string& ns) {
  auto it = c.namespaces.find(ns);
  std::map<std::string, std::string> labels = it == c.namespaces.end() ? std::map<std::string, std::string>{} : it->second;
  labels["kubernetes.io/metadata.name"] = ns;
  return labels;
}

namespace {


// Address in CIDR, by bytes (IPv4 and IPv6 never match each other).
bool in_cidr(const std::string& ip, const std::string& cidr) {
  auto slash = cidr.find('/');
  std::string net = cidr.substr(0, slash);
  int len = std::stoi(cidr.substr(slash + 1));
  unsigned char a[16] = {}, n[16] = {};
  bool v6 = ip.find(':') != std::string::npos;
  if (v6 != (net.find(':') != std::string::npos)) return false;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), a) != 1 || inet_pton(v6 ? AF_INET6 : AF_INET, net.c_str(), n) != 1) return false;
  for (int bit = 0; bit < len; ++bit) {
    int byte = bit / 8, mask = 0x80 >> (bit % 8);
    if ((a[byte] & mask) != (n[byte] & mask)) return false;
  }
  return true;
}

const OraclePod* pod_with_ip(const OracleCluster& c, const std::string& ip) {
  for (const auto& p : c.pods)
    for (const auto& a : p.ips)
      if (a == ip) return &p;
  return nullptr;
}

bool selects_pod(const YAML::Node& policy, const OraclePod& pod) {
  return policy_namespace(policy) == pod.ns && selector_matches(policy["spec"]["podSelector"], pod.labels);
}

// One from/to entry against the other end of the connection.
bool peer_matches(const OracleCluster& c, const YAML::Node& peer, const std::string& policy_ns, const std::string& ip) {
  if (auto block = peer["ipBlock"]) {
    if (!in_cidr(ip, block["cidr"].as<std::string>())) return false;
    if (block["except"])
      for (const auto& e : block["except"])
        if (in_cidr(ip, e.as<std::string>())) return false;
    return true;
  }
  const OraclePod* pod = pod_with_ip(c, ip);
  if (!pod) return false;
  if (peer["namespaceSelector"]) {
    if (!selector_matches(peer["namespaceSelector"], namespace_labels(c, pod->ns))) return false;
  } else if (pod->ns != policy_ns) {
    return false;
  }
  return !peer["podSelector"] || selector_matches(peer["podSelector"], pod->labels);
}

// A ports entry against the connection's protocol and destination port; a named port is
// the destination pod's containerPort of that name and protocol. A destination that was
// selected as an ipBlock address has no named ports (netaccel's documented reading).
bool port_matches(const YAML::Node& p, const OraclePod* dst_pod, bool dst_selected_as_pod, const std::string& proto, int port) {
  const std::string want = p["protocol"] ? p["protocol"].as<std::string>() : "TCP";
  if (want != proto) return false;
  if (!p["port"]) return true;
  const std::string v = p["port"].as<std::string>();
  if (v.find_first_not_of("0123456789") == std::string::npos) {
    int lo = std::stoi(v), hi = p["endPort"] ? p["endPort"].as<int>() : lo;
    return port >= lo && port <= hi;
  }
  if (!dst_pod || !dst_selected_as_pod) return false;
  for (const auto& cp : dst_pod->ports)
    if (cp.name == v && cp.protocol == want) return cp.port == port;
  return false;
}

// Does some rule of `policy` in `direction` allow the connection? `other_ip` is the peer.
bool rule_allows(const OracleCluster& c, const YAML::Node& policy, bool ingress, const std::string& other_ip, const OraclePod* dst_pod,
                 const std::string& proto, int port) {
  const YAML::Node rules = policy["spec"][ingress ? "ingress" : "egress"];
  if (!rules) return false;
  for (const auto& rule : rules) {
    const YAML::Node peers = rule[ingress ? "from" : "to"];
    bool any_peer = !peers || peers.size() == 0;
    bool peer_ok = any_peer, as_pod = any_peer;
    if (!any_peer)
      for (const auto& peer : peers)
        if (peer_matches(c, peer, policy_namespace(policy), other_ip)) {
          peer_ok = true;
          as_pod |= !peer["ipBlock"];
        }
    if (!peer_ok) continue;
    const YAML::Node ports = rule["ports"];
    if (!ports || ports.size() == 0) return true;
    // Ingress: the destination is the selected pod itself, whatever selected the source.
    for (const auto& p : ports)
      if (port_matches(p, dst_pod, ingress || as_pod, proto, port)) return true;
  }
  return false;
}

// One end's verdict: unrestricted unless a policy of the given type selects the pod.
bool direction_allows(const OracleCluster& c, const OraclePod* pod, bool ingress, const std::string& other_ip, const OraclePod* dst_pod,
                      const std::string& proto, int port) {
  if (!pod) return true;
  bool isolated = false;
  for (const auto& doc : c.policies) {
    const YAML::Node& policy = doc.node;
    if (!selects_pod(policy, *pod) || !policy_has_type(policy, ingress ? "Ingress" : "Egress")) continue;
    isolated = true;
    if (rule_allows(c, policy, ingress, other_ip, dst_pod, proto, port)) return true;
  }
  return !isolated;
}

}  // namespace

bool oracle_allows(const OracleCluster& c, const std::string& src_ip, const std::string& dst_ip, const std::string& protocol, int port) {
  const OraclePod* src = pod_with_ip(c, src_ip);
  const OraclePod* dst = pod_with_ip(c, dst_ip);
  return direction_allows(c, src, false, dst_ip, dst, protocol, port) && direction_allows(c, dst, true, src_ip, dst, protocol, port);
}

}  // namespace netaccel::test

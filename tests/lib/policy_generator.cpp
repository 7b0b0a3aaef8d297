#include "policy_generator.h"

#include <yaml-cpp/yaml.h>

namespace netaccel::test {

namespace {

const std::vector<std::string> kNamespaces{"x", "y", "z"};
const std::vector<std::string> kPods{"a", "b", "c"};

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}
bool coin(std::mt19937& rng, int percent = 50) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }

std::string random_selector(std::mt19937& rng, bool for_namespaces) {
  const std::vector<std::string> keys = for_namespaces ? std::vector<std::string>{"ns", "team", "kubernetes.io/metadata.name"}
                                                       : std::vector<std::string>{"pod", "app", "tier"};
  const std::vector<std::string> values = for_namespaces ? std::vector<std::string>{"x", "y", "z", "red", "blue"}
                                                         : std::vector<std::string>{"a", "b", "c", "web", "db", "front"};
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0: return "{}";
    case 1: return "{matchLabels: {\"" + pick(rng, keys) + "\": \"" + pick(rng, values) + "\"}}";
    case 2: {
      static const std::vector<std::string> ops{"In", "NotIn"};
      return "{matchExpressions: [{key: \"" + pick(rng, keys) + "\", operator: " + pick(rng, ops) + ", values: [\"" + pick(rng, values) +
             "\", \"" + pick(rng, values) + "\"]}]}";
    }
    case 3: {
      static const std::vector<std::string> ops{"Exists", "DoesNotExist"};
      return "{matchExpressions: [{key: \"" + pick(rng, keys) + "\", operator: " + pick(rng, ops) + "}]}";
    }
    default:
      return "{matchLabels: {\"" + pick(rng, keys) + "\": \"" + pick(rng, values) + "\"}, matchExpressions: [{key: \"" + pick(rng, keys) +
             "\", operator: NotIn, values: [\"" + pick(rng, values) + "\"]}]}";
  }
}

std::string random_block(std::mt19937& rng) {
  static const std::vector<std::string> cidrs{"10.10.0.0/16", "10.10.1.0/24", "10.10.2.0/25", "0.0.0.0/0", "192.168.0.0/16", "fd10::/64"};
  std::string cidr = pick(rng, cidrs);
  std::string out = "{ipBlock: {cidr: " + cidr;
  if (cidr == "10.10.0.0/16" && coin(rng)) out += ", except: [10.10.1.0/24, 10.10.2.3/32]";
  else if (cidr == "0.0.0.0/0" && coin(rng)) out += ", except: [10.10.0.0/16]";
  else if (cidr == "10.10.1.0/24" && coin(rng)) out += ", except: [10.10.1.2/32]";
  else if (cidr == "fd10::/64" && coin(rng)) out += ", except: [\"fd10::1:0/112\"]";
  return out + "}}";
}

std::string random_peer(std::mt19937& rng) {
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0: return "{podSelector: " + random_selector(rng, false) + "}";
    case 1: return "{namespaceSelector: " + random_selector(rng, true) + "}";
    case 2: return "{podSelector: " + random_selector(rng, false) + ", namespaceSelector: " + random_selector(rng, true) + "}";
    default: return random_block(rng);
  }
}

std::string random_port(std::mt19937& rng) {
  static const std::vector<std::string> protos{"", "protocol: TCP, ", "protocol: UDP, ", "protocol: SCTP, "};
  std::string p = "{" + pick(rng, protos);
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0: p += "port: 80"; break;
    case 1: p += "port: 81"; break;
    case 2: p += "port: 80, endPort: 81"; break;
    case 3: p += "port: " + pick(rng, std::vector<std::string>{"serve-80", "serve-81", "http", "dns"}); break;
    default: break;  // every port of the protocol
  }
  if (p.back() == ' ') p.resize(p.size() - 2);
  return p + "}";
}

std::string random_rules(std::mt19937& rng, const char* field, const char* peers) {
  int n = std::uniform_int_distribution<int>(-1, 2)(rng);
  if (n < 0) return "";                                 // field missing
  if (n == 0) return std::string("  ") + field + ": []\n";  // present, empty: allows nothing
  std::string out = std::string("  ") + field + ":\n";
  for (int i = 0; i < n; ++i) {
    std::string rule;
    int np = std::uniform_int_distribution<int>(-1, 2)(rng);
    if (np == 0) rule += std::string(peers) + ": [], ";
    if (np > 0) {
      rule += std::string(peers) + ": [";
      for (int j = 0; j < np; ++j) rule += (j ? ", " : "") + random_peer(rng);
      rule += "], ";
    }
    int nports = std::uniform_int_distribution<int>(-1, 2)(rng);
    if (nports == 0) rule += "ports: [], ";
    if (nports > 0) {
      rule += "ports: [";
      for (int j = 0; j < nports; ++j) rule += (j ? ", " : "") + random_port(rng);
      rule += "], ";
    }
    if (!rule.empty()) rule.resize(rule.size() - 2);
    out += "  - {" + rule + "}\n";
  }
  return out;
}

}  // namespace

PolicyWorld make_world(std::mt19937& rng, bool v6) {
  PolicyWorld w;
  static const std::vector<std::string> teams{"red", "blue"};
  for (size_t n = 0; n < kNamespaces.size(); ++n) {
    const std::string& ns = kNamespaces[n];
    std::string team = pick(rng, teams);
    w.cluster.namespaces[ns] = {{"ns", ns}, {"team", team}, {"kubernetes.io/metadata.name", ns}};
    w.namespace_yaml.push_back("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + ", labels: {ns: " + ns + ", team: " + team + "}}\n");
    for (size_t p = 0; p < kPods.size(); ++p) {
      OraclePod pod{ns, kPods[p], {{"pod", kPods[p]}}, {}, {}};
      if (coin(rng, 60)) pod.labels["app"] = pick(rng, std::vector<std::string>{"web", "db"});
      if (coin(rng, 30)) pod.labels["tier"] = "front";
      pod.ips.push_back("10.10." + std::to_string(n) + "." + std::to_string(p + 2));
      if (v6) pod.ips.push_back("fd10::" + std::to_string(n) + ":" + std::to_string(p + 2));
      pod.ports = {{"serve-80", "TCP", 80}, {"serve-81", "TCP", 81}, {"serve-80", "UDP", 80}, {"serve-81", "UDP", 81}, {"serve-80", "SCTP", 80}};
      // Pods with the same labels may still name different ports "http": identities must tell them apart.
      if (coin(rng)) pod.ports.push_back({"http", "TCP", coin(rng) ? 80 : 81});
      if (coin(rng, 30)) pod.ports.push_back({"dns", "UDP", 81});
      std::string ports;
      for (const auto& cp : pod.ports)
        ports += std::string(ports.empty() ? "" : ", ") + "{name: " + cp.name + ", containerPort: " + std::to_string(cp.port) + ", protocol: " + cp.protocol + "}";
      std::string labels, ips;
      for (const auto& [k, v] : pod.labels) labels += std::string(labels.empty() ? "" : ", ") + k + ": " + v;
      for (const auto& ip : pod.ips) ips += std::string(ips.empty() ? "" : ", ") + "{ip: \"" + ip + "\"}";
      w.pod_yaml.push_back("apiVersion: v1\nkind: Pod\nmetadata: {name: " + pod.name + ", namespace: " + ns + ", labels: {" + labels +
                           "}}\nspec: {containers: [{name: c, ports: [" + ports + "]}]}\nstatus: {podIP: \"" + pod.ips[0] + "\", podIPs: [" + ips + "]}\n");
      w.cluster.pods.push_back(std::move(pod));
    }
  }
  w.outside_ips = {"192.168.1.5", "10.10.1.200", "10.10.2.100", "172.16.0.1"};
  if (v6) w.outside_ips.push_back("fd10::1:9");
  return w;
}

std::string random_policy(std::mt19937& rng, int index) {
  std::string doc = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p" + std::to_string(index) +
                    ", namespace: " + pick(rng, kNamespaces) + "}\nspec:\n  podSelector: " + random_selector(rng, false) + "\n";
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0: break;  // defaulted
    case 1: doc += "  policyTypes: [Ingress]\n"; break;
    case 2: doc += "  policyTypes: [Egress]\n"; break;
    default: doc += "  policyTypes: [Ingress, Egress]\n"; break;
  }
  doc += random_rules(rng, "ingress", "from");
  doc += random_rules(rng, "egress", "to");
  return doc;
}

void add_random_policies(PolicyWorld& w, std::mt19937& rng, int n) {
  for (int i = 0; i < n; ++i) {
    std::string doc = random_policy(rng, static_cast<int>(w.policy_yaml.size()));
    w.policy_yaml.push_back(doc);
    w.cluster.policies.push_back(YAML::Load(doc));
  }
}

}  // namespace netaccel::test

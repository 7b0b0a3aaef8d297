#include "kube_validate.h"

#include <sys/socket.h>

#include <regex>
#include <set>

#include "netaccel/core/prefix.h"
#include "kube_kinds.h"
#include "yaml_check.h"

namespace netaccel::agent {

bool is_dns_label(const std::string& s) {
  static const std::regex re("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  return s.size() <= 63 && std::regex_match(s, re);
}

bool is_dns_subdomain(const std::string& s) {
  static const std::regex re(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
  return s.size() <= 253 && std::regex_match(s, re);
}

bool is_label_value(const std::string& s) {
  static const std::regex re("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
  return s.size() <= 63 && std::regex_match(s, re);
}

bool is_label_key(const std::string& s) {
  auto slash = s.rfind('/');
  std::string name = slash == std::string::npos ? s : s.substr(slash + 1);
  if (slash != std::string::npos && !is_dns_subdomain(s.substr(0, slash))) return false;
  return !name.empty() && is_label_value(name);
}

bool is_port_name(const std::string& s) {
  static const std::regex re("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
  return s.size() <= 15 && std::regex_match(s, re) && s.find("--") == std::string::npos &&
         s.find_first_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos;
}

namespace {

using Path = std::string;

void check_string_map(YamlCheck& c, const YAML::Node& m, const Path& path, bool labels) {
  if (!m) return;
  for (const auto& kv : m) {
    const std::string key = kv.first.Scalar();
    const Path p = YamlCheck::join(path, key);
    if (labels && !is_label_key(key)) return c.fail(p, "'" + key + "' is not a label key");
    if (!kv.second.IsScalar() || plain_non_string(kv.second))
      return c.fail(p, "must be a string (quote numbers and true/false)");
    if (labels && !is_label_value(kv.second.Scalar())) return c.fail(p, "'" + kv.second.Scalar() + "' is not a label value");
  }
}

void check_ip(YamlCheck& c, const std::optional<std::string>& ip, const Path& path, int family = 0) {
  if (!c.ok() || !ip) return;
  int f = ip_family(*ip);
  if (!f) return c.fail(path, "'" + *ip + "' is not an IP address");
  if (family && f != family) c.fail(path, "'" + *ip + "' is not an " + std::string(family == AF_INET ? "IPv4" : "IPv6") + " address");
}

void check_cidr(YamlCheck& c, const std::optional<std::string>& s, const Path& path) {
  if (c.ok() && s && !parse_prefix(*s, true)) c.fail(path, "'" + *s + "' is not a CIDR (address/prefix)");
}

// metadata: name, namespace, labels, annotations. Fills the namespace default.
ObjectKey check_metadata(YamlCheck& c, YAML::Node doc, const KindInfo& kind) {
  ObjectKey key{kind.kind, "", ""};
  YAML::Node md = c.map(doc, "", "metadata", true);
  auto name = c.str(md, "metadata", "name", true);
  if (!c.ok()) return key;
  bool label_name = kind.kind == "Namespace" || kind.kind == "Service";
  if (label_name ? !is_dns_label(*name) : !is_dns_subdomain(*name))
    c.fail("metadata.name", "'" + *name + "' is not a DNS-1123 " + std::string(label_name ? "label" : "subdomain"));
  key.name = *name;
  auto ns = c.str(md, "metadata", "namespace");
  if (!kind.namespaced && ns) c.fail("metadata.namespace", kind.kind + " is not namespaced");
  if (kind.namespaced) {
    key.ns = ns.value_or("default");
    if (c.ok() && !is_dns_label(key.ns)) c.fail("metadata.namespace", "'" + key.ns + "' is not a DNS-1123 label");
    if (c.ok()) md["namespace"] = key.ns;
  }
  if (c.ok()) c.set_where(c.where() + " (" + key.str() + ")");
  check_string_map(c, c.map(md, "metadata", "labels"), "metadata.labels", true);
  check_string_map(c, c.map(md, "metadata", "annotations"), "metadata.annotations", false);
  return key;
}

void check_selector(YamlCheck& c, const YAML::Node& sel, const Path& path) {
  if (!sel) return;
  c.only_fields(sel, path, {"matchLabels", "matchExpressions"});
  check_string_map(c, c.map(sel, path, "matchLabels"), YamlCheck::join(path, "matchLabels"), true);
  const Path ep = YamlCheck::join(path, "matchExpressions");
  YAML::Node exprs = c.seq(sel, path, "matchExpressions");
  for (size_t i = 0; c.ok() && exprs && i < exprs.size(); ++i) {
    const Path p = YamlCheck::index(ep, i);
    c.only_fields(exprs[i], p, {"key", "operator", "values"});
    auto key = c.str(exprs[i], p, "key", true);
    if (c.ok() && !is_label_key(*key)) c.fail(YamlCheck::join(p, "key"), "'" + *key + "' is not a label key");
    auto op = c.one_of(exprs[i], p, "operator", {"In", "NotIn", "Exists", "DoesNotExist"});
    if (c.ok() && !op) c.fail(YamlCheck::join(p, "operator"), "required");
    YAML::Node values = c.seq(exprs[i], p, "values");
    if (!c.ok()) return;
    bool needs_values = *op == "In" || *op == "NotIn";
    if (needs_values && (!values || values.size() == 0)) c.fail(YamlCheck::join(p, "values"), "required for operator " + *op);
    if (!needs_values && values && values.size() > 0) c.fail(YamlCheck::join(p, "values"), "must be empty for operator " + *op);
    for (size_t j = 0; c.ok() && values && j < values.size(); ++j)
      if (!values[j].IsScalar() || plain_non_string(values[j]) || !is_label_value(values[j].Scalar()))
        c.fail(YamlCheck::index(YamlCheck::join(p, "values"), j), "is not a label value (quote numbers)");
  }
}

// A port of a policy rule: protocol, port by number or name, endPort.
void check_policy_ports(YamlCheck& c, const YAML::Node& rule, const Path& path) {
  const Path pp = YamlCheck::join(path, "ports");
  YAML::Node ports = c.seq(rule, path, "ports");
  for (size_t i = 0; c.ok() && ports && i < ports.size(); ++i) {
    const Path p = YamlCheck::index(pp, i);
    c.only_fields(ports[i], p, {"protocol", "port", "endPort"});
    c.one_of(ports[i], p, "protocol", {"TCP", "UDP", "SCTP"}, "TCP");
    auto port = c.int_or_str(ports[i], p, "port", false);
    if (!c.ok()) return;
    bool numeric = port && port->find_first_not_of("0123456789") == std::string::npos;
    if (numeric) c.integer(ports[i], p, "port", 1, 65535);
    else if (port && !is_port_name(*port)) c.fail(YamlCheck::join(p, "port"), "'" + *port + "' is not a port number or name");
    auto end = c.integer(ports[i], p, "endPort", 1, 65535);
    if (!c.ok() || !end) continue;
    if (!numeric) c.fail(YamlCheck::join(p, "endPort"), "needs a numeric port");
    else if (*end < std::stol(*port)) c.fail(YamlCheck::join(p, "endPort"), "is below port " + *port);
  }
}

void check_peers(YamlCheck& c, const YAML::Node& rule, const Path& path, const char* field) {
  const Path fp = YamlCheck::join(path, field);
  YAML::Node peers = c.seq(rule, path, field);
  for (size_t i = 0; c.ok() && peers && i < peers.size(); ++i) {
    const Path p = YamlCheck::index(fp, i);
    c.only_fields(peers[i], p, {"podSelector", "namespaceSelector", "ipBlock"});
    YAML::Node pods = c.map(peers[i], p, "podSelector"), nss = c.map(peers[i], p, "namespaceSelector");
    YAML::Node block = c.map(peers[i], p, "ipBlock");
    if (!c.ok()) return;
    if (!pods && !nss && !block) return c.fail(p, "needs podSelector, namespaceSelector or ipBlock");
    if (block && (pods || nss)) return c.fail(p, "ipBlock cannot be combined with a selector");
    check_selector(c, pods, YamlCheck::join(p, "podSelector"));
    check_selector(c, nss, YamlCheck::join(p, "namespaceSelector"));
    if (!block) continue;
    const Path bp = YamlCheck::join(p, "ipBlock");
    c.only_fields(block, bp, {"cidr", "except"});
    auto cidr = c.str(block, bp, "cidr", true);
    check_cidr(c, cidr, YamlCheck::join(bp, "cidr"));
    YAML::Node except = c.seq(block, bp, "except");
    for (size_t j = 0; c.ok() && except && j < except.size(); ++j) {
      const Path ex = YamlCheck::index(YamlCheck::join(bp, "except"), j);
      auto e = parse_prefix(except[j].IsScalar() ? except[j].Scalar() : "?", true);
      if (!e) c.fail(ex, "is not a CIDR");
      else if (!parse_prefix(*cidr, true)->contains(*e)) c.fail(ex, "'" + except[j].Scalar() + "' is not inside " + *cidr);
    }
  }
}

void check_network_policy(YamlCheck& c, const YAML::Node& doc) {
  YAML::Node spec = c.map(doc, "", "spec", true);
  c.only_fields(spec, "spec", {"podSelector", "policyTypes", "ingress", "egress"});
  YAML::Node selector = c.map(spec, "spec", "podSelector");
  if (c.ok() && !spec["podSelector"]) c.fail("spec.podSelector", "required ({} selects every pod of the namespace)");
  check_selector(c, selector, "spec.podSelector");
  YAML::Node types = c.seq(spec, "spec", "policyTypes");
  for (size_t i = 0; c.ok() && types && i < types.size(); ++i)
    if (!types[i].IsScalar() || (types[i].Scalar() != "Ingress" && types[i].Scalar() != "Egress"))
      c.fail(YamlCheck::index("spec.policyTypes", i), "must be Ingress or Egress");
  for (const auto& [dir, peer] : {std::pair<const char*, const char*>{"ingress", "from"}, {"egress", "to"}}) {
    YAML::Node rules = c.seq(spec, "spec", dir);
    for (size_t i = 0; c.ok() && rules && i < rules.size(); ++i) {
      const Path p = YamlCheck::index(YamlCheck::join("spec", dir), i);
      if (!rules[i].IsMap()) {
        c.fail(p, "must be a map");
        break;
      }
      c.only_fields(rules[i], p, {peer, "ports"});
      check_peers(c, rules[i], p, peer);
      check_policy_ports(c, rules[i], p);
    }
  }
}

void check_service(YamlCheck& c, const YAML::Node& doc) {
  YAML::Node spec = c.map(doc, "", "spec", true);
  auto type = c.one_of(spec, "spec", "type", {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"}, "ClusterIP");
  auto cluster_ip = c.str(spec, "spec", "clusterIP");
  if (c.ok() && cluster_ip && *cluster_ip != "None" && !cluster_ip->empty()) check_ip(c, cluster_ip, "spec.clusterIP");
  YAML::Node ips = c.seq(spec, "spec", "clusterIPs");
  for (size_t i = 0; c.ok() && ips && i < ips.size(); ++i)
    if (!ips[i].IsScalar() || (ips[i].Scalar() != "None" && !ip_family(ips[i].Scalar())))
      c.fail(YamlCheck::index("spec.clusterIPs", i), "is not an IP address");
  c.one_of(spec, "spec", "sessionAffinity", {"None", "ClientIP"}, "None");
  c.one_of(spec, "spec", "externalTrafficPolicy", {"Cluster", "Local"}, "Cluster");
  c.one_of(spec, "spec", "internalTrafficPolicy", {"Cluster", "Local"}, "Cluster");
  check_string_map(c, c.map(spec, "spec", "selector"), "spec.selector", true);
  if (c.ok() && *type == "ExternalName") c.str(spec, "spec", "externalName", true);
  YAML::Node ports = c.seq(spec, "spec", "ports", c.ok() && *type != "ExternalName");
  std::set<std::string> names;
  std::set<std::pair<long, std::string>> seen;
  for (size_t i = 0; c.ok() && ports && i < ports.size(); ++i) {
    const Path p = YamlCheck::index("spec.ports", i);
    c.only_fields(ports[i], p, {"name", "protocol", "port", "targetPort", "nodePort", "appProtocol"});
    auto name = c.str(ports[i], p, "name", ports.size() > 1);
    if (c.ok() && name && !is_dns_label(*name)) c.fail(YamlCheck::join(p, "name"), "'" + *name + "' is not a DNS-1123 label");
    if (c.ok() && name && !names.insert(*name).second) c.fail(YamlCheck::join(p, "name"), "'" + *name + "' is used twice");
    auto proto = c.one_of(ports[i], p, "protocol", {"TCP", "UDP", "SCTP"}, "TCP");
    auto port = c.integer(ports[i], p, "port", 1, 65535, true);
    if (c.ok() && !seen.insert({*port, *proto}).second) c.fail(p, std::to_string(*port) + "/" + *proto + " is used twice");
    auto target = c.int_or_str(ports[i], p, "targetPort", false);
    if (c.ok() && target) {
      bool numeric = target->find_first_not_of("0123456789") == std::string::npos;
      if (numeric) c.integer(ports[i], p, "targetPort", 1, 65535);
      else if (!is_port_name(*target)) c.fail(YamlCheck::join(p, "targetPort"), "'" + *target + "' is not a port number or name");
    }
    auto node_port = c.integer(ports[i], p, "nodePort", 30000, 32767);
    if (c.ok() && node_port && *type != "NodePort" && *type != "LoadBalancer")
      c.fail(YamlCheck::join(p, "nodePort"), "only for type NodePort or LoadBalancer");
  }
}

void check_pod(YamlCheck& c, const YAML::Node& doc) {
  YAML::Node spec = c.map(doc, "", "spec");
  c.str(spec, "spec", "nodeName");
  YAML::Node containers = c.seq(spec, "spec", "containers");
  for (size_t i = 0; c.ok() && containers && i < containers.size(); ++i) {
    const Path p = YamlCheck::index("spec.containers", i);
    if (!containers[i].IsMap()) return c.fail(p, "must be a map");
    YAML::Node ports = c.seq(containers[i], p, "ports");
    for (size_t j = 0; c.ok() && ports && j < ports.size(); ++j) {
      const Path pp = YamlCheck::index(YamlCheck::join(p, "ports"), j);
      auto name = c.str(ports[j], pp, "name");
      if (c.ok() && name && !is_port_name(*name)) c.fail(YamlCheck::join(pp, "name"), "'" + *name + "' is not a port name (IANA_SVC_NAME)");
      c.integer(ports[j], pp, "containerPort", 1, 65535, true);
      c.one_of(ports[j], pp, "protocol", {"TCP", "UDP", "SCTP"}, "TCP");
    }
  }
  YAML::Node status = c.map(doc, "", "status");
  check_ip(c, c.str(status, "status", "podIP"), "status.podIP");
  check_ip(c, c.str(status, "status", "hostIP"), "status.hostIP");
  YAML::Node ips = c.seq(status, "status", "podIPs");
  for (size_t i = 0; c.ok() && ips && i < ips.size(); ++i) {
    const Path p = YamlCheck::index("status.podIPs", i);
    check_ip(c, c.str(ips[i], p, "ip", true), YamlCheck::join(p, "ip"));
  }
}

void check_endpoint_slice(YamlCheck& c, const YAML::Node& doc) {
  c.only_fields(doc, "", {"apiVersion", "kind", "metadata", "addressType", "endpoints", "ports"});
  auto type = c.one_of(doc, "", "addressType", {"IPv4", "IPv6", "FQDN"});
  if (c.ok() && !type) return c.fail("addressType", "required");
  YAML::Node eps = c.seq(doc, "", "endpoints");
  for (size_t i = 0; c.ok() && eps && i < eps.size(); ++i) {
    const Path p = YamlCheck::index("endpoints", i);
    c.only_fields(eps[i], p, {"addresses", "conditions", "hostname", "nodeName", "targetRef", "zone", "hints", "deprecatedTopology"});
    YAML::Node addrs = c.seq(eps[i], p, "addresses", true);
    if (c.ok() && (addrs.size() < 1 || addrs.size() > 100)) c.fail(YamlCheck::join(p, "addresses"), "needs 1-100 addresses");
    for (size_t j = 0; c.ok() && j < addrs.size(); ++j) {
      const Path ap = YamlCheck::index(YamlCheck::join(p, "addresses"), j);
      if (!addrs[j].IsScalar()) c.fail(ap, "must be a string");
      else if (*type == "FQDN" ? !is_dns_subdomain(addrs[j].Scalar()) : false) c.fail(ap, "is not a DNS name");
      else if (*type != "FQDN") check_ip(c, addrs[j].Scalar(), ap, *type == "IPv4" ? AF_INET : AF_INET6);
    }
    YAML::Node cond = c.map(eps[i], p, "conditions");
    c.only_fields(cond, YamlCheck::join(p, "conditions"), {"ready", "serving", "terminating"});
    for (const char* k : {"ready", "serving", "terminating"}) c.boolean(cond, YamlCheck::join(p, "conditions"), k);
    c.str(eps[i], p, "nodeName");
  }
  YAML::Node ports = c.seq(doc, "", "ports");
  for (size_t i = 0; c.ok() && ports && i < ports.size(); ++i) {
    const Path p = YamlCheck::index("ports", i);
    c.only_fields(ports[i], p, {"name", "port", "protocol", "appProtocol"});
    c.str(ports[i], p, "name");
    c.integer(ports[i], p, "port", 1, 65535);
    c.one_of(ports[i], p, "protocol", {"TCP", "UDP", "SCTP"}, "TCP");
  }
}

void check_node(YamlCheck& c, const YAML::Node& doc) {
  YAML::Node spec = c.map(doc, "", "spec");
  check_cidr(c, c.str(spec, "spec", "podCIDR"), "spec.podCIDR");
  YAML::Node cidrs = c.seq(spec, "spec", "podCIDRs");
  for (size_t i = 0; c.ok() && cidrs && i < cidrs.size(); ++i)
    check_cidr(c, cidrs[i].IsScalar() ? std::optional<std::string>(cidrs[i].Scalar()) : std::string("?"), YamlCheck::index("spec.podCIDRs", i));
  YAML::Node status = c.map(doc, "", "status");
  YAML::Node addrs = c.seq(status, "status", "addresses");
  for (size_t i = 0; c.ok() && addrs && i < addrs.size(); ++i) {
    const Path p = YamlCheck::index("status.addresses", i);
    auto type = c.one_of(addrs[i], p, "type", {"InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"});
    auto addr = c.str(addrs[i], p, "address", true);
    if (c.ok() && type && (*type == "InternalIP" || *type == "ExternalIP")) check_ip(c, addr, YamlCheck::join(p, "address"));
  }
}

const KindInfo* check_kind(YamlCheck& c, const YAML::Node& doc) {
  if (!doc.IsMap()) {
    c.fail("", "is not a Kubernetes object (a map with apiVersion and kind)");
    return nullptr;
  }
  auto kind_name = c.str(doc, "", "kind", true);
  auto api = c.str(doc, "", "apiVersion", true);
  if (!c.ok()) return nullptr;
  const KindInfo* kind = find_kind(*kind_name);
  if (!kind || kind->kind != *kind_name) {
    c.fail("kind", "'" + *kind_name + "' is not stored by netaccel (" + kind_list() + ")");
    return nullptr;
  }
  if (*api != kind->api_version) {
    c.fail("apiVersion", "'" + *api + "' for " + kind->kind + ": expected " + kind->api_version);
    return nullptr;
  }
  return kind;
}

}  // namespace

Result<ObjectKey> validate_key(YAML::Node doc, const std::string& where) {
  YamlCheck c(where);
  const KindInfo* kind = check_kind(c, doc);
  if (!kind) return c.status().error();
  ObjectKey key = check_metadata(c, doc, *kind);
  if (!c.ok()) return c.status().error();
  return key;
}

Result<ObjectKey> validate_object(YAML::Node doc, const std::string& where) {
  YamlCheck c(where);
  const KindInfo* kind = check_kind(c, doc);
  if (!kind) return c.status().error();
  ObjectKey key = check_metadata(c, doc, *kind);
  if (c.ok()) {
    if (kind->kind == "NetworkPolicy") check_network_policy(c, doc);
    else if (kind->kind == "Service") check_service(c, doc);
    else if (kind->kind == "Pod") check_pod(c, doc);
    else if (kind->kind == "EndpointSlice") check_endpoint_slice(c, doc);
    else if (kind->kind == "Node") check_node(c, doc);
  }
  if (!c.ok()) return c.status().error();
  if (kind->kind == "Namespace") doc["metadata"]["labels"]["kubernetes.io/metadata.name"] = key.name;
  return key;
}

}  // namespace netaccel::agent

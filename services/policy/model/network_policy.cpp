#include "network_policy.h"

namespace netaccel::policy {

namespace {

Error field_error(const NetworkPolicy& p, const std::string& field, const std::string& what) {
  return make_error(Errc::invalid_argument, "NetworkPolicy " + p.key() + ": " + field + ": " + what);
}

Result<uint8_t> parse_proto(const YAML::Node& n) {
  if (!n) return kProtoTcp;
  const std::string s = n.Scalar();
  if (s == "TCP") return kProtoTcp;
  if (s == "UDP") return kProtoUdp;
  if (s == "SCTP") return kProtoSctp;
  return make_error(Errc::invalid_argument, "'" + s + "' is not TCP, UDP or SCTP");
}

Result<PortMatch> parse_port(const NetworkPolicy& p, const YAML::Node& n, const std::string& at) {
  PortMatch m;
  auto proto = parse_proto(n["protocol"]);
  if (!proto) return field_error(p, at + ".protocol", proto.error().message);
  m.proto = *proto;
  if (auto port = n["port"]; port && !port.IsNull()) {
    const std::string s = port.Scalar();
    bool numeric = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
      long v = std::stol(s);
      if (v < 1 || v > 65535) return field_error(p, at + ".port", "must be 1-65535");
      m.port = static_cast<uint16_t>(v);
    } else {
      m.name = s;
    }
  }
  if (auto end = n["endPort"]; end && !end.IsNull()) {
    if (m.port == 0) return field_error(p, at + ".endPort", "needs a numeric port");
    long v = end.as<long>();
    if (v < m.port || v > 65535) return field_error(p, at + ".endPort", "must be at least port and at most 65535");
    m.end_port = static_cast<uint16_t>(v);
  }
  return m;
}

Result<Peer> parse_peer(const NetworkPolicy& p, const YAML::Node& n, const std::string& at) {
  Peer peer;
  if (auto s = n["podSelector"]; s) {
    auto sel = parse_selector(s, "NetworkPolicy " + p.key() + ": " + at + ".podSelector");
    if (!sel) return sel.error();
    peer.pods = *sel;
  }
  if (auto s = n["namespaceSelector"]; s) {
    auto sel = parse_selector(s, "NetworkPolicy " + p.key() + ": " + at + ".namespaceSelector");
    if (!sel) return sel.error();
    peer.namespaces = *sel;
  }
  if (auto b = n["ipBlock"]; b) {
    if (peer.pods || peer.namespaces) return field_error(p, at, "ipBlock cannot be combined with a selector");
    auto cidr = parse_prefix(b["cidr"] ? b["cidr"].Scalar() : "", true);
    if (!cidr) return field_error(p, at + ".ipBlock.cidr", cidr.error().message);
    IpBlock block{*cidr, {}};
    if (auto ex = b["except"]; ex && ex.IsSequence()) {
      for (size_t i = 0; i < ex.size(); ++i) {
        const std::string eat = at + ".ipBlock.except[" + std::to_string(i) + "]";
        auto e = parse_prefix(ex[i].Scalar(), true);
        if (!e) return field_error(p, eat, e.error().message);
        if (!block.cidr.contains(*e) || e->len <= block.cidr.len) return field_error(p, eat, "must be a strict subnet of the cidr");
        block.except.push_back(*e);
      }
    }
    peer.block = std::move(block);
  }
  if (!peer.pods && !peer.namespaces && !peer.block) return field_error(p, at, "needs podSelector, namespaceSelector or ipBlock");
  return peer;
}

Result<std::vector<Rule>> parse_rules(const NetworkPolicy& p, const YAML::Node& rules, const char* field, const char* peers_field) {
  std::vector<Rule> out;
  if (!rules || rules.IsNull()) return out;
  if (!rules.IsSequence()) return field_error(p, std::string("spec.") + field, "must be a list");
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string at = std::string("spec.") + field + "[" + std::to_string(i) + "]";
    Rule rule;
    if (auto peers = rules[i][peers_field]; peers && peers.IsSequence()) {
      for (size_t j = 0; j < peers.size(); ++j) {
        auto peer = parse_peer(p, peers[j], at + "." + peers_field + "[" + std::to_string(j) + "]");
        if (!peer) return peer.error();
        rule.peers.push_back(std::move(*peer));
      }
    }
    if (auto ports = rules[i]["ports"]; ports && ports.IsSequence()) {
      for (size_t j = 0; j < ports.size(); ++j) {
        auto port = parse_port(p, ports[j], at + ".ports[" + std::to_string(j) + "]");
        if (!port) return port.error();
        rule.ports.push_back(std::move(*port));
      }
    }
    out.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

const char* proto_name(uint8_t proto) {
  switch (proto) {
    case kProtoTcp: return "TCP";
    case kProtoUdp: return "UDP";
    case kProtoSctp: return "SCTP";
    case 1: return "ICMP";
    case 58: return "ICMPv6";
  }
  return "other";
}

bool IpBlock::contains(const Prefix& host) const {
  if (!cidr.contains(host)) return false;
  for (const auto& e : except)
    if (e.contains(host)) return false;
  return true;
}

Result<NetworkPolicy> parse_network_policy(const YAML::Node& doc) {
  NetworkPolicy p;
  const YAML::Node meta = doc["metadata"];
  if (!meta || !meta["name"]) return make_error(Errc::invalid_argument, "NetworkPolicy: metadata.name: required");
  p.name = meta["name"].Scalar();
  p.ns = meta["namespace"] ? meta["namespace"].Scalar() : "default";
  const YAML::Node spec = doc["spec"];
  if (!spec || !spec.IsMap()) return field_error(p, "spec", "required");
  auto sel = parse_selector(spec["podSelector"], "NetworkPolicy " + p.key() + ": spec.podSelector");
  if (!sel) return sel.error();
  p.pod_selector = *sel;
  auto ingress = parse_rules(p, spec["ingress"], "ingress", "from");
  if (!ingress) return ingress.error();
  auto egress = parse_rules(p, spec["egress"], "egress", "to");
  if (!egress) return egress.error();
  p.ingress = std::move(*ingress);
  p.egress = std::move(*egress);
  if (auto types = spec["policyTypes"]; types && types.IsSequence() && types.size() > 0) {
    p.isolates_ingress = p.isolates_egress = false;
    for (size_t i = 0; i < types.size(); ++i) {
      const std::string t = types[i].Scalar();
      if (t == "Ingress") p.isolates_ingress = true;
      else if (t == "Egress") p.isolates_egress = true;
      else return field_error(p, "spec.policyTypes[" + std::to_string(i) + "]", "'" + t + "' is not Ingress or Egress");
    }
  } else {
    // The API server's defaulting: Ingress always, Egress only when egress rules are given.
    p.isolates_ingress = true;
    p.isolates_egress = !p.egress.empty();
  }
  return p;
}

}  // namespace netaccel::policy

#include "policy_iptables.h"

#include <functional>
#include <map>
#include <set>

namespace netaccel::test {

namespace {


// Chain declarations first, then the rules (a jump needs its chain declared).
struct Writer {
  std::string decls, body;
  int chains = 0;
  std::string chain() {
    std::string name = "NP-" + std::to_string(++chains);
    decls += ":" + name + " - [0:0]\n";
    return name;
  }
  void rule(const std::string& chain, const std::string& spec) { body += "-A " + chain + " " + spec + "\n"; }
};

// The port matches of one ports entry toward `dst` (a pod, for named ports), or none.
std::vector<std::string> port_matches(const YAML::Node& p, const OraclePod* dst, bool dst_as_pod) {
  const std::string proto = p["protocol"] ? p["protocol"].as<std::string>() : "TCP";
  std::string lp = proto == "TCP" ? "tcp" : proto == "UDP" ? "udp" : "sctp";
  if (!p["port"]) return {"-p " + lp};
  const std::string v = p["port"].as<std::string>();
  if (v.find_first_not_of("0123456789") == std::string::npos)
    return {"-p " + lp + " -m " + lp + " --dport " + v + (p["endPort"] ? ":" + p["endPort"].as<std::string>() : "")};
  if (!dst || !dst_as_pod) return {};
  for (const auto& cp : dst->ports)
    if (cp.name == v && cp.protocol == proto) return {"-p " + lp + " -m " + lp + " --dport " + std::to_string(cp.port)};
  return {};
}

}  // namespace

std::string iptables_translation(const OracleCluster& c) {
  Writer w;
  w.decls = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NP-DROP - [0:0]\n";
  w.body = "-A NP-DROP -j DROP\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
  // Bit 1: the source's egress allows it; bit 2: the destination's ingress does.
  w.body += "-A FORWARD -j MARK --set-xmark 0x0/0x3\n";
  std::string egress_jumps, ingress_jumps;
  for (const auto& pod : c.pods) {
    for (bool ingress : {false, true}) {
      std::vector<const YAML::Node*> selecting;
      for (const auto& doc : c.policies)
        if (policy_namespace(doc.node) == pod.ns && selector_matches(doc.node["spec"]["podSelector"], pod.labels) && policy_has_type(doc.node, ingress ? "Ingress" : "Egress"))
          selecting.push_back(&doc.node);
      if (selecting.empty()) continue;
      const std::string chain = w.chain(), mark = ingress ? "0x2/0x2" : "0x1/0x1";
      for (const auto& ip : pod.ips) (ingress ? ingress_jumps : egress_jumps) += "-A FORWARD " + std::string(ingress ? "-d " : "-s ") + ip + "/32 -j " + chain + "\n";
      for (const YAML::Node* policy : selecting) {
        const YAML::Node rules_node = (*policy)["spec"][ingress ? "ingress" : "egress"];
        if (!rules_node) continue;
        for (const auto& rule : rules_node) {
          const YAML::Node peers = rule[ingress ? "from" : "to"], ports = rule["ports"];
          const char* dir = ingress ? "-s " : "-d ";
          // One allowed (addresses, excepts, port) combination.
          auto allow = [&](const std::string& addr, const std::vector<std::string>& except, const std::string& port) {
            if (except.empty()) {
              w.rule(chain, (addr.empty() ? "" : addr + " ") + (port.empty() ? "" : port + " ") + "-j MARK --set-xmark " + mark);
              return;
            }
            const std::string sub = w.chain();
            for (const auto& e : except) w.rule(sub, e + " -j RETURN");
            w.rule(sub, addr + " -j MARK --set-xmark " + mark);
            w.rule(chain, (port.empty() ? "" : port + " ") + "-j " + sub);
          };
          // The port matches toward `dst` (the destination pod, for named ports: the selected
          // pod itself on ingress, the peer on egress; none for an address that is no pod).
          auto each_port = [&](const OraclePod* dst, const std::function<void(const std::string&)>& fn) {
            if (!ports || ports.size() == 0) return fn("");
            for (const auto& p : ports)
              for (const auto& m : port_matches(p, dst, dst != nullptr)) fn(m);
          };
          const bool anyone = !peers || peers.size() == 0;
          if (anyone) {
            if (ingress) {
              each_port(&pod, [&](const std::string& m) { allow("", {}, m); });
            } else {
              // Numeric ports toward anyone; named ones toward each pod that has them.
              if (!ports || ports.size() == 0) allow("", {}, "");
              for (size_t k = 0; ports && k < ports.size(); ++k) {
                const YAML::Node p = ports[k];
                const bool named = p["port"] && p["port"].as<std::string>().find_first_not_of("0123456789") != std::string::npos;
                if (!named) {
                  for (const auto& m : port_matches(p, nullptr, false)) allow("", {}, m);
                  continue;
                }
                for (const auto& other : c.pods)
                  for (const auto& m : port_matches(p, &other, true))
                    for (const auto& ip : other.ips) allow(std::string(dir) + ip + "/32", {}, m);
              }
            }
            continue;
          }
          for (const auto& peer : peers) {
            if (auto b = peer["ipBlock"]) {
              std::vector<std::string> except;
              if (b["except"])
                for (const auto& e : b["except"]) except.push_back(std::string(dir) + e.as<std::string>());
              each_port(ingress ? &pod : nullptr, [&](const std::string& m) { allow(std::string(dir) + b["cidr"].as<std::string>(), except, m); });
              continue;
            }
            for (const auto& other : c.pods) {
              bool ns_ok = peer["namespaceSelector"] ? selector_matches(peer["namespaceSelector"], namespace_labels(c, other.ns)) : other.ns == policy_namespace(*policy);
              if (!ns_ok || (peer["podSelector"] && !selector_matches(peer["podSelector"], other.labels))) continue;
              each_port(ingress ? &pod : &other, [&](const std::string& m) {
                for (const auto& ip : other.ips) allow(std::string(dir) + ip + "/32", {}, m);
              });
            }
          }
        }
      }
      w.rule(chain, "-m mark ! --mark " + mark + " -j NP-DROP");
    }
  }
  return w.decls + w.body + egress_jumps + ingress_jumps + "COMMIT\n";
}

}  // namespace netaccel::test

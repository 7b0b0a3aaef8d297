#include "kube_proxy_rules.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace netaccel::test {
namespace {

// kube-proxy names chains after a hash of the service port name: 16 base32 characters.
std::string chain_name(const char* kind, const std::string& seed) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  auto fnv = [](const std::string& s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
  };
  uint64_t h[2] = {fnv(seed), fnv(seed + kind)};
  std::string out = std::string("KUBE-") + kind + "-";
  for (int i = 0; i < 16; ++i) out += alphabet[(h[i / 8] >> ((i % 8) * 5)) & 31];
  return out;
}

struct Service {
  std::string name, vip, svc_chain, sep_chain;
  Endpoint ep;
};

Service service(int index, int total, const Endpoint& server) {
  Service s;
  s.name = "bench/svc-" + std::to_string(index) + ":http";
  s.vip = service_ip(index);
  s.svc_chain = chain_name("SVC", s.name);
  s.sep_chain = chain_name("SEP", s.name);
  if (index == 0 || index >= total - 1) s.ep = server;
  else s.ep = {"10.244." + std::to_string(index / 250) + "." + std::to_string(index % 250 + 1), 8080};
  return s;
}

std::string declarations(const Service& s) { return ":" + s.svc_chain + " - [0:0]\n:" + s.sep_chain + " - [0:0]\n"; }

// The rules in the order kube-proxy's iptables proxier writes them (pkg/proxy/iptables/
// proxier.go): comment first, "-m tcp -p tcp" (the match before its protocol), then -d and
// --dport; iptables-save prints them back in its canonical order.
std::string portal_rule(const Service& s) {
  return "-m comment --comment \"" + s.name + " cluster IP\" -m tcp -p tcp -d " + s.vip + " --dport 80 -j " + s.svc_chain + "\n";
}

std::string chain_rules(const Service& s) {
  const std::string ep = s.ep.ip + ":" + std::to_string(s.ep.port);
  return "-A " + s.svc_chain + " -m comment --comment \"" + s.name + " cluster IP\" -m tcp -p tcp -d " + s.vip +
         " --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ\n" +
         "-A " + s.svc_chain + " -m comment --comment \"" + s.name + " -> " + ep + "\" -j " + s.sep_chain + "\n" +
         "-A " + s.sep_chain + " -m comment --comment " + s.name + " -s " + s.ep.ip + " -j KUBE-MARK-MASQ\n" +
         "-A " + s.sep_chain + " -m comment --comment " + s.name + " -m tcp -p tcp -j DNAT --to-destination " + ep + "\n";
}

// The top-level chains' fixed rules: masquerade marking and the POSTROUTING hook.
const char* kMarkAndPostrouting =
    "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n"
    "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
    "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n"
    "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully\n";
const char* kNodePortsTail =
    "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" "
    "-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n";
const char* kTopLevelChains = ":KUBE-MARK-MASQ - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-POSTROUTING - [0:0]\n:KUBE-SERVICES - [0:0]\n";

}  // namespace

std::string service_ip(int index) { return "10.96." + std::to_string(index / 250) + "." + std::to_string(index % 250 + 1); }

std::string kube_proxy_ruleset(int services, const Endpoint& server) {
  std::string decl, portals, chains;
  for (int i = 0; i < services; ++i) {
    Service s = service(i, services, server);
    decl += declarations(s);
    portals += "-A KUBE-SERVICES " + portal_rule(s);
    chains += chain_rules(s);
  }
  return std::string(
             "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
             "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n") +
         kTopLevelChains + decl +
         "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
         "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
         "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING\n" +
         kMarkAndPostrouting + portals + kNodePortsTail + chains + "COMMIT\n";
}

std::string kube_proxy_sync(int services, const Endpoint& server, unsigned seed) {
  std::vector<int> order(static_cast<size_t>(services));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  std::string portals;
  for (int i : order) portals += "-A KUBE-SERVICES " + portal_rule(service(i, services, server));
  const Service changed = service(services - 1, services, server);
  return std::string("*nat\n") + kTopLevelChains + declarations(changed) + kMarkAndPostrouting + portals + kNodePortsTail +
         chain_rules(changed) + "COMMIT\n";
}

std::string kube_proxy_add_service(int index, const Endpoint& server) {
  Service s = service(index, index + 1, server);
  // The new chains are filled before the portal rule makes them reachable.
  return "*nat\n" + declarations(s) + chain_rules(s) + "-I KUBE-SERVICES 1 " + portal_rule(s) + "COMMIT\n";
}

}  // namespace netaccel::test

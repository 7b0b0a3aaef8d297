#include "ruleset_generator.h"

namespace netaccel::test {

const std::vector<std::string>& generator_addresses() {
  static const std::vector<std::string> a = {"10.1.0.0", "10.1.2.0", "10.1.2.3", "10.2.0.0", "10.2.3.4", "192.168.0.1", "172.16.5.5"};
  return a;
}
const std::vector<std::string>& generator_addresses6() {
  // Prefixes that differ past the first 32 bits, and one inside 0.0.0.0/8's IPv6 twin ::/8.
  static const std::vector<std::string> a = {"2001:db8::", "2001:db8:1::", "2001:db8:1:2::3", "fd00::", "fd00:1:2:3::4",
                                             "fe80::1", "::ffff:10.1.2.3"};
  return a;
}
const std::vector<uint16_t>& generator_ports() {
  static const std::vector<uint16_t> p = {22, 53, 80, 443, 8080, 30000};
  return p;
}
const std::vector<std::string>& generator_interfaces() {
  static const std::vector<std::string> i = {"eth0", "eth1", "veth7", "cni0", "docker0"};
  return i;
}

std::string random_ruleset(std::mt19937& rng, const RulesetShape& shape) {
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto neg = [&] { return chance(20) ? std::string(" !") : std::string(); };
  const auto& addresses = !shape.addresses.empty() ? shape.addresses : shape.ipv6 ? generator_addresses6() : generator_addresses();
  const auto& interfaces = shape.interfaces.empty() ? generator_interfaces() : shape.interfaces;
  const auto& ports = shape.ports.empty() ? generator_ports() : shape.ports;
  auto addr = [&] {
    static const std::vector<int> lens = {8, 16, 24, 32, 32, 12}, lens6 = {16, 32, 48, 64, 64, 120, 128, 128};
    const auto& l = shape.ipv6 ? lens6 : lens;
    return pick(addresses) + "/" + std::to_string(l[rng() % l.size()]);
  };
  auto port = [&] { return std::to_string(ports[rng() % ports.size()]); };
  std::vector<std::string> builtins = shape.nat ? std::vector<std::string>{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}
                                                : std::vector<std::string>{"INPUT", "FORWARD", "OUTPUT"};
  std::string text = shape.nat ? "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
                               : "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  std::vector<std::string> users;
  for (int i = 0; i < shape.user_chains; ++i) users.push_back("U" + std::to_string(i));
  for (const auto& u : users) text += ":" + u + " - [0:0]\n";
  for (int n = 0; n < shape.rules; ++n) {
    size_t c = rng() % (builtins.size() + users.size());
    std::string chain = c < builtins.size() ? builtins[c] : users[c - builtins.size()];
    std::string r;
    if (chance(40)) r += neg() + " -s " + addr();
    if (chance(40)) r += neg() + " -d " + addr();
    bool no_in = chain == "OUTPUT" || chain == "POSTROUTING", no_out = chain == "INPUT" || chain == "PREROUTING";
    if (chance(25) && (!shape.valid_interfaces || !no_in)) r += neg() + " -i " + (chance(30) ? std::string("eth+") : pick(interfaces));
    if (chance(25) && (!shape.valid_interfaces || !no_out)) r += neg() + " -o " + (chance(30) ? std::string("veth+") : pick(interfaces));
    const std::string icmp = shape.ipv6 ? "ipv6-icmp" : "icmp";
    std::string proto = chance(75) ? pick({"tcp", "udp", icmp, "sctp", "all"}) : "";
    if (!proto.empty()) r += " -p " + proto;
    bool ports = proto == "tcp" || proto == "udp" || proto == "sctp";
    bool used[8] = {};
    int nmatches = static_cast<int>(rng() % 4);
    for (int i = 0; i < nmatches; ++i) {
      int kind = static_cast<int>(rng() % 8);
      if (shape.one_match_per_kind && used[kind]) continue;
      used[kind] = true;
      switch (kind) {
        case 0:
          if (ports && !used[1]) {
            std::string p = port();
            std::string v = chance(30) ? p + ":" + std::to_string(std::stoi(p) + static_cast<int>(rng() % 50)) : p;
            r += neg() + (chance(50) ? " --dport " : " --sport ") + v;
            if (proto == "tcp" && chance(30)) r += chance(50) ? " --syn" : " --tcp-flags SYN,ACK,FIN ACK";
          }
          break;
        case 1:
          if (ports && !used[0]) r += " -m multiport" + neg() + pick({" --dports ", " --sports ", " --ports "}) + port() + "," + port() + ":" + std::to_string(30000 + rng() % 100);
          break;
        case 2:
          r += " -m conntrack" + neg() + " --ctstate " +
               (shape.ipv6 ? pick({"NEW", "ESTABLISHED,RELATED", "INVALID", "UNTRACKED", "NEW,UNTRACKED"})
                           : pick({"NEW", "ESTABLISHED,RELATED", "INVALID", "RELATED,NEW,DNAT"}));
          break;
        case 3: r += " -m comment --comment " + pick({"x", "\"two words\""}); break;
        case 4: r += " -m mark" + neg() + " --mark " + pick({"0x4000/0x4000", "0x1", "0x10/0xff"}); break;
        case 5:
          if (!shape.statistic) break;
          if (shape.random_statistic && chance(50)) r += " -m statistic --mode random --probability 0." + std::to_string(rng() % 100000);
          else r += " -m statistic --mode nth --every 3 --packet " + std::to_string(rng() % 3);
          break;
        case 6: r += " -m addrtype" + neg() + pick({" --dst-type LOCAL", " --src-type LOCAL"}); break;
        case 7:
          if (proto == icmp && !shape.ipv6) r += neg() + " --icmp-type " + pick({"echo-request", "8", "3/3", "any", "time-exceeded"});
          if (proto == icmp && shape.ipv6)
            r += neg() + " --icmpv6-type " + pick({"echo-request", "129", "1/4", "neighbour-solicitation", "neighbour-advertisement", "destination-unreachable"});
          break;
      }
    }
    // Jumps go only to later user chains: no loops.
    std::vector<std::string> targets = {"ACCEPT", "RETURN", "LOG --log-prefix \"p: \"", "MARK --set-xmark 0x4000/0x4000", "MARK --or-mark 0x1", ""};
    if (!shape.nat && !shape.ipv6) targets.insert(targets.end(), {"DROP", "DROP", "REJECT --reject-with icmp-port-unreachable", "REJECT --reject-with icmp-host-prohibited"});
    if (!shape.nat && shape.ipv6)
      targets.insert(targets.end(), {"DROP", "DROP", "REJECT --reject-with icmp6-port-unreachable", "REJECT --reject-with icmp6-adm-prohibited"});
    if (shape.nat && (chain == "PREROUTING" || chain == "OUTPUT")) targets.push_back("DNAT --to-destination " + shape.dnat_to);
    if (shape.nat && chain == "POSTROUTING") targets.insert(targets.end(), {"MASQUERADE", "SNAT --to-source " + shape.snat_to});
    size_t from = c < builtins.size() ? 0 : c - builtins.size() + 1;
    for (size_t k = from; k < users.size(); ++k) targets.push_back(users[k]);
    std::string t = pick(targets);
    if (!t.empty()) r += " -j " + t;
    text += "-A " + chain + r + "\n";
  }
  return text + "COMMIT\n";
}

}  // namespace netaccel::test

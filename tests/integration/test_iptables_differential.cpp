// Differential: the same ruleset in the kernel's iptables (legacy) on one router namespace and
// in netaccel-iptables on a twin; the same flow matrix through both (client to server, to the
// router itself, server to client, router to server; TCP, UDP, ICMP; plain, DNAT'ed and
// NodePort addresses). Every flow must end the same way: answered (with the same peer and
// local address the listener saw: DNAT and SNAT results), refused, timed out or unreachable.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "harness.h"
#include "ruleset_generator.h"

using namespace netaccel::test;

namespace {

const std::string kDir = std::string(NETACCEL_SOURCE_DIR) + "/tests/integration/iptables";

class IptablesDifferential : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("nad");
    p_ = unique_prefix("nad");
    k_ = p_ + "k";
    n_ = p_ + "n";
    // The twins are built side by side (each in its own namespaces, names never shared).
    sh_ok(kDir + "/topology.sh up " + k_ + " & k=$!; " + kDir + "/topology.sh up " + n_ + " && wait $k");
  }
  void TearDown() override {
    if (p_.empty()) return;
    tool_.stop();
    sh(kDir + "/topology.sh down " + k_ + " & " + kDir + "/topology.sh down " + n_ + "; wait; rm -f /tmp/" + p_ + ".log");
  }
  bool start_netaccel(const std::string& rules, bool ipv6 = false) {
    std::vector<std::string> argv = {binary_dir() + "/tests/integration/iptables_dp_tool", rules, "rc0", "rs0"};
    if (ipv6) argv.insert(argv.begin() + 1, "-6");
    tool_.start(argv, {}, "/run/netns/" + n_ + "-r", "/tmp/" + p_ + ".log");
    // Ready, or gone (a ruleset it refused): no point waiting out the bound then.
    wait_until([&] { return sh("grep -q ready /tmp/" + p_ + ".log").status == 0 || !tool_.running(); }, 60000);
    return sh("grep -q ready /tmp/" + p_ + ".log").status == 0;
  }
  // Both twins' flow matrices (flows.sh), run at the same time. A flow that one twin answered
  // while the other timed out, or (ping) failed, is run once more in both with a longer bound
  // before the results count: on a loaded machine an answer comes late, a drop never comes,
  // and a difference that survives the second run is one of fate, not of speed.
  // Every round starts IPv6 from flushed neighbour caches and probes them again: the state
  // a round left decays with time (STALE, PROBE, FAILED), and where the router's own OUTPUT
  // drops, the kernel refuses before resolving a neighbour while the eBPF egress drops after,
  // so a decayed entry read "unreachable" in netaccel's twin only (seen once under load).
  std::pair<std::string, std::string> matrices(int family) {
    const std::string v = " " + std::to_string(family), out = "/tmp/" + p_;
    sh(kDir + "/flows.sh " + k_ + v + " > " + out + ".k & " + kDir + "/flows.sh " + n_ + v + " > " + out + ".n; wait");
    auto kernel = lines(out + ".k"), ours = lines(out + ".n");
    std::string retry;
    for (const auto& [flow, fate] : kernel) {
      auto it = ours.find(flow);
      if (it == ours.end() || it->second == fate) continue;
      if (late(fate) || late(it->second)) retry += flow + "\n";
    }
    if (!retry.empty()) {
      std::ofstream(out + ".retry") << retry;
      RecordProperty("retried", retry);
      const std::string again = v + " 6 " + out + ".retry";
      sh(kDir + "/flows.sh " + k_ + again + " > " + out + ".k2 & " + kDir + "/flows.sh " + n_ + again + " > " + out + ".n2; wait");
      for (const auto& [flow, fate] : lines(out + ".k2")) kernel[flow] = fate;
      for (const auto& [flow, fate] : lines(out + ".n2")) ours[flow] = fate;
    }
    sh("rm -f " + out + ".k " + out + ".n " + out + ".retry " + out + ".k2 " + out + ".n2");
    return {text(kernel), text(ours)};
  }
  // "<from> <proto> <dst>" -> fate, from flows.sh's output.
  static std::map<std::string, std::string> lines(const std::string& path) {
    std::map<std::string, std::string> m;
    std::ifstream in(path);
    for (std::string l; std::getline(in, l);)
      if (auto sp = l.rfind(' '); sp != std::string::npos) m[l.substr(0, sp)] = l.substr(sp + 1);
    return m;
  }
  static bool late(const std::string& fate) { return fate == "timeout" || fate == "fail" || fate == "blocked"; }
  static std::string text(const std::map<std::string, std::string>& m) {
    std::string t;
    for (const auto& [flow, fate] : m) t += flow + " " + fate + "\n";
    return t;
  }
  std::string p_, k_, n_;
  Process tool_;
};

TEST_P(IptablesDifferential, SameFateForEveryFlow) {
  const std::string rules = kDir + "/" + GetParam();
  sh_ok("ip netns exec " + k_ + "-r iptables-legacy-restore < " + rules);
  ASSERT_TRUE(start_netaccel(rules)) << sh("cat /tmp/" + p_ + ".log").out;
  // Twice: the second round runs against established conntrack state of the first.
  for (int round = 0; round < 2; ++round) {
    auto [kernel, ours] = matrices(4);
    std::istringstream a(kernel), b(ours);
    std::string la, lb;
    int lines = 0, answered = 0, blocked = 0;
    while (std::getline(a, la)) {
      ASSERT_TRUE(std::getline(b, lb));
      EXPECT_EQ(la, lb) << "round " << round;
      ++lines;
      if (la.find("10.61.") != std::string::npos && la.rfind(" 10.61.") != la.find(" 10.61.")) ++answered;
      if (la.find("timeout") != std::string::npos) ++blocked;
    }
    EXPECT_GT(lines, 40);
    EXPECT_GT(answered, 3) << kernel;  // the matrix is not all-blocked ...
    EXPECT_GT(blocked, 3) << kernel;   // ... nor all-open
  }
}

// Random filter rulesets, and filter with nat ("nat:N"), over the topology's own addresses,
// ports and interfaces (so rules hit the flows), with user chains, jumps, negations, ctstate,
// marks, REJECT, LOG, DNAT, SNAT and MASQUERADE; the fixed seeds keep a failure reproducible
// (13, 19, 21, 46, 50, 74 and nat:20 each found a difference: this host's own ICMP errors as
// RELATED, REJECT's answer in OUTPUT and its source address, the kernel's EPERM killing a
// listener or failing a UDP write, a masqueraded reply judged in INPUT). Only "same fate" is
// asserted: a random ruleset may well block or pass everything.
class IptablesRandomDifferential : public IptablesDifferential {};

RulesetShape topology_shape() {
  RulesetShape shape;
  shape.rules = 30;
  shape.user_chains = 3;
  shape.statistic = false;
  shape.addresses = {"10.61.1.2", "10.61.2.2", "10.61.2.3", "10.61.9.9", "10.61.1.1", "10.61.2.0", "10.61.0.0"};
  shape.interfaces = {"rc0", "rs0", "lo"};
  shape.ports = {22, 53, 80, 443, 2222, 5000, 5353, 8080};
  shape.dnat_to = "10.61.2.3";
  shape.snat_to = "10.61.2.1";
  return shape;
}

// A random filter ruleset of the shape, followed by a random nat one when nat.
std::string random_filter_and_nat(std::mt19937& rng, RulesetShape shape, bool nat) {
  std::string text = random_ruleset(rng, shape);
  if (nat) {
    shape.nat = true;
    shape.rules = 20;
    text += random_ruleset(rng, shape);
  }
  return text;
}

TEST_P(IptablesRandomDifferential, SameFateForEveryFlow) {
  const std::string& param = GetParam();  // "seed" (filter) or "nat:seed" (filter and nat)
  const bool nat = param.rfind("nat:", 0) == 0;
  std::mt19937 rng(static_cast<unsigned>(std::stoul(nat ? param.substr(4) : param)));
  const std::string rules = "/tmp/" + p_ + ".rules";
  std::ofstream(rules) << random_filter_and_nat(rng, topology_shape(), nat);
  RecordProperty("ruleset", sh("cat " + rules).out);
  sh_ok("ip netns exec " + k_ + "-r iptables-legacy-restore < " + rules);
  ASSERT_TRUE(start_netaccel(rules)) << sh("cat /tmp/" + p_ + ".log").out;
  for (int round = 0; round < 2; ++round) {
    auto [kernel, ours] = matrices(4);
    EXPECT_EQ(kernel, ours) << "round " << round << ", ruleset:\n" << sh("cat " + rules).out;
    EXPECT_GT(std::count(kernel.begin(), kernel.end(), '\n'), 40);
  }
  sh("rm -f " + rules);
}

INSTANTIATE_TEST_SUITE_P(Seeds, IptablesRandomDifferential,
                         ::testing::Values("1", "2", "3", "4", "13", "19", "21", "46", "50", "74", "nat:1", "nat:2", "nat:3",
                                           "nat:20"),
                         [](const auto& info) {
                           std::string n = info.param;
                           return n.rfind("nat:", 0) == 0 ? "nat_seed_" + n.substr(4) : "seed_" + n;
                         });

INSTANTIATE_TEST_SUITE_P(Rulesets, IptablesDifferential,
                         ::testing::Values("forward_nat.rules", "kube_proxy.rules", "host_firewall.rules", "reject.rules", "related.rules",
                                           "nat_errors.rules"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           return n;
                         });

// IPv6: ip6tables-legacy on one router, netaccel's IPv6 instance on the twin, the IPv6 flow
// matrix (flows.sh P 6) through both. Hand-written rulesets (a host firewall with neighbour
// discovery by type, a stateful forwarding policy, REJECT of every kind, DNAT/REDIRECT/
// MASQUERADE with a translated ICMPv6 error) and random filter and nat rulesets over the
// topology's IPv6 addresses (ip6tables-save's vocabulary, ctstate UNTRACKED included; seeds 14
// and 15 stop the router's neighbour discovery, where REJECT's answers must be lost as Linux's).
class Ip6tablesDifferential : public IptablesDifferential {
 protected:
  void same_fate(const std::string& rules, bool expect_mixed) {
    sh_ok("ip netns exec " + k_ + "-r ip6tables-legacy-restore < " + rules);
    ASSERT_TRUE(start_netaccel(rules, true)) << sh("cat /tmp/" + p_ + ".log").out;
    for (int round = 0; round < 2; ++round) {
      auto [kernel, ours] = matrices(6);
      EXPECT_EQ(kernel, ours) << "round " << round << ", ruleset:\n" << sh("cat " + rules).out;
      int lines = 0, answered = 0, blocked = 0;
      std::istringstream in(kernel);
      for (std::string l; std::getline(in, l); ++lines) {
        std::string fate = l.substr(l.rfind(' ') + 1);
        if (fate.find("fd61") != std::string::npos || fate == "ok") ++answered;
        else ++blocked;  // dropped, refused, unreachable: whatever did not get through
      }
      EXPECT_GT(lines, 30);
      if (expect_mixed) {
        EXPECT_GT(answered, 3) << kernel;  // the matrix is not all-blocked ...
        EXPECT_GT(blocked, 3) << kernel;   // ... nor all-open
      }
    }
  }
};

TEST_P(Ip6tablesDifferential, SameFateForEveryFlow) {
  const std::string& param = GetParam();  // a rules file, "seed:N" (filter) or "nat:N" (filter and nat)
  const bool nat = param.rfind("nat:", 0) == 0;
  if (!nat && param.rfind("seed:", 0) != 0) return same_fate(kDir + "/" + param, true);
  std::mt19937 rng(static_cast<unsigned>(std::stoul(param.substr(param.find(':') + 1))));
  RulesetShape shape = topology_shape();
  shape.ipv6 = true;
  shape.addresses = {"fd61:1::2", "fd61:2::2", "fd61:2::3", "fd61:9::9", "fd61:1::1", "fd61:2::", "fd61::"};
  shape.dnat_to = "fd61:2::3";
  shape.snat_to = "fd61:2::1";
  const std::string rules = "/tmp/" + p_ + ".rules";
  std::ofstream(rules) << random_filter_and_nat(rng, shape, nat);
  RecordProperty("ruleset", sh("cat " + rules).out);
  same_fate(rules, false);
  sh("rm -f " + rules);
}

INSTANTIATE_TEST_SUITE_P(Rulesets, Ip6tablesDifferential,
                         ::testing::Values("ip6_host_firewall.rules", "ip6_forward.rules", "ip6_reject.rules", "ip6_nat.rules", "seed:1",
                                           "seed:2", "seed:3", "seed:4", "seed:5", "seed:6", "seed:14", "seed:15", "nat:1", "nat:2", "nat:3"),
                         [](const auto& info) {
                           std::string n = info.param;
                           if (n.rfind("seed:", 0) == 0) return "seed_" + n.substr(5);
                           if (n.rfind("nat:", 0) == 0) return "nat_seed_" + n.substr(4);
                           return n.substr(0, n.find('.'));
                         });

}  // namespace

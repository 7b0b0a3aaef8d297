// netaccel-iptables' model without a kernel: iptables-restore input in, iptables-save output
// out, byte for byte as iptables 1.8.9 printed the same input (fixtures in iptables/, captured
// from iptables-legacy-save), restore semantics (flush, --noflush, counters, COMMIT), and an
// error with the line number and option for every kind of bad input, changing nothing.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "restore.h"
#include "rule_parser.h"
#include "save.h"

using namespace netaccel::ipt;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(std::string(NETACCEL_SOURCE_DIR) + "/tests/unit/iptables/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string save_table(const Ruleset& rs, TableId t, bool counters = false) {
  SaveOptions o;
  o.only = t;
  o.header = false;
  o.counters = counters;
  return save(rs, o);
}

TEST(IptablesModel, KubeProxyAndHostRulesetPrintsLikeIptablesSave) {
  auto rs = restore(empty_ruleset(), fixture("kube_and_host.rules"), {});
  ASSERT_TRUE(rs) << rs.error().what();
  EXPECT_EQ(save_table(*rs, TableId::filter), fixture("kube_and_host.filter.expected"));
  EXPECT_EQ(save_table(*rs, TableId::nat), fixture("kube_and_host.nat.expected"));
}

TEST(IptablesModel, AssortedMatchesAndCountersPrintLikeIptablesSave) {
  auto rs = restore(empty_ruleset(), fixture("assorted.rules"), {false, true});
  ASSERT_TRUE(rs) << rs.error().what();
  EXPECT_EQ(save_table(*rs, TableId::filter, true), fixture("assorted.filter.counters.expected"));
  EXPECT_EQ(save_table(*rs, TableId::nat, true), fixture("assorted.nat.counters.expected"));
}

TEST(IptablesModel, SaveOfRestoreIsAFixedPoint) {
  auto rs = restore(empty_ruleset(), fixture("kube_and_host.rules"), {});
  ASSERT_TRUE(rs);
  SaveOptions o;
  o.header = false;
  std::string once = save(*rs, o);
  auto again = restore(empty_ruleset(), once, {});
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(save(*again, o), once);
}

TEST(IptablesModel, FlushReplacesTheTableNoflushKeepsItAndEmptiesDeclaredChains) {
  auto rs = restore(empty_ruleset(),
                    "*filter\n:INPUT ACCEPT [0:0]\n:A - [0:0]\n:B - [0:0]\n-A INPUT -j A\n-A A -j ACCEPT\n-A B -j DROP\nCOMMIT\n", {});
  ASSERT_TRUE(rs) << rs.error().what();
  // --noflush: B is declared again (emptied, then refilled), A and INPUT keep their rules.
  auto nf = restore(*rs, "*filter\n:B - [0:0]\n-A B -j RETURN\nCOMMIT\n", {true, false});
  ASSERT_TRUE(nf) << nf.error().what();
  EXPECT_EQ(list_rules(nf->filter, Family::v4, "", false),
            "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N A\n-N B\n-A INPUT -j A\n-A A -j ACCEPT\n-A B -j RETURN\n");
  // Without --noflush the table is replaced: A and B are gone.
  auto fl = restore(*rs, "*filter\n:INPUT DROP [0:0]\nCOMMIT\n", {});
  ASSERT_TRUE(fl) << fl.error().what();
  EXPECT_EQ(list_rules(fl->filter, Family::v4, "", false), "-P INPUT DROP\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
  // kube-proxy deletes stale chains with -X in --noflush mode.
  auto x = restore(*nf, "*filter\n-F B\n-X B\nCOMMIT\n", {true, false});
  ASSERT_TRUE(x) << x.error().what();
  EXPECT_EQ(x->filter.find("B"), nullptr);
}

TEST(IptablesModel, MarkTargetFormsBecomeSetXmark) {
  auto rs = restore(empty_ruleset(),
                    "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MARK --set-mark 0x2\n-A POSTROUTING -j MARK --or-mark 0x1\n"
                    "-A POSTROUTING -j MARK --xor-mark 0x4000\n-A POSTROUTING -j MARK --and-mark 0xff\nCOMMIT\n", {});
  ASSERT_TRUE(rs) << rs.error().what();
  EXPECT_EQ(list_rules(rs->nat, Family::v4, "POSTROUTING", false),
            "-P POSTROUTING ACCEPT\n-A POSTROUTING -j MARK --set-xmark 0x2/0xffffffff\n-A POSTROUTING -j MARK --set-xmark 0x1/0x1\n"
            "-A POSTROUTING -j MARK --set-xmark 0x4000/0x0\n-A POSTROUTING -j MARK --set-xmark 0x0/0xffffff00\n");
}

// kube-proxy writes the protocol's match before the protocol ("-m tcp -p tcp", and -d/--dport
// after it); iptables accepts any order it can parse and saves its canonical one.
TEST(IptablesModel, KubeProxyOptionOrderSavesInIptablesOrder) {
  auto rs = restore(empty_ruleset(),
                    "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\n"
                    "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-X\n"
                    "-A KUBE-SVC-X -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.1.2.3:8080\n"
                    "-A KUBE-SVC-X -m multiport -p udp --dports 53,5353 -m udp -m udp --sport 9 -j RETURN\nCOMMIT\n",
                    {});
  ASSERT_TRUE(rs) << rs.error().what();
  EXPECT_EQ(list_rules(rs->nat, Family::v4, "", false),
            "-P PREROUTING ACCEPT\n-P INPUT ACCEPT\n-P OUTPUT ACCEPT\n-P POSTROUTING ACCEPT\n-N KUBE-SERVICES\n-N KUBE-SVC-X\n"
            "-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp --dport 80 -j KUBE-SVC-X\n"
            "-A KUBE-SVC-X -p tcp -m comment --comment \"ns1/svc1:p80\" -m tcp -j DNAT --to-destination 10.1.2.3:8080\n"
            "-A KUBE-SVC-X -p udp -m multiport --dports 53,5353 -m udp -m udp --sport 9 -j RETURN\n");
}

struct BadInput {
  std::string name, text, message;
};

class IptablesBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(IptablesBadInput, FailsWithLineAndOptionAndChangesNothing) {
  auto before = restore(empty_ruleset(), "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n", {});
  ASSERT_TRUE(before);
  auto r = restore(*before, GetParam().text, {});
  ASSERT_FALSE(r) << "accepted: " << GetParam().text;
  EXPECT_NE(r.error().what().find(GetParam().message), std::string::npos) << r.error().what();
  EXPECT_EQ(list_rules(before->filter, Family::v4, "", false), "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -j ACCEPT\n");
}

const std::string F = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
const std::string N = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";

INSTANTIATE_TEST_SUITE_P(
    Table, IptablesBadInput,
    ::testing::Values(
        BadInput{"unknown_option", F + "-A INPUT --frobnicate -j ACCEPT\nCOMMIT\n", "line 5: unknown option --frobnicate"},
        BadInput{"unknown_match", F + "-A INPUT -m recent --name x -j DROP\nCOMMIT\n", "line 5: -m recent: match not supported"},
        BadInput{"dport_without_proto", F + "-A INPUT --dport 80 -j ACCEPT\nCOMMIT\n", "line 5: unknown option --dport (needs -p tcp, udp or sctp first)"},
        BadInput{"bad_address", F + "-A INPUT -s 10.0.0.300 -j ACCEPT\nCOMMIT\n", "line 5: -s: address: '10.0.0.300' is not an IPv4 address"},
        BadInput{"bad_prefix", F + "-A INPUT -d 10.0.0.0/33 -j ACCEPT\nCOMMIT\n", "prefix length '33' is not 0-32"},
        BadInput{"bad_port", F + "-A INPUT -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n", "--dport: port 70000 is out of range"},
        BadInput{"empty_range", F + "-A INPUT -p udp --sport 90:80 -j ACCEPT\nCOMMIT\n", "range 90:80 is empty"},
        BadInput{"missing_chain", F + "-A INPUT -j NOWHERE\nCOMMIT\n", "jumps to NOWHERE, which does not exist"},
        BadInput{"no_such_chain", F + "-A NOPE -j ACCEPT\nCOMMIT\n", "line 5: chain NOPE does not exist in table filter"},
        BadInput{"loop", F + ":A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n", "chains loop"},
        BadInput{"no_commit", F + "-A INPUT -j ACCEPT\n", "line 1: table filter has no COMMIT"},
        BadInput{"mangle", "*mangle\nCOMMIT\n", "line 1: table 'mangle' is not supported"},
        BadInput{"dnat_in_filter", F + "-A INPUT -j DNAT --to-destination 1.2.3.4\nCOMMIT\n", "-j DNAT: only in the nat table"},
        BadInput{"dnat_in_postrouting", N + "-A POSTROUTING -j DNAT --to-destination 1.2.3.4\nCOMMIT\n", "DNAT only works in PREROUTING and OUTPUT"},
        BadInput{"masquerade_via_user_chain", N + ":X - [0:0]\n-A PREROUTING -j X\n-A X -j MASQUERADE\nCOMMIT\n", "chain X rule 1: MASQUERADE only works in POSTROUTING"},
        BadInput{"dnat_port_without_proto", N + "-A PREROUTING -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n", "a port needs -p tcp, udp or sctp"},
        BadInput{"dnat_without_to", N + "-A PREROUTING -p tcp -j DNAT\nCOMMIT\n", "-j DNAT: needs --to-destination"},
        BadInput{"reject_with", F + "-A INPUT -j REJECT --reject-with icmp-bogus\nCOMMIT\n", "--reject-with: 'icmp-bogus' is not supported"},
        BadInput{"bad_state", F + "-A INPUT -m conntrack --ctstate NEWISH -j ACCEPT\nCOMMIT\n", "--ctstate: unknown state 'NEWISH'"},
        BadInput{"bad_probability", N + "-A PREROUTING -m statistic --mode random --probability 1.5 -j ACCEPT\nCOMMIT\n", "--probability: '1.5' is not in [0, 1]"},
        BadInput{"addrtype_unicast", F + "-A INPUT -m addrtype --dst-type UNICAST -j ACCEPT\nCOMMIT\n", "--dst-type: only LOCAL is supported"},
        BadInput{"policy_on_user_chain", F + ":X ACCEPT [0:0]\nCOMMIT\n", "user chain X cannot have a policy"},
        BadInput{"bad_policy", "*filter\n:INPUT REJECT [0:0]\nCOMMIT\n", "needs policy ACCEPT or DROP"},
        BadInput{"unterminated_quote", F + "-A INPUT -m comment --comment \"abc -j ACCEPT\nCOMMIT\n", "line 5: unterminated quote"},
        BadInput{"outside_table", ":INPUT ACCEPT [0:0]\n", "line 1: ':INPUT ACCEPT [0:0]' outside a table"},
        BadInput{"delete_referenced", F + ":X - [0:0]\n-A INPUT -j X\n-X X\nCOMMIT\n", "chain X is still referenced from INPUT"},
        BadInput{"two_targets", F + "-A INPUT -j ACCEPT -j DROP\nCOMMIT\n", "-j: the rule already has a target"},
        BadInput{"several_addresses", F + "-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT\nCOMMIT\n", "several addresses in one rule are not supported"},
        BadInput{"fragment", F + "-A INPUT -f -j DROP\nCOMMIT\n", "-f: fragment matching is not supported"},
        BadInput{"bad_mark", F + "-A INPUT -m mark --mark 0xzz -j ACCEPT\nCOMMIT\n", "--mark: '0xzz' is not a number"},
        BadInput{"match_of_another_protocol", F + "-A INPUT -m udp -p tcp --dport 80 -j ACCEPT\nCOMMIT\n", "line 5: -m udp: the rule needs -p udp"},
        BadInput{"match_without_protocol", F + "-A INPUT -m tcp --dport 80 -j ACCEPT\nCOMMIT\n", "-m tcp: the rule needs -p tcp"},
        BadInput{"match_of_negated_protocol", F + "-A INPUT -m tcp ! -p tcp -j ACCEPT\nCOMMIT\n", "-m tcp: the rule needs -p tcp"},
        BadInput{"protocol_twice", F + "-A INPUT -p tcp -p tcp -j ACCEPT\nCOMMIT\n", "multiple -p flags not allowed"},
        BadInput{"multiport_before_protocol", F + "-A INPUT -m multiport --dports 80,81 -p tcp -j ACCEPT\nCOMMIT\n",
                 "-m multiport --dports: needs -p tcp, udp or sctp before it"},
        BadInput{"icmp_match_without_type", F + "-A INPUT -p icmp -m icmp -j ACCEPT\nCOMMIT\n", "--icmp-type: must be given with -m icmp"}),
    [](const auto& info) { return info.param.name; });

// Random mutations of valid rules: the parser never crashes and never accepts a rule that does
// not print back to something it accepts again unchanged.
TEST(IptablesModelFuzz, MutatedRulesParseOrFailCleanly) {
  const std::vector<std::string> seeds = {
      "-s 10.0.0.0/8 ! -d 10.1.2.3 -i eth+ -o veth0 -p tcp --dport 80:90 -j ACCEPT",
      "-p udp -m multiport --dports 53,1000:2000 -j ACCEPT",
      "-p tcp --tcp-flags SYN,RST,ACK SYN -j DROP",
      "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-m comment --comment \"a b\" -m mark --mark 0x4000/0x4000 -j ACCEPT",
      "-m statistic --mode random --probability 0.25 -j RETURN",
      "-p icmp --icmp-type echo-request -j REJECT --reject-with icmp-host-prohibited",
      "-m addrtype --dst-type LOCAL -j LOG --log-prefix x",
  };
  const std::vector<std::string> noise = {"!", "-p", "tcp", "--dport", "--sport", "-m", "multiport", ":", "0x", "-j",
                                          "ACCEPT", "-s", "1.2.3.4/", "--ctstate", "\"", "--comment", "", "-1", "65536",
                                          "--tcp-flags", "ALL", "--mode", "nth", "--every", "0", "-i", "+"};
  std::mt19937 rng(12345);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    auto words = split_words(seeds[rng() % seeds.size()]);
    ASSERT_TRUE(words);
    auto w = *words;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = w.empty() ? 0 : rng() % (w.size() + 1);
      switch (rng() % 3) {
        case 0: w.insert(w.begin() + static_cast<long>(pos), noise[rng() % noise.size()]); break;
        case 1: if (!w.empty()) w.erase(w.begin() + static_cast<long>(pos % w.size())); break;
        case 2: if (!w.empty()) w[pos % w.size()] = noise[rng() % noise.size()]; break;
      }
    }
    auto r = parse_rule(w, TableId::filter, Family::v4);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    ++accepted;
    std::string input;
    for (const auto& x : w) input += "[" + x + "] ";
    std::string printed = rule_spec(*r, Family::v4);
    auto again = split_words(printed);
    ASSERT_TRUE(again) << printed << " from " << input;
    auto r2 = parse_rule(*again, TableId::filter, Family::v4);
    ASSERT_TRUE(r2) << "printed form does not parse: " << printed << ": " << r2.error().what() << " from " << input;
    EXPECT_EQ(rule_spec(*r2, Family::v4), printed) << " from " << input;
  }
  EXPECT_GT(accepted, 100);  // the fuzzer reaches the accepting paths too
}

}  // namespace

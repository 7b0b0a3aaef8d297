// `iptables -L` as netaccel prints it, without a kernel: every column and the words of each
// match and target, counters rounded as iptables rounds them. The expected text is what
// iptables-legacy 1.8.9 printed for the same input (the integration round trip compares the
// two live, for many more rulesets and every -L form).
#include <gtest/gtest.h>

#include "listing.h"
#include "restore.h"

using namespace netaccel::ipt;

namespace {

const char* kRules =
    "*filter\n:INPUT ACCEPT [123456:9999500]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:X - [0:0]\n"
    "[100000:5000000000000] -A INPUT -s 10.0.0.0/8 ! -d 10.1.2.3/32 -i eth0 -p tcp -m tcp --sport 1:2 --dport 22 "
    "--tcp-flags FIN,SYN,RST,ACK SYN -j X\n"
    "[7:99999] -A INPUT -p icmp -m icmp ! --icmp-type 8 -j DROP\n"
    "-A INPUT -m conntrack ! --ctstate NEW -m comment --comment \"a b\" -j MARK --set-xmark 0x4000/0x4000\n"
    "-A INPUT -p tcp -m tcp --dport 22 -g X\n"
    "-A X -j LOG --log-prefix \"p: \" --log-level 7\n"
    "COMMIT\n";

Table filter_of(const char* text) {
  auto rs = restore(empty_ruleset(Family::v4), text, {false, true});
  EXPECT_TRUE(rs) << rs.error().what();
  return rs ? rs->table(TableId::filter) : Table{};
}

TEST(IptablesListing, NumericVerboseWithLineNumbersIsIptablesText) {
  const std::string expected =
      "Chain INPUT (policy ACCEPT 123K packets, 10M bytes)\n"
      "num   pkts bytes target     prot opt in     out     source               destination         \n"
      "1     100K 5000G X          6    --  eth0   *       10.0.0.0/8          !10.1.2.3             tcp spts:1:2 dpt:22 flags:0x17/0x02\n"
      "2        7 99999 DROP       1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 8\n"
      "3        0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate NEW /* a b */ MARK or 0x4000\n"
      "4        0     0 X          6    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto]  tcp dpt:22\n"
      "\n"
      "Chain FORWARD (policy DROP 0 packets, 0 bytes)\n"
      "num   pkts bytes target     prot opt in     out     source               destination         \n"
      "\n"
      "Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)\n"
      "num   pkts bytes target     prot opt in     out     source               destination         \n"
      "\n"
      "Chain X (2 references)\n"
      "num   pkts bytes target     prot opt in     out     source               destination         \n"
      "1        0     0 LOG        0    --  *      *       0.0.0.0/0            0.0.0.0/0            LOG flags 0 level 7 prefix \"p: \"\n";
  EXPECT_EQ(list_table(filter_of(kRules), Family::v4, "", {true, true, false, true}), expected);
}

TEST(IptablesListing, OneChainWithNamesSaysAnywhereAndLevelNames) {
  // No address and no port to look up: "anywhere", "all", the LOG level's name.
  const std::string expected =
      "Chain X (2 references)\n"
      "target     prot opt source               destination         \n"
      "LOG        all  --  anywhere             anywhere             LOG level debug prefix \"p: \"\n";
  EXPECT_EQ(list_table(filter_of(kRules), Family::v4, "X", {}), expected);
}

TEST(IptablesListing, ExactCountersAreNotRounded) {
  const std::string out = list_table(filter_of(kRules), Family::v4, "INPUT", {true, true, true, false});
  EXPECT_NE(out.find("Chain INPUT (policy ACCEPT 123456 packets, 9999500 bytes)\n"), std::string::npos) << out;
  EXPECT_NE(out.find("    pkts      bytes target"), std::string::npos) << out;
  EXPECT_NE(out.find("  100000 5000000000000 X "), std::string::npos) << out;
}

}  // namespace

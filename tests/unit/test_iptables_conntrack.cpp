// Conntrack timeouts (which connection the sweep forgets, Linux's defaults) and their keys in
// iptables.conf.
#include <gtest/gtest.h>

#include "conntrack_timeouts.h"
#include "iptables_config.h"

using namespace netaccel;
using namespace netaccel::ipt;

namespace {

constexpr uint64_t kSec = 1000000000ull;

ipt_conn conn(uint8_t proto, uint32_t flags, uint64_t last_seen_s) {
  ipt_conn c{};
  c.reply_key.proto = proto;
  c.flags = flags;
  c.last_seen_ns = last_seen_s * kSec;
  return c;
}

TEST(IptablesConntrack, LinuxDefaultTimeoutsByProtocolAndState) {
  CtTimeouts t;
  struct {
    uint8_t proto;
    uint32_t flags;
    uint32_t seconds;
  } cases[] = {
      {6, 0, 120},                                             // SYN sent, no answer
      {6, IPT_CONN_SEEN_REPLY, 432000},                        // established
      {6, IPT_CONN_SEEN_REPLY | IPT_CONN_CLOSING, 120},        // FIN/RST seen
      {17, 0, 30},                                             // UDP, one way
      {17, IPT_CONN_SEEN_REPLY, 120},                          // UDP stream
      {1, IPT_CONN_SEEN_REPLY, 30},                            // ICMP echo
      {47, 0, 600},                                            // anything else
  };
  for (const auto& c : cases) EXPECT_EQ(ct_timeout(t, c.proto, c.flags), c.seconds) << int(c.proto) << " " << c.flags;
}

TEST(IptablesConntrack, ExpiresOnlyAfterItsTimeout) {
  CtTimeouts t;
  t.udp_unreplied = 2;
  EXPECT_FALSE(ct_expired(t, conn(17, 0, 100), 101 * kSec));
  EXPECT_FALSE(ct_expired(t, conn(17, 0, 100), 102 * kSec));
  EXPECT_TRUE(ct_expired(t, conn(17, 0, 100), 102 * kSec + 1));
  EXPECT_FALSE(ct_expired(t, conn(17, IPT_CONN_SEEN_REPLY, 100), 200 * kSec));  // stream: 120 s
  EXPECT_FALSE(ct_expired(t, conn(17, 0, 100), 50 * kSec)) << "seen after now (clock read earlier): not expired";
}

TEST(IptablesConntrack, TimeoutKeysInTheConfig) {
  auto ini = IniConfig::parse_string("[iptables]\nudp_timeout = 5\ntcp_timeout_established = 3600\nconntrack_sweep_interval = 2\n",
                                     "iptables.conf");
  ASSERT_TRUE(ini);
  auto c = parse_iptables_config(*ini);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->timeouts.udp_unreplied, 5u);
  EXPECT_EQ(c->timeouts.tcp_established, 3600u);
  EXPECT_EQ(c->timeouts.udp_replied, 120u) << "unset keys keep Linux's default";
  EXPECT_EQ(c->ct_sweep_interval, 2u);
  for (const char* bad : {"udp_timeout = 0", "udp_timeout = soon", "icmp_timeout = -3", "conntrack_sweep_interval = 99999"}) {
    auto b = IniConfig::parse_string(std::string("[iptables]\n") + bad + "\n", "iptables.conf");
    ASSERT_TRUE(b);
    auto r = parse_iptables_config(*b);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << r.error().message;
  }
}

TEST(IptablesConfig, Ipv6RulesetKeys) {
  auto ini = IniConfig::parse_string("[iptables]\n", "iptables.conf");
  ASSERT_TRUE(ini);
  auto c = parse_iptables_config(*ini);
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->ipv6) << "the ip6tables ruleset is on by default";
  EXPECT_EQ(c->state_file6, "/var/lib/netaccel/ip6tables.rules");
  ini = IniConfig::parse_string("[iptables]\nipv6 = no\nstate_file6 = /run/x6.rules\n", "iptables.conf");
  ASSERT_TRUE(ini);
  c = parse_iptables_config(*ini);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->ipv6);
  EXPECT_EQ(c->state_file6, "/run/x6.rules");
  for (const char* bad : {"ipv6 = maybe", "state_file6 = relative.rules", "state_file6 = /var/lib/netaccel/iptables.rules",
                          "pin_root = relative/pins"}) {  // pin_root is checked as fwd and sockmap check it
    auto b = IniConfig::parse_string(std::string("[iptables]\n") + bad + "\n", "iptables.conf");
    ASSERT_TRUE(b);
    auto r = parse_iptables_config(*b);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << r.error().message;
  }
}

}  // namespace

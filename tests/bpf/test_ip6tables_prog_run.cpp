// The IPv6 instance of the netaccel-iptables data path under BPF_PROG_RUN: frames through
// ipt_tc_ingress (INPUT) and ipt_tc_egress (this host's answers), an ip6tables ruleset whose
// rule counters say which rule took each packet. Prefixes longer than 32 bits, ports behind
// extension headers, fragments, conntrack states of ICMPv6 as Linux gives them (neighbour
// discovery UNTRACKED, echo replies without a request INVALID, errors about tracked flows
// RELATED), and IPv4 frames left to the other instance.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "bpf_test_env.h"
#include "harness.h"
#include "ipt_tc_run.h"
#include "packet_builder.h"

using namespace netaccel;
using namespace netaccel::ipt;
using test::PacketBuilder;

namespace {

constexpr int kTcNext = -1, kTcOk = 0, kTcShot = 2, kTcRedirect = 7;
constexpr uint8_t SYN = 0x02, ACK = 0x10;

// INPUT's rules in order; kPolicy: none matched.
enum Rule { kUntracked = 0, kRelated, kEstablished, kInvalid, kSsh64, kSsh48, kDns, kPing, kWeb, kReset, kUnreach, kPolicy, kNotOurs };
const char* kRuleNames[] = {"UNTRACKED", "RELATED", "ESTABLISHED", "INVALID", "ssh from /64", "ssh from /48", "dns",
                            "ping", "web to fd00::1", "telnet reset", "tftp unreachable", "(policy)", "(not ours)"};

const char* kRules =
    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate RELATED -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate INVALID -j DROP\n"
    "-A INPUT -s 2001:db8:1:2::/64 -p tcp -m tcp --dport 22 -j ACCEPT\n"
    "-A INPUT -s 2001:db8:1::/48 -p tcp -m tcp --dport 22 -j DROP\n"
    "-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
    "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\n"
    "-A INPUT -d fd00::1/128 -p tcp -m tcp --dport 80 -j ACCEPT\n"
    "-A INPUT -p tcp -m tcp --dport 23 -j REJECT --reject-with tcp-reset\n"
    "-A INPUT -p udp -m udp --dport 69 -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n";

PacketBuilder frame() { return PacketBuilder().eth("02:00:00:00:00:01", "02:00:00:00:00:02"); }

std::vector<uint8_t> tcp6(const char* src, const char* dst, uint16_t sport, uint16_t dport, uint8_t flags) {
  return frame().ipv6(src, dst).tcp(sport, dport).tcp_flags(flags).build();
}

// An extension header of 8 bytes (hop-by-hop: PadN; fragment: offset in 8-byte units, no M)
// between the IPv6 header and what was its payload.
std::vector<uint8_t> with_ext(std::vector<uint8_t> f, uint8_t type, uint16_t frag_offset = 0) {
  const size_t at = 14 + 40;
  std::vector<uint8_t> ext = {f[14 + 6], 0, 1, 4, 0, 0, 0, 0};  // next header; HBH: PadN of 4
  if (type == 44) ext = {f[14 + 6], 0, static_cast<uint8_t>(frag_offset >> 5), static_cast<uint8_t>(frag_offset << 3), 0, 0, 0x12, 0x34};
  f.insert(f.begin() + at, ext.begin(), ext.end());
  f[14 + 6] = type;
  uint16_t plen = static_cast<uint16_t>((f[14 + 4] << 8 | f[14 + 5]) + 8);
  f[14 + 4] = static_cast<uint8_t>(plen >> 8);
  f[14 + 5] = static_cast<uint8_t>(plen);
  return f;
}

std::vector<uint8_t> echo6(const char* src, const char* dst, uint8_t type, uint16_t id) {
  return frame().ipv6(src, dst).icmp6(type, 0, {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 1, 'p', 'i', 'n', 'g'}).build();
}

// Port unreachable from `from` about a UDP datagram src -> from (sport -> dport).
std::vector<uint8_t> unreachable6(const char* from, const char* src, uint16_t sport, uint16_t dport) {
  auto quoted = PacketBuilder().ipv6(src, from).udp(sport, dport, 8).build();
  std::vector<uint8_t> rest(4, 0);
  rest.insert(rest.end(), quoted.begin() + 14, quoted.end());
  return frame().ipv6(from, src).icmp6(1, 4, rest).build();
}

// The one's-complement checksum of an IPv6 packet's upper layer (frame from the Ethernet
// header, no extension headers), pseudo-header included: 0 when the packet's is right.
uint16_t upper_layer_csum6(const std::vector<uint8_t>& f) {
  uint32_t sum = 0;
  const size_t len = static_cast<size_t>(f[18] << 8 | f[19]);
  for (size_t i = 22; i < 54; i += 2) sum += static_cast<uint32_t>(f[i] << 8 | f[i + 1]);  // addresses
  sum += static_cast<uint32_t>(len) + f[20];  // length, next header
  for (size_t i = 0; i < len; i += 2) sum += static_cast<uint32_t>(f[54 + i] << 8 | (i + 1 < len ? f[54 + i + 1] : 0));
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::string addr_at(const std::vector<uint8_t>& f, size_t off) {
  char buf[64];
  inet_ntop(AF_INET6, &f[off], buf, sizeof(buf));
  return buf;
}

// REJECT's answers: back to the sender, from the address it asked, checksums right.
void is_reset(const std::vector<uint8_t>& f) {
  ASSERT_EQ(f.size(), 14u + 40 + 20);
  EXPECT_EQ(f[20], 6);
  EXPECT_EQ(addr_at(f, 22), "fd00::1");
  EXPECT_EQ(addr_at(f, 38), "2001:db8::7");
  EXPECT_EQ(f[54 + 13], 0x14) << "RST|ACK for a SYN";
  EXPECT_EQ(f[54 + 2] << 8 | f[54 + 3], 40020) << "to the sender's port";
  EXPECT_EQ(upper_layer_csum6(f), 0);
}
void is_port_unreachable(const std::vector<uint8_t>& f) {
  ASSERT_GE(f.size(), 14u + 40 + 8 + 40 + 8);
  EXPECT_EQ(f[20], 58);
  EXPECT_EQ(addr_at(f, 22), "fd00::1");
  EXPECT_EQ(addr_at(f, 38), "2001:db8::7");
  EXPECT_EQ(f[54], 1);
  EXPECT_EQ(f[55], 4);
  EXPECT_EQ(addr_at(f, 54 + 8 + 8), "2001:db8::7") << "the quote is the rejected packet";
  EXPECT_EQ(f.size(), 14u + 40 + 8 + 40 + 8 + 18) << "quoted whole";
  EXPECT_EQ(upper_layer_csum6(f), 0);
}

struct Step {
  std::string what;
  bool ingress;
  std::vector<uint8_t> bytes;
  int verdict;
  Rule rule;  // the INPUT rule whose counter moves (ingress), kPolicy / kNotOurs for none
  void (*answer)(const std::vector<uint8_t>&) = nullptr;  // checks the frame REJECT sent back
};

std::vector<Step> steps() {
  return {
      {"neighbour solicitation is UNTRACKED", true, frame().ipv6("fe80::2", "ff02::1:ff00:1").icmp6(135).build(), kTcOk, kUntracked},
      {"router advertisement is UNTRACKED", true, frame().ipv6("fe80::2", "ff02::1").icmp6(134).build(), kTcOk, kUntracked},
      {"ssh from inside the /64 (a prefix past the first word)", true, tcp6("2001:db8:1:2::9", "fd00::1", 40000, 22, SYN), kTcOk, kSsh64},
      {"ssh from the /48 outside the /64", true, tcp6("2001:db8:1:3::9", "fd00::1", 40001, 22, SYN), kTcShot, kSsh48},
      {"ssh from neither", true, tcp6("2001:db8:2::9", "fd00::1", 40002, 22, SYN), kTcShot, kPolicy},
      {"this host's SYN+ACK answers the /64 connection", false, tcp6("fd00::1", "2001:db8:1:2::9", 22, 40000, SYN | ACK), kTcOk, kPolicy},
      {"the client's ACK is ESTABLISHED", true, tcp6("2001:db8:1:2::9", "fd00::1", 40000, 22, ACK), kTcOk, kEstablished},
      {"ports behind a hop-by-hop header", true, with_ext(tcp6("2001:db8:1:2::9", "fd00::1", 40003, 22, SYN), 0), kTcOk, kSsh64},
      {"a first fragment keeps its ports", true, with_ext(frame().ipv6("2001:db8::7", "fd00::1").udp(5000, 53).build(), 44, 0), kTcOk, kDns},
      {"a later fragment has no ports", true, with_ext(frame().ipv6("2001:db8::7", "fd00::1").udp(5001, 53).build(), 44, 16), kTcShot, kPolicy},
      {"echo request is NEW", true, echo6("2001:db8::7", "fd00::1", 128, 77), kTcOk, kPing},
      {"this host's echo reply", false, echo6("fd00::1", "2001:db8::7", 129, 77), kTcOk, kPolicy},
      {"the next request of that echo is ESTABLISHED", true, echo6("2001:db8::7", "fd00::1", 128, 77), kTcOk, kEstablished},
      {"an echo reply nobody asked for is INVALID", true, echo6("2001:db8::7", "fd00::1", 129, 78), kTcShot, kInvalid},
      {"this host sends a UDP query", false, frame().ipv6("fd00::1", "2001:db8::53").udp(6000, 53).build(), kTcOk, kPolicy},
      {"port unreachable about it is RELATED", true, unreachable6("2001:db8::53", "fd00::1", 6000, 53), kTcOk, kRelated},
      {"port unreachable about nothing tracked is INVALID", true, unreachable6("2001:db8::53", "fd00::1", 6001, 53), kTcShot, kInvalid},
      {"-d matches the full 128 bits", true, tcp6("2001:db8::7", "fd00::1", 40010, 80, SYN), kTcOk, kWeb},
      {"one bit off in the last word", true, tcp6("2001:db8::7", "fd00::3", 40011, 80, SYN), kTcShot, kPolicy},
      {"tcp to 23 is reset", true, tcp6("2001:db8::7", "fd00::1", 40020, 23, SYN), kTcRedirect, kReset, is_reset},
      {"udp to 69 is port unreachable", true, frame().ipv6("2001:db8::7", "fd00::1").udp(40021, 69).build(), kTcRedirect, kUnreach,
       is_port_unreachable},
      {"IPv4 is the other instance's", true, frame().ipv4("10.0.0.2", "127.0.0.1").tcp(40000, 22).build(), kTcNext, kNotOurs},
  };
}

class Ip6tablesProgRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = test::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
    // The instance the daemon opens second; fd00::1 is this host's.
    ASSERT_EQ(dp_.start(Family::v6, kRules, {"fd00::1"}), "");
  }
  int run(bool ingress, std::vector<uint8_t>& bytes) { return dp_.run(ingress, bytes); }
  uint64_t hits(uint32_t rule) { return dp_.hits(rule); }
  test::IptDatapathUnderTest dp_;
};

TEST_F(Ip6tablesProgRun, RulesAndStatesAsIp6tablesGivesThem) {
  for (const auto& s : steps()) {
    SCOPED_TRACE(s.what);
    uint64_t before[kPolicy];
    for (uint32_t r = 0; r < kPolicy; ++r) before[r] = hits(r);
    auto bytes = s.bytes;
    EXPECT_EQ(run(s.ingress, bytes), s.verdict);
    for (uint32_t r = 0; r < kPolicy; ++r)
      EXPECT_EQ(hits(r) - before[r], s.ingress && s.rule == static_cast<Rule>(r) ? 1u : 0u)
          << "rule '" << kRuleNames[r] << "'; expected '" << kRuleNames[s.rule] << "'";
    if (s.answer) {
      s.answer(bytes);
    } else if (s.verdict != kTcShot) {
      EXPECT_EQ(bytes, s.bytes) << "a passing packet is not changed";
    }
  }
}

// IPv6 NAT under BPF_PROG_RUN: DNAT of TCP (address and port) and of ICMPv6 (whose checksum
// covers the addresses), its replies un-DNAT'ed, SNAT of this host's UDP and its replies, and
// an ICMPv6 error about a SNAT'ed datagram translated back (outer address, quote, quoted UDP
// checksum): every frame checked field by field, every checksum verified.
const char* kNatRules =
    "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
    "-A PREROUTING -d fd00::100/128 -p tcp -m tcp --dport 80 -j DNAT --to-destination [fd00::5]:8080\n"
    "-A PREROUTING -d fd00::100/128 -p ipv6-icmp -j DNAT --to-destination fd00::5\n"
    "-A POSTROUTING -s fd00:99::/64 -j SNAT --to-source fd00::1\nCOMMIT\n";

uint16_t port_at(const std::vector<uint8_t>& f, size_t off) { return static_cast<uint16_t>(f[off] << 8 | f[off + 1]); }

class Ip6NatProgRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = test::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(dp_.start(Family::v6, kNatRules, {"fd00::1", "fd00:99::7"}), "");
  }
  test::IptDatapathUnderTest dp_;
};

TEST_F(Ip6NatProgRun, RewritesAddressesPortsAndChecksums) {
  // DNAT: the client's SYN to the service address reaches fd00::5:8080.
  auto syn = tcp6("2001:db8::7", "fd00::100", 40000, 80, SYN);
  ASSERT_EQ(dp_.run(true, syn), kTcOk);
  EXPECT_EQ(addr_at(syn, 22), "2001:db8::7");
  EXPECT_EQ(addr_at(syn, 38), "fd00::5");
  EXPECT_EQ(port_at(syn, 54 + 2), 8080);
  EXPECT_EQ(upper_layer_csum6(syn), 0);
  // The answer leaves as if from the service address.
  auto synack = tcp6("fd00::5", "2001:db8::7", 8080, 40000, SYN | ACK);
  ASSERT_EQ(dp_.run(false, synack), kTcOk);
  EXPECT_EQ(addr_at(synack, 22), "fd00::100");
  EXPECT_EQ(port_at(synack, 54), 80);
  EXPECT_EQ(upper_layer_csum6(synack), 0);
  // ICMPv6 echo: the checksum covers the pseudo-header, so DNAT must fix it.
  auto ping = echo6("2001:db8::7", "fd00::100", 128, 9);
  ASSERT_EQ(dp_.run(true, ping), kTcOk);
  EXPECT_EQ(addr_at(ping, 38), "fd00::5");
  EXPECT_EQ(upper_layer_csum6(ping), 0);
  auto pong = echo6("fd00::5", "2001:db8::7", 129, 9);
  ASSERT_EQ(dp_.run(false, pong), kTcOk);
  EXPECT_EQ(addr_at(pong, 22), "fd00::100");
  EXPECT_EQ(upper_layer_csum6(pong), 0);
  // SNAT of this host's datagram from fd00:99::7, and the reply un-SNAT'ed.
  auto query = frame().ipv6("fd00:99::7", "2001:db8::53").udp(6000, 53).build();
  ASSERT_EQ(dp_.run(false, query), kTcOk);
  EXPECT_EQ(addr_at(query, 22), "fd00::1");
  EXPECT_EQ(port_at(query, 54), 6000) << "the port is free: kept";
  EXPECT_EQ(upper_layer_csum6(query), 0);
  auto answer = frame().ipv6("2001:db8::53", "fd00::1").udp(53, 6000).build();
  ASSERT_EQ(dp_.run(true, answer), kTcOk);
  EXPECT_EQ(addr_at(answer, 38), "fd00:99::7");
  EXPECT_EQ(upper_layer_csum6(answer), 0);
  // Port unreachable about the SNAT'ed query (as it left: from fd00::1): back to fd00:99::7,
  // quoting what fd00:99::7 sent.
  auto error = unreachable6("2001:db8::53", "fd00::1", 6000, 53);
  ASSERT_EQ(dp_.run(true, error), kTcOk);
  EXPECT_EQ(addr_at(error, 38), "fd00:99::7") << "outer destination";
  EXPECT_EQ(addr_at(error, 54 + 8 + 8), "fd00:99::7") << "quoted source";
  EXPECT_EQ(upper_layer_csum6(error), 0) << "ICMPv6 checksum";
  std::vector<uint8_t> quoted = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  quoted.insert(quoted.end(), error.begin() + 54 + 8, error.end());
  EXPECT_EQ(upper_layer_csum6(quoted), 0) << "the quoted datagram's UDP checksum";
}

}  // namespace

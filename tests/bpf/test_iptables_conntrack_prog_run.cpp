// Conntrack edge cases of the netaccel-iptables data path under BPF_PROG_RUN, as sequences of
// frames through ipt_tc_ingress (to a local address: the INPUT hook) and ipt_tc_egress (the
// local answers). filter INPUT and OUTPUT sort packets by ctstate into one rule each, so the
// rule whose counter moves says which state conntrack gave the packet; the states expected are Linux's
// (nf_conntrack_tcp's table for first packets and flag combinations, UDP and ICMP rules).
#include <algorithm>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include "bpf_test_env.h"
#include "compiler.h"
#include "harness.h"
#include "ipt_tc_run.h"
#include "packet_builder.h"
#include "restore.h"

using namespace netaccel;
using namespace netaccel::ipt;
using test::PacketBuilder;

namespace {

constexpr int kTcOk = 0, kTcShot = 2;
constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

// filter rule ids: the state each one catches (INPUT 0-3, OUTPUT 4-5).
enum State { kInvalid = 0, kEstablished, kRelated, kNew, kOutInvalid, kOutRelated, kNone };
constexpr uint32_t kRulesByState = kNone;
const char* kStateNames[] = {"INVALID", "ESTABLISHED", "RELATED", "NEW", "OUTPUT INVALID", "OUTPUT RELATED", "(no rule)"};

const char* kRules =
    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
    "-A INPUT -m conntrack --ctstate INVALID -j DROP\n"
    "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate RELATED -j ACCEPT\n"
    "-A INPUT -m conntrack --ctstate NEW -j ACCEPT\n"
    "-A OUTPUT -m conntrack --ctstate INVALID -j DROP\n"
    "-A OUTPUT -m conntrack --ctstate RELATED -j ACCEPT\nCOMMIT\n"
    "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
    "-A POSTROUTING -d 127.0.0.5/32 -p udp -j SNAT --to-source 127.0.0.9\nCOMMIT\n";

PacketBuilder frame() { return PacketBuilder().eth("02:00:00:00:00:01", "02:00:00:00:00:02"); }

// A peer (10.0.0.2) talking to this host (127.0.0.1), and this host answering.
std::vector<uint8_t> tcp_in(uint16_t sport, uint16_t dport, uint8_t flags) {
  return frame().ipv4("10.0.0.2", "127.0.0.1").tcp(sport, dport).tcp_flags(flags).build();
}
std::vector<uint8_t> tcp_out(uint16_t sport, uint16_t dport, uint8_t flags) {
  return frame().ipv4("127.0.0.1", "10.0.0.2").tcp(sport, dport).tcp_flags(flags).build();
}
std::vector<uint8_t> udp_in(uint16_t sport, uint16_t dport) { return frame().ipv4("10.0.0.2", "127.0.0.1").udp(sport, dport).build(); }
std::vector<uint8_t> udp_out(uint16_t sport, uint16_t dport) { return frame().ipv4("127.0.0.1", "10.0.0.2").udp(sport, dport).build(); }
std::vector<uint8_t> echo(bool in, uint8_t type, uint16_t id) {
  std::vector<uint8_t> rest = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 1, 'p', 'i', 'n', 'g'};
  return frame().ipv4(in ? "10.0.0.2" : "127.0.0.1", in ? "127.0.0.1" : "10.0.0.2").icmp(type, 0, rest).build();
}
// Port unreachable about a UDP datagram from -> to (sport -> dport), sent back to `from`.
std::vector<uint8_t> unreachable(const std::string& from, const std::string& to, uint16_t sport, uint16_t dport) {
  auto quoted = PacketBuilder().ipv4(from, to).udp(sport, dport).build();
  std::vector<uint8_t> rest(4 + 28, 0);  // unused word, then the quoted IP header and UDP header
  std::copy(quoted.begin() + 14, quoted.begin() + 14 + 28, rest.begin() + 4);
  return frame().ipv4(to, from).icmp(3, 3, rest).build();
}
// From 10.0.0.2 about a datagram this host sent it.
std::vector<uint8_t> unreachable_about(uint16_t sport, uint16_t dport) { return unreachable("127.0.0.1", "10.0.0.2", sport, dport); }

struct Step {
  bool ingress;
  std::vector<uint8_t> bytes;
  int verdict;
  State state;  // the filter rule that decides, if any
};

struct Case {
  std::string name;
  std::vector<Step> steps;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> cases() {
  return {
      {"syn_synack_ack_is_new_then_established",
       {{true, tcp_in(40000, 80, SYN), kTcOk, kNew}, {false, tcp_out(80, 40000, SYN | ACK), kTcOk, kNone},
        {true, tcp_in(40000, 80, ACK), kTcOk, kEstablished}, {true, tcp_in(40000, 80, PSH | ACK), kTcOk, kEstablished}}},
      {"rst_first_is_invalid", {{true, tcp_in(40001, 80, RST), kTcShot, kInvalid}}},
      {"rst_ack_first_is_invalid", {{true, tcp_in(40002, 80, RST | ACK), kTcShot, kInvalid}}},
      {"syn_fin_first_is_invalid", {{true, tcp_in(40003, 80, SYN | FIN), kTcShot, kInvalid}}},
      {"fin_first_is_invalid", {{true, tcp_in(40004, 80, FIN), kTcShot, kInvalid}}},
      {"fin_ack_first_is_invalid", {{true, tcp_in(40005, 80, FIN | ACK), kTcShot, kInvalid}}},
      {"synack_first_is_invalid", {{true, tcp_in(40006, 80, SYN | ACK), kTcShot, kInvalid}}},
      {"no_flags_first_is_invalid", {{true, tcp_in(40007, 80, 0), kTcShot, kInvalid}}},
      {"syn_rst_first_is_invalid", {{true, tcp_in(40008, 80, SYN | RST), kTcShot, kInvalid}}},
      {"syn_urg_first_is_new", {{true, tcp_in(40009, 80, SYN | URG), kTcOk, kNew}}},
      {"ack_first_is_picked_up_as_new", {{true, tcp_in(40010, 80, ACK), kTcOk, kNew},
                                         {false, tcp_out(80, 40010, ACK), kTcOk, kNone},
                                         {true, tcp_in(40010, 80, ACK), kTcOk, kEstablished}}},
      {"bad_flags_mid_connection_are_invalid",
       {{true, tcp_in(40011, 80, SYN), kTcOk, kNew}, {false, tcp_out(80, 40011, SYN | ACK), kTcOk, kNone},
        {true, tcp_in(40011, 80, SYN | FIN | ACK), kTcShot, kInvalid}, {true, tcp_in(40011, 80, ACK), kTcOk, kEstablished}}},
      {"rst_of_an_established_connection_is_established",
       {{true, tcp_in(40012, 80, SYN), kTcOk, kNew}, {false, tcp_out(80, 40012, SYN | ACK), kTcOk, kNone},
        {true, tcp_in(40012, 80, RST), kTcOk, kEstablished}}},
      {"syn_after_close_reopens_as_new",
       {{true, tcp_in(40013, 80, SYN), kTcOk, kNew}, {false, tcp_out(80, 40013, SYN | ACK), kTcOk, kNone},
        {true, tcp_in(40013, 80, FIN | ACK), kTcOk, kEstablished}, {false, tcp_out(80, 40013, FIN | ACK), kTcOk, kNone},
        {true, tcp_in(40013, 80, SYN), kTcOk, kNew}}},
      {"udp_is_new_until_a_reply",
       {{true, udp_in(5000, 53), kTcOk, kNew}, {true, udp_in(5000, 53), kTcOk, kNew}, {false, udp_out(53, 5000), kTcOk, kNone},
        {true, udp_in(5000, 53), kTcOk, kEstablished}}},
      {"unsolicited_echo_reply_is_invalid", {{true, echo(true, 0, 77), kTcShot, kInvalid}}},
      {"echo_request_then_reply", {{true, echo(true, 8, 78), kTcOk, kNew}, {false, echo(false, 0, 78), kTcOk, kNone},
                                   {true, echo(true, 8, 78), kTcOk, kEstablished}}},
      {"error_about_a_tracked_flow_is_related",
       {{false, udp_out(6000, 7000), kTcOk, kNone}, {true, unreachable_about(6000, 7000), kTcOk, kRelated}}},
      {"error_about_an_unknown_flow_is_invalid", {{true, unreachable_about(6001, 7001), kTcShot, kInvalid}}},
      // This host's own errors (a closed port) pass filter OUTPUT as RELATED, as the kernel's do.
      {"error_this_host_sends_is_related",
       {{true, udp_in(5100, 5999), kTcOk, kNew}, {false, unreachable("10.0.0.2", "127.0.0.1", 5100, 5999), kTcOk, kOutRelated}}},
      {"error_this_host_sends_about_nothing_is_invalid",
       {{false, unreachable("10.0.0.2", "127.0.0.1", 5101, 5998), kTcShot, kOutInvalid}}},
  };
}

class ConntrackProgRun : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
    if (auto why = test::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_EQ(dp_.start(Family::v4, kRules, {"127.0.0.1", "127.0.0.2"}), "");
  }
  int run(bool ingress, std::vector<uint8_t>& bytes) { return dp_.run(ingress, bytes); }
  uint64_t hits(uint32_t rule) { return dp_.hits(rule); }
  test::IptDatapathUnderTest dp_;
};

TEST_P(ConntrackProgRun, StatesAsLinuxGivesThem) {
  const Case& c = GetParam();
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& s = c.steps[i];
    SCOPED_TRACE("step " + std::to_string(i + 1));
    uint64_t before[kRulesByState];
    for (uint32_t r = 0; r < kRulesByState; ++r) before[r] = hits(r);
    auto bytes = s.bytes;
    EXPECT_EQ(run(s.ingress, bytes), s.verdict);
    for (uint32_t r = 0; r < kRulesByState; ++r)
      EXPECT_EQ(hits(r) - before[r], s.state == static_cast<State>(r) ? 1u : 0u)
          << "rule for " << kStateNames[r] << "; expected " << kStateNames[s.state];
  }
}

INSTANTIATE_TEST_SUITE_P(Sequences, ConntrackProgRun, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// Two local sockets with the same source port SNAT'ed to one address toward one peer: the
// second connection's reply tuple is taken, so it gets another source port (Linux does the
// same), and both translations show in the frames that leave.
TEST_F(ConntrackProgRun, SnatPortCollisionPicksAnotherPort) {
  auto a = frame().ipv4("127.0.0.1", "127.0.0.5").udp(5000, 53).build();
  auto b = frame().ipv4("127.0.0.2", "127.0.0.5").udp(5000, 53).build();
  ASSERT_EQ(run(false, a), kTcOk);
  ASSERT_EQ(run(false, b), kTcOk);
  auto src = [](const std::vector<uint8_t>& f) { return std::to_string(f[26]) + "." + std::to_string(f[27]) + "." +
                                                        std::to_string(f[28]) + "." + std::to_string(f[29]); };
  auto sport = [](const std::vector<uint8_t>& f) { return static_cast<uint16_t>(f[34] << 8 | f[35]); };
  EXPECT_EQ(src(a), "127.0.0.9");
  EXPECT_EQ(src(b), "127.0.0.9");
  EXPECT_EQ(sport(a), 5000) << "the first keeps its port";
  EXPECT_NE(sport(b), 5000) << "the second may not take the same reply tuple";
  EXPECT_GE(sport(b), 1024);
  EXPECT_TRUE(test::checksums_ok(a));
  EXPECT_TRUE(test::checksums_ok(b));
  // A third on yet another source again gets a port of its own.
  auto c = frame().ipv4("127.0.0.1", "127.0.0.5").udp(5001, 53).build();
  ASSERT_EQ(run(false, c), kTcOk);
  EXPECT_EQ(sport(c), 5001);
}

}  // namespace

// The netaccel-iptables data path (ipt_tc_ingress) under BPF_PROG_RUN with malformed and
// partial frames: what it cannot parse passes to the kernel untouched, and fields a frame does
// not carry are never matched (a truncated TCP header has no port 80, a non-first fragment no
// port 53). The ruleset accepts only those ports, with DROP policies, in a private namespace.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include "bpf_test_env.h"
#include "compiler.h"
#include "harness.h"
#include "iptables_skeleton.h"
#include "packet_builder.h"
#include "restore.h"

using namespace netaccel;
using namespace netaccel::ipt;
using test::PacketBuilder;

namespace {

// kTcNext: not this instance's (TC_ACT_UNSPEC, tcx's "next"): the other family's instance,
// or the kernel, gets it untouched.
constexpr int kTcNext = -1, kTcOk = 0, kTcShot = 2;

struct Frame {
  std::string name;
  std::vector<uint8_t> bytes;
  int verdict;       // TC action expected
  bool classified;   // the filter ran (ipt_stats CLASSIFIED moved)
};

void PrintTo(const Frame& f, std::ostream* os) { *os << f.name; }

std::vector<Frame> frames() {
  auto base = [] { return PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01"); };
  std::vector<Frame> v;
  auto syn80 = base().ipv4("10.0.0.2", "127.0.0.1").tcp(40000, 80).build();
  syn80[14 + 20 + 13] = 0x02;
  v.push_back({"tcp_80_is_accepted", syn80, kTcOk, true});
  auto syn22 = base().ipv4("10.0.0.2", "127.0.0.1").tcp(40001, 22).build();
  syn22[14 + 20 + 13] = 0x02;
  v.push_back({"tcp_22_is_dropped", syn22, kTcShot, true});
  // (IPv4 frames shorter than an IP header cannot be fed to BPF_PROG_RUN: the kernel refuses
  // them with EINVAL. The parser's bounds checks for them are what the verifier insists on.)
  auto bad_ihl = base().ipv4("10.0.0.2", "127.0.0.1").udp(1, 53).build();
  bad_ihl[14] = 0x44;  // IHL 4: not a valid IPv4 header
  v.push_back({"ihl_below_five", bad_ihl, kTcNext, false});
  v.push_back({"arp_is_not_ours", base().arp_request("10.0.0.2", "10.0.0.1").build(), kTcNext, false});
  v.push_back({"ipv6_is_the_other_instances", base().ipv6("fd00::2", "fd00::1").tcp(40000, 22).build(), kTcNext, false});
  // TCP header cut after the source port: no destination port, so not "port 80".
  auto cut = base().ipv4("10.0.0.2", "127.0.0.1").tcp(40002, 80).build();
  cut.resize(14 + 20 + 2);
  cut[14 + 2] = 0;
  cut[14 + 3] = 22;  // IPv4 total length = 22: the frame is consistent, the TCP header is not there
  v.push_back({"tcp_header_cut_has_no_port", cut, kTcShot, true});
  // A non-first fragment carries no UDP header: "--dport 53" cannot match it.
  auto frag = base().ipv4("10.0.0.2", "127.0.0.1").udp(53, 53, 16).build();
  frag[14 + 6] = 0x00;
  frag[14 + 7] = 0x10;  // fragment offset 16 (x8 bytes)
  v.push_back({"later_fragment_has_no_port", frag, kTcShot, true});
  return v;
}

class IptablesDatapath : public ::testing::TestWithParam<Frame> {};

TEST_P(IptablesDatapath, MalformedFramesPassOrStayUnmatched) {
  if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
  if (auto why = test::enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
  auto skel = Skeleton<iptables>::open("iptables");
  ASSERT_TRUE(skel);
  ASSERT_TRUE(skel->load());
  MapLoader loader(classifier_maps(skel->get()));
  ASSERT_TRUE(loader.init_config_if_new());
  auto rs = restore(empty_ruleset(),
                    "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A FORWARD -p tcp -m tcp --dport 80 -j ACCEPT\n-A FORWARD -p udp -m udp --dport 53 -j ACCEPT\nCOMMIT\n",
                    {});
  ASSERT_TRUE(rs);
  auto c = compile(*rs);
  ASSERT_TRUE(c);
  ASSERT_TRUE(loader.load(*c, 1));
  ASSERT_TRUE(loader.activate(1, *c));
  const Frame& f = GetParam();
  auto in = f.bytes;
  std::vector<uint8_t> out(in.size() + 600);
  __sk_buff ctx{};
  ctx.ifindex = 1;  // lo of the private namespace: the FIB says "local" -> INPUT
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(in.size()), .data_size_out = static_cast<uint32_t>(out.size()),
              .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
  auto classified = [&] {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<ipt_stats> per(static_cast<size_t>(ncpu));
    uint32_t zero = 0;
    uint64_t n = 0;
    if (bpf_map_lookup_elem(bpf_map__fd((*skel)->maps.ipt_stats), &zero, per.data()) == 0)
      for (const auto& s : per) n += s.v[IPT_STAT_CLASSIFIED];
    return n;
  };
  uint64_t before = classified();
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd((*skel)->progs.ipt_tc_ingress), &opts), 0) << strerror(errno);
  EXPECT_EQ(static_cast<int>(opts.retval), f.verdict);
  EXPECT_EQ(classified() > before, f.classified);
  if (!f.classified) {  // not ours: not a byte changed
    out.resize(opts.data_size_out);
    EXPECT_EQ(out, in);
  }
}

INSTANTIATE_TEST_SUITE_P(Frames, IptablesDatapath, ::testing::ValuesIn(frames()),
                         [](const auto& info) { return info.param.name; });

}  // namespace

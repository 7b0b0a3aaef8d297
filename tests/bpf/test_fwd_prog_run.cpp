// fwd.bpf.o under BPF_PROG_RUN: each case is a frame in, a verdict and the frame out, and the
// counter slot that must move. Run for both hooks (XDP and TC) in a private namespace whose
// devices, routes and neighbours the program's FIB lookups see.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/if_packet.h>

#include <cstring>
#include <optional>

#include "bpf_test_env.h"
#include "fwd_skeleton.h"
#include "fwd/fwd_abi.h"
#include "harness.h"
#include "netaccel_consts.h"
#include "netaccel/core/map.h"
#include "packet_builder.h"


namespace {
using namespace netaccel;
using namespace netaccel::test;

// Addresses of the test namespace (see SetUpTestSuite).
constexpr const char* kH1Mac = "02:00:00:00:01:01";
constexpr const char* kP1Mac = "02:00:00:00:01:02";
constexpr const char* kH2Mac = "02:00:00:00:02:01";
constexpr const char* kPod2Mac = "02:00:00:00:02:02";
constexpr const char* kB1Mac = "02:00:00:00:0b:01";
constexpr const char* kBPod1 = "02:00:00:00:0b:11";
constexpr const char* kBPod2 = "02:00:00:00:0b:22";

enum class Verdict { pass, redirect, drop };

struct Case {
  std::string name;
  std::string ingress;  // h1 (router) or b1 (bridge)
  PacketBuilder in;
  Verdict verdict;
  std::optional<PacketBuilder> out;  // expected frame; unset: must be unchanged
  int counter;                       // fwd_stat slot that must grow by one
  bool tc_only = false, xdp_only = false;
  std::string guarded;  // a veth in the TC guard map (netaccel-policy enforces it)
};

PacketBuilder v4(const std::string& dmac, const std::string& dst, uint8_t ttl = 64) {
  return PacketBuilder().eth(dmac, kP1Mac).ipv4("10.1.1.2", dst, ttl);
}
PacketBuilder v6(const std::string& dmac, const std::string& dst, uint8_t hop = 64) {
  return PacketBuilder().eth(dmac, kP1Mac).ipv6("fd01:1::2", dst, hop);
}

std::vector<Case> cases() {
  return {
      // A policy-enforced veth, as source or destination: XDP leaves the frame to the kernel
      // (and so to TC); TC goes on, netaccel-policy having run before it on the same hook.
      {"xdp passes a frame from a guarded veth", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_GUARDED, false, true, "h1"},
      {"xdp passes a frame to a guarded veth", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_GUARDED, false, true, "h2"},
      {"tc forwards past a guard (policy ran before it)", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).udp(1000, 53), FWD_STAT_FORWARDED, true, false, "h1"},
      {"ipv4 udp routed to a resolved neighbour", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).udp(1000, 53), FWD_STAT_FORWARDED},
      {"ipv4 tcp routed", "h1", v4(kH1Mac, "10.1.2.2").tcp(40000, 80, 100), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).tcp(40000, 80, 100), FWD_STAT_FORWARDED},
      {"ipv4 icmp echo routed", "h1", v4(kH1Mac, "10.1.2.2").icmp_echo(), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).icmp_echo(), FWD_STAT_FORWARDED},
      {"xdp completes a partial udp checksum", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53, 301).partial_checksum(),
       Verdict::redirect, PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).udp(1000, 53, 301),
       FWD_STAT_FORWARDED, false, true},
      {"xdp completes a partial tcp checksum (mtu-sized)", "h1", v4(kH1Mac, "10.1.2.2").tcp(1, 2, 1460).partial_checksum(),
       Verdict::redirect, PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).tcp(1, 2, 1460),
       FWD_STAT_FORWARDED, false, true},
      {"tc leaves a partial checksum to the skb", "h1", v4(kH1Mac, "10.1.2.2").udp(1000, 53).partial_checksum(),
       Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv4("10.1.1.2", "10.1.2.2", 63).udp(1000, 53).partial_checksum(),
       FWD_STAT_FORWARDED, true, false},
      {"ttl 1 goes to the kernel (it sends time exceeded)", "h1", v4(kH1Mac, "10.1.2.2", 1).udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_TTL},
      {"ipv4 options go to the kernel", "h1", v4(kH1Mac, "10.1.2.2").ip_options(2).udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_IP_OPTIONS},
      {"fragments go to the kernel", "h1", v4(kH1Mac, "10.1.2.2").more_fragments().udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_FRAGMENT},
      {"frame for another MAC is not routed", "h1", v4("02:00:00:00:99:99", "10.1.2.2").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_NOT_FOR_US},
      {"broadcast goes to the kernel", "h1", v4("ff:ff:ff:ff:ff:ff", "10.1.1.255").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_MULTICAST},
      {"multicast ip goes to the kernel", "h1", v4(kH1Mac, "224.0.0.5").udp(1, 2), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_MULTICAST},
      {"arp goes to the kernel", "h1", PacketBuilder().eth("ff:ff:ff:ff:ff:ff", kP1Mac).arp_request("10.1.1.2", "10.1.1.1"),
       Verdict::pass, std::nullopt, FWD_STAT_PASS_NOT_IP},
      {"unresolved neighbour goes to the kernel (it resolves)", "h1", v4(kH1Mac, "10.1.2.3").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_NO_NEIGH},
      {"local destination goes to the kernel", "h1", v4(kH1Mac, "10.1.2.1").udp(1, 2), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_NOT_FWDED},
      {"no route goes to the kernel (it answers unreachable)", "h1", v4(kH1Mac, "192.0.2.1").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_NOT_FWDED},
      {"unreachable route goes to the kernel", "h1", v4(kH1Mac, "198.51.100.1").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_NO_ROUTE},
      {"frame over 1518 bytes goes to the kernel from xdp", "h1", v4(kH1Mac, "10.1.2.2").udp(1, 2, 1600), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_MTU, false, true},
      {"egress not managed by netaccel goes to the kernel", "h1", v4(kH1Mac, "10.1.3.2").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_EGRESS_UNMANAGED},
      {"route back out of the ingress is left to the kernel", "h1", v4(kH1Mac, "10.1.1.9").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_HAIRPIN},
      // BPF_PROG_RUN builds no skb this short, so this one is XDP only.
      {"truncated ipv4 header goes to the kernel", "h1", v4(kH1Mac, "10.1.2.2").udp(1, 2).truncate(30), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_MALFORMED, false, true},
      {"ipv6 udp routed", "h1", v6(kH1Mac, "fd01:2::2").udp(1000, 53), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv6("fd01:1::2", "fd01:2::2", 63).udp(1000, 53), FWD_STAT_FORWARDED},
      {"ipv6 hop limit 1 goes to the kernel", "h1", v6(kH1Mac, "fd01:2::2", 1).udp(1, 2), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_TTL},
      {"ipv6 neighbour solicitation goes to the kernel", "h1", v6(kH1Mac, "fd01:2::2").icmp6(135), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_ICMP_CONTROL},
      {"ipv6 echo request is routed", "h1", v6(kH1Mac, "fd01:2::2").icmp6(128), Verdict::redirect,
       PacketBuilder().eth(kPod2Mac, kH2Mac).ipv6("fd01:1::2", "fd01:2::2", 63).icmp6(128), FWD_STAT_FORWARDED},
      {"ipv6 link-local goes to the kernel", "h1",
       PacketBuilder().eth(kH1Mac, kP1Mac).ipv6("fe80::2", "fd01:2::2").udp(1, 2), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_MULTICAST},
      {"bridged unicast to a known MAC is forwarded unchanged", "b1",
       PacketBuilder().eth(kBPod2, kBPod1).ipv4("10.2.0.11", "10.2.0.12").udp(1, 2), Verdict::redirect,
       PacketBuilder().eth(kBPod2, kBPod1).ipv4("10.2.0.11", "10.2.0.12").udp(1, 2), FWD_STAT_FORWARDED},
      {"bridged unknown unicast is flooded by the kernel", "b1",
       PacketBuilder().eth("02:00:00:00:0b:99", kBPod1).ipv4("10.2.0.11", "10.2.0.99").udp(1, 2), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_FDB_MISS},
      {"bridged broadcast goes to the kernel", "b1",
       PacketBuilder().eth("ff:ff:ff:ff:ff:ff", kBPod1).arp_request("10.2.0.11", "10.2.0.12"), Verdict::pass,
       std::nullopt, FWD_STAT_PASS_NOT_IP},
      {"bridged frame for the bridge itself goes to the kernel", "b1",
       PacketBuilder().eth(kB1Mac, kBPod1).ipv4("10.2.0.11", "10.2.0.1").udp(1, 2), Verdict::pass, std::nullopt,
       FWD_STAT_PASS_FDB_MISS},
  };
}

class FwdProgRun : public ::testing::TestWithParam<std::tuple<std::string, Case>> {
 protected:
  static void SetUpTestSuite() {
    skip_ = enter_private_netns();
    if (!skip_.empty()) return;
    sh_ok(
        "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 && "
        "ip link add h1 address 02:00:00:00:01:01 type veth peer name p1 address 02:00:00:00:01:02 && "
        "ip link add h2 address 02:00:00:00:02:01 type veth peer name p2 && "
        "ip link add h3 type veth peer name p3 && "
        "ip link add br0 type bridge && "
        "ip link add b1 address 02:00:00:00:0b:01 type veth peer name bp1 && "
        "ip link add b2 type veth peer name bp2 && "
        "for d in h1 p1 h2 p2 h3 p3 br0 b1 bp1 b2 bp2; do ip link set $d up; done && "
        "ip link set b1 master br0 && ip link set b2 master br0 && "
        "ip addr add 10.1.1.1/24 dev h1 && ip addr add fd01:1::1/64 dev h1 nodad && "
        "ip addr add 10.1.2.1/24 dev h2 && ip addr add fd01:2::1/64 dev h2 nodad && "
        "ip addr add 10.1.3.1/24 dev h3 && ip route add unreachable 198.51.100.0/24 && "
        "ip neigh replace 10.1.2.2 lladdr 02:00:00:00:02:02 dev h2 nud permanent && "
        "ip neigh replace fd01:2::2 lladdr 02:00:00:00:02:02 dev h2 nud permanent && "
        "ip neigh replace 10.1.3.2 lladdr 02:00:00:00:03:02 dev h3 nud permanent && "
        "ip neigh replace 10.1.1.9 lladdr 02:00:00:00:01:09 dev h1 nud permanent");
    auto s = Skeleton<struct fwd>::open("fwd");
    ASSERT_TRUE(s) << s.error().what();
    ASSERT_TRUE(s->load());
    skel_ = new Skeleton<struct fwd>(std::move(*s));
  }
  static void TearDownTestSuite() {
    delete skel_;
    skel_ = nullptr;
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_NE(skel_, nullptr);
    hook_ = std::get<0>(GetParam()) == "xdp" ? FWD_HOOK_XDP : FWD_HOOK_TC;
    Map<uint32_t, fwd_iface> ifaces((*skel_)->maps.fwd_ifaces);
    PerCpuMap<uint32_t, fwd_stats> stats((*skel_)->maps.fwd_stats);
    Map<fwd_fdb_key, fwd_fdb_val> fdb((*skel_)->maps.fwd_fdb);
    Map<uint32_t, uint32_t> tx((*skel_)->maps.fwd_tx_ports);
    int br0 = ifindex_of("br0");
    auto set = [&](const char* name, uint32_t mode, const char* m, int bridge) {
      fwd_iface v{};
      v.mode = mode;
      v.hook = hook_;
      v.bridge_ifindex = static_cast<uint32_t>(bridge);
      auto mm = mac(m);
      std::memcpy(v.mac, mm.data(), 6);
      uint32_t idx = static_cast<uint32_t>(ifindex_of(name));
      ASSERT_TRUE(ifaces.update(idx, v));
      ASSERT_TRUE(stats.update_all(idx, fwd_stats{}));
      ASSERT_TRUE(tx.update(idx, idx));
    };
    set("h1", FWD_MODE_ROUTER, kH1Mac, 0);
    set("h2", FWD_MODE_ROUTER, kH2Mac, 0);
    set("b1", FWD_MODE_BRIDGE, kB1Mac, br0);
    set("b2", FWD_MODE_BRIDGE, "02:00:00:00:0b:02", br0);
    fwd_fdb_key k{};
    k.bridge_ifindex = static_cast<uint32_t>(br0);
    auto pm = mac(kBPod2);
    std::memcpy(k.mac, pm.data(), 6);
    ASSERT_TRUE(fdb.update(k, fwd_fdb_val{static_cast<uint32_t>(ifindex_of("b2"))}));
  }

  uint64_t counter(const std::string& ifname, int slot) {
    PerCpuMap<uint32_t, fwd_stats> stats((*skel_)->maps.fwd_stats);
    auto v = stats.lookup(static_cast<uint32_t>(ifindex_of(ifname)));
    uint64_t sum = 0;
    if (v)
      for (const auto& c : *v) sum += c.packets[slot];
    return sum;
  }

  // Runs one frame through the hook under test; returns the verdict and the frame after.
  Verdict run(const std::string& ingress, std::vector<uint8_t>& frame) {
    std::vector<uint8_t> out(frame.size() + 256);
    int idx = ifindex_of(ingress);
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<__u32>(frame.size());
    opts.data_out = out.data();
    opts.data_size_out = static_cast<__u32>(out.size());
    xdp_md xctx{};
    __sk_buff sctx{};
    int prog;
    if (hook_ == FWD_HOOK_XDP) {
      xctx.data_end = static_cast<__u32>(frame.size());
      xctx.ingress_ifindex = static_cast<__u32>(idx);
      opts.ctx_in = &xctx;
      opts.ctx_size_in = sizeof(xctx);
      prog = bpf_program__fd((*skel_)->progs.fwd_xdp);
    } else {
      sctx.ifindex = static_cast<__u32>(idx);
      sctx.ingress_ifindex = static_cast<__u32>(idx);
      opts.ctx_in = &sctx;
      opts.ctx_size_in = sizeof(sctx);
      prog = bpf_program__fd((*skel_)->progs.fwd_tc);
    }
    int err = bpf_prog_test_run_opts(prog, &opts);
    EXPECT_EQ(err, 0) << "BPF_PROG_RUN: " << strerror(errno);
    out.resize(opts.data_size_out);
    frame = out;
    if (hook_ == FWD_HOOK_XDP)
      return opts.retval == XDP_REDIRECT ? Verdict::redirect : opts.retval == XDP_PASS ? Verdict::pass : Verdict::drop;
    return opts.retval == 7 /* TC_ACT_REDIRECT */ ? Verdict::redirect : opts.retval == 0 ? Verdict::pass : Verdict::drop;
  }

  static inline std::string skip_;
  static inline Skeleton<struct fwd>* skel_ = nullptr;
  uint32_t hook_ = FWD_HOOK_TC;
};

}  // namespace

// gtest prints parameters on failure; the case name says it all.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

namespace {
const char* name_of(Verdict v) { return v == Verdict::pass ? "pass" : v == Verdict::redirect ? "redirect" : "drop"; }

TEST_P(FwdProgRun, VerdictOutputAndCounter) {
  const Case& c = std::get<1>(GetParam());
  std::vector<uint8_t> frame = c.in.build();
  const std::vector<uint8_t> original = frame;
  uint64_t before = counter(c.ingress, c.counter);
  Map<uint32_t, uint32_t> guard((*skel_)->maps.na_guard);
  const uint32_t guarded = c.guarded.empty() ? 0 : static_cast<uint32_t>(ifindex_of(c.guarded));
  if (guarded) {
    ASSERT_TRUE(guard.update(guarded, NA_GUARD_POLICY));
  }
  Verdict v = run(c.ingress, frame);
  if (guarded) {
    ASSERT_TRUE(guard.erase(guarded));
  }
  EXPECT_STREQ(name_of(v), name_of(c.verdict));
  std::vector<uint8_t> expected = c.out ? c.out->build() : original;
  EXPECT_EQ(frame, expected) << "output frame differs";
  if (c.out && c.verdict == Verdict::redirect && hook_ == FWD_HOOK_XDP) EXPECT_TRUE(checksums_ok(frame));
  EXPECT_EQ(counter(c.ingress, c.counter), before + 1) << "counter " << c.counter;
}

std::string case_name(const ::testing::TestParamInfo<std::tuple<std::string, Case>>& info) {
  std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param).name;
  for (auto& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

std::vector<std::tuple<std::string, Case>> cases_for(const std::string& hook) {
  std::vector<std::tuple<std::string, Case>> out;
  for (auto& c : cases())
    if (!(hook == "tc" && c.xdp_only) && !(hook == "xdp" && c.tc_only)) out.emplace_back(hook, c);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Tc, FwdProgRun, ::testing::ValuesIn(cases_for("tc")), case_name);
INSTANTIATE_TEST_SUITE_P(Xdp, FwdProgRun, ::testing::ValuesIn(cases_for("xdp")), case_name);

// XDP frames that point at a TC-managed egress must not be redirected: that veth's peer has
// no XDP program and would drop them.
TEST(FwdProgRunMixedHooks, XdpDoesNotRedirectToATcManagedEgress) {
  // Covered by the table above with uniform hooks; this needs its own map contents.
  if (auto s = enter_private_netns(); !s.empty()) GTEST_SKIP() << s;
  auto skel = Skeleton<struct fwd>::open("fwd");
  ASSERT_TRUE(skel);
  ASSERT_TRUE(skel->load());
  if (ifindex_of("h1") == 0) sh_ok("ip link add h1 address 02:00:00:00:01:01 type veth peer name p1 && ip link set h1 up && ip link set p1 up && "
                                   "ip link add h2 address 02:00:00:00:02:01 type veth peer name p2 && ip link set h2 up && ip link set p2 up && "
                                   "ip addr add 10.1.1.1/24 dev h1 && ip addr add 10.1.2.1/24 dev h2 && sysctl -qw net.ipv4.ip_forward=1 && "
                                   "ip neigh replace 10.1.2.2 lladdr 02:00:00:00:02:02 dev h2 nud permanent");
  Map<uint32_t, fwd_iface> ifaces((*skel)->maps.fwd_ifaces);
  fwd_iface h1{FWD_MODE_ROUTER, FWD_HOOK_XDP, 0, {2, 0, 0, 0, 1, 1}, 0};
  fwd_iface h2{FWD_MODE_ROUTER, FWD_HOOK_TC, 0, {2, 0, 0, 0, 2, 1}, 0};
  ASSERT_TRUE(ifaces.update(static_cast<uint32_t>(ifindex_of("h1")), h1));
  ASSERT_TRUE(ifaces.update(static_cast<uint32_t>(ifindex_of("h2")), h2));
  std::vector<uint8_t> frame = v4(kH1Mac, "10.1.2.2").udp(1, 2).build(), out(frame.size());
  xdp_md ctx{};
  ctx.data_end = static_cast<__u32>(frame.size());
  ctx.ingress_ifindex = static_cast<__u32>(ifindex_of("h1"));
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(frame.size()), .data_size_out = static_cast<__u32>(out.size()),
              .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd((*skel)->progs.fwd_xdp), &opts), 0);
  EXPECT_EQ(opts.retval, static_cast<__u32>(XDP_PASS));
  EXPECT_EQ(out, frame);
}

}  // namespace

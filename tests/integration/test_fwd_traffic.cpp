// Real traffic through netaccel-fwd: routed and bridged pods, both hooks, IPv4 and IPv6, with
// the pods' default offloads. The kernel's FORWARD chain counts what the fast path did not take.
#include <gtest/gtest.h>

#include "fwd_lab.h"

using namespace netaccel::test;

namespace {


// Packets the node's kernel forwarded (an ACCEPT rule counts them in FORWARD).
uint64_t kernel_forwarded(const FwdLab& lab) {
  auto out = sh(lab.in("node", "iptables -w -L FORWARD -v -x -n")).out;
  uint64_t pkts = 0;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.find("netaccel-test") != std::string::npos) pkts += std::stoull(line.substr(line.find_first_not_of(' ')));
  return pkts;
}

void count_kernel_forwarding(const FwdLab& lab) {
  sh_ok(lab.in("node", "iptables -w -A FORWARD -m comment --comment netaccel-test -j ACCEPT"));
}

struct Pair {
  const char *a, *b, *addr_b4, *addr_b6, *addr_a4, *host_a;
};

void exercise_pair(const FwdLab& lab, const Pair& p) {
  SCOPED_TRACE(std::string(p.a) + " <-> " + p.b);
  EXPECT_TRUE(lab.ping(p.a, p.addr_b4));
  EXPECT_TRUE(lab.ping(p.a, p.addr_b6));
  EXPECT_TRUE(lab.ping(p.b, p.addr_a4));
  EXPECT_EQ(lab.tcp_stream(p.a, p.b, p.addr_b4, false), FwdLab::kStreamBytes) << "TCP a->b v4";
  EXPECT_EQ(lab.tcp_stream(p.a, p.b, p.addr_b4, true), FwdLab::kStreamBytes) << "TCP b->a v4";
  EXPECT_EQ(lab.tcp_stream(p.a, p.b, p.addr_b6, false), FwdLab::kStreamBytes) << "TCP a->b v6";
  EXPECT_GE(lab.udp_delivery(p.a, p.b, p.addr_b4), 0.99) << "UDP a->b v4";
  EXPECT_GE(lab.udp_delivery(p.a, p.b, p.addr_b6), 0.99) << "UDP a->b v6";
}

const Pair kRouted[] = {{"r1", "r2", "10.78.2.2", "fd78:2::2", "10.78.1.2", "vr1"},
                        {"r2", "r3", "10.78.3.2", "fd78:3::2", "10.78.2.2", "vr2"},
                        {"r3", "r1", "10.78.1.2", "fd78:1::2", "10.78.3.2", "vr3"}};
const Pair kBridged[] = {{"b1", "b2", "10.77.0.12", "fd77::12", "10.77.0.11", "vb1"},
                         {"b2", "b3", "10.77.0.13", "fd77::13", "10.77.0.12", "vb2"},
                         {"b3", "b1", "10.77.0.11", "fd77::11", "10.77.0.13", "vb3"}};

void run_all_pairs(const FwdLab& lab, const Pair (&pairs)[3]) {
  count_kernel_forwarding(lab);
  for (const auto& p : pairs) exercise_pair(lab, p);
  uint64_t fast = 0;
  for (const auto& p : pairs) fast += lab.counter(p.host_a, "forwarded");
  uint64_t kernel = kernel_forwarded(lab);
  ::testing::Test::RecordProperty("fast_path_packets", std::to_string(fast));
  EXPECT_GT(fast, 10000u);
  // Only first packets (neighbour resolution) may take the kernel path.
  EXPECT_LT(kernel * 100, fast) << "kernel forwarded " << kernel << ", fast path " << fast;
}

}  // namespace

TEST(FwdTraffic, RoutedPodsTcHook) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  run_all_pairs(lab, kRouted);
}

TEST(FwdTraffic, BridgedPodsTcHook) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  // Bridged traffic does not cross FORWARD unless br_netfilter is loaded; count what the
  // bridge itself forwarded instead: its ports' tx counters stay flat.
  for (const auto& p : kBridged) exercise_pair(lab, p);
  uint64_t fast = 0;
  for (const auto& p : kBridged) fast += lab.counter(p.host_a, "forwarded");
  EXPECT_GT(fast, 10000u);
  auto tx = sh(lab.in("node", "cat /sys/class/net/vb2/statistics/tx_packets")).out;
  EXPECT_LT(std::stoull(tx) * 100, fast) << "the bridge transmitted " << tx << " packets to vb2";
}

TEST(FwdTraffic, RoutedAndBridgedPodsXdpHook) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab("bridges = br0\nprefixes = vr\nhook = xdp\n");
  ASSERT_TRUE(lab.ok());
  auto list = lab.ctl("fwd list");
  EXPECT_NE(list.find("xdp"), std::string::npos) << list;
  // Pods keep tx checksum offload on: the XDP path must complete their checksums.
  auto feat = sh(lab.in("r1", "ethtool -k eth0")).out;
  EXPECT_NE(feat.find("tx-checksumming: on"), std::string::npos);
  run_all_pairs(lab, kRouted);
  for (const auto& p : kBridged) exercise_pair(lab, p);
  EXPECT_GT(lab.counter("vb1", "forwarded"), 1000u);
}

TEST(FwdTraffic, BridgedToRoutedCrossesTheKernelRouterCorrectly) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  EXPECT_TRUE(lab.ping("b1", "10.78.1.2"));
  EXPECT_TRUE(lab.ping("r1", "10.77.0.11"));
  EXPECT_EQ(lab.tcp_stream("b1", "r1", "10.78.1.2", false), FwdLab::kStreamBytes);
  EXPECT_GT(lab.counter("vb1", "pass_fdb_miss"), 0u);          // to the bridge's own MAC
  EXPECT_GT(lab.counter("vr1", "pass_egress_unmanaged"), 0u);  // replies leave via br0
}

TEST(FwdTraffic, UnresolvedNeighbourGoesThroughTheKernelFirst) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  sh_ok(lab.in("node", "ip neigh flush dev vr2"));
  uint64_t before = lab.counter("vr1", "pass_no_neigh");
  EXPECT_TRUE(lab.ping("r1", "10.78.2.2", 5));
  EXPECT_GT(lab.counter("vr1", "pass_no_neigh"), before);
  EXPECT_GT(lab.counter("vr1", "forwarded"), 0u);  // once resolved, the fast path takes over
}

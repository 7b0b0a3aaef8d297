// The steering XDP program under BPF_PROG_RUN: which frames are the user stack's (ARP for
// host_addr, IPv4 to host_addr) and which stay the kernel's, with the counter slot each one
// moves and the output bytes (partial checksums completed on veth). No socket is registered,
// so a steered frame falls back to XDP_PASS and counts as "no socket": the counters tell
// steered from passed.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <vector>

#include "gazelle/gazelle_abi.h"
#include "harness.h"
#include "packet_builder.h"
#include "steer_skeleton.h"

namespace {
using namespace netaccel;
using test::PacketBuilder;

constexpr const char* kHost = "10.76.0.3";
constexpr const char* kPodMac = "02:00:00:00:00:03";
constexpr const char* kPeerMac = "02:00:00:00:00:01";

struct Case {
  std::string name;
  std::vector<uint8_t> in;
  uint32_t csum_flags;             // GZ_CFG_* written to gz_config
  std::vector<gz_stat> counted;    // slots that must move by one
  bool expect_checksums_ok;        // output frame's L4 checksum verifies
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> cases() {
  auto base = [] { return PacketBuilder().eth(kPodMac, kPeerMac); };
  return {
      {"arp_for_host_addr", base().arp_request("10.76.0.1", kHost).build(), 0,
       {GZ_STAT_ARP_STEERED, GZ_STAT_NO_SOCKET}, true},
      {"arp_for_the_kernel", base().arp_request("10.76.0.1", "10.76.0.2").build(), 0, {GZ_STAT_PASSED}, true},
      {"tcp_to_host_addr", base().ipv4("10.76.0.1", kHost).tcp(40000, 80, 100).build(), 0,
       {GZ_STAT_IP_STEERED, GZ_STAT_NO_SOCKET}, true},
      {"udp_to_host_addr", base().ipv4("10.76.0.1", kHost).udp(40000, 53, 32).build(), 0,
       {GZ_STAT_IP_STEERED, GZ_STAT_NO_SOCKET}, true},
      {"icmp_to_host_addr", base().ipv4("10.76.0.1", kHost).icmp_echo().build(), 0,
       {GZ_STAT_IP_STEERED, GZ_STAT_NO_SOCKET}, true},
      {"tcp_to_the_kernel", base().ipv4("10.76.0.1", "10.76.0.2").tcp(40000, 80, 100).build(), 0, {GZ_STAT_PASSED}, true},
      {"ipv6_stays_with_the_kernel", base().ipv6("fd00::1", "fd00::3").tcp(40000, 80, 10).build(), 0, {GZ_STAT_PASSED}, true},
      {"partial_checksum_completed_on_veth",
       base().ipv4("10.76.0.1", kHost).tcp(40000, 80, 1000).partial_checksum().build(), GZ_CFG_COMPLETE_CSUM,
       {GZ_STAT_IP_STEERED, GZ_STAT_NO_SOCKET}, true},
      {"partial_checksum_left_alone_on_a_nic",
       base().ipv4("10.76.0.1", kHost).udp(40000, 53, 64).partial_checksum().build(), 0,
       {GZ_STAT_IP_STEERED, GZ_STAT_NO_SOCKET}, false},
      // Cut inside the IPv4 header: not verifiable, and not the stack's.
      {"truncated_ipv4_header", base().ipv4("10.76.0.1", kHost).tcp(1, 2).truncate(20).build(), 0, {GZ_STAT_PASSED}, false},
      {"truncated_arp", base().arp_request("10.76.0.1", kHost).truncate(30).build(), 0, {GZ_STAT_PASSED}, true},
  };
}

std::array<uint64_t, GZ_STAT_MAX> read_stats(int map_fd) {
  int ncpu = libbpf_num_possible_cpus();
  std::vector<gz_stats> per_cpu(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  std::array<uint64_t, GZ_STAT_MAX> sum{};
  if (bpf_map_lookup_elem(map_fd, &zero, per_cpu.data()) == 0)
    for (const auto& c : per_cpu)
      for (int i = 0; i < GZ_STAT_MAX; ++i) sum[i] += c.packets[i];
  return sum;
}

class GazelleSteer : public ::testing::TestWithParam<Case> {};

TEST_P(GazelleSteer, SteersOnlyTheStacksFrames) {
  if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
  const Case& c = GetParam();
  auto skel = Skeleton<gazelle_steer>::open("gazelle_steer");
  ASSERT_TRUE(skel);
  ASSERT_TRUE(skel->load());
  gz_steer_config cfg{};
  inet_pton(AF_INET, kHost, &cfg.host_addr);
  cfg.flags = c.csum_flags;
  uint32_t zero = 0;
  ASSERT_EQ(bpf_map__update_elem((*skel)->maps.gz_config, &zero, sizeof(zero), &cfg, sizeof(cfg), 0), 0);
  int stats_fd = bpf_map__fd((*skel)->maps.gz_stats);
  auto before = read_stats(stats_fd);

  std::vector<uint8_t> out(c.in.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = c.in.data(), .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(c.in.size()), .data_size_out = static_cast<uint32_t>(out.size()));
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd((*skel)->progs.gazelle_steer), &opts), 0);
  EXPECT_EQ(opts.retval, static_cast<uint32_t>(XDP_PASS));  // no socket: steered frames fall back
  out.resize(opts.data_size_out);
  ASSERT_EQ(out.size(), c.in.size());
  EXPECT_EQ(test::checksums_ok(out), c.expect_checksums_ok);
  if (!c.csum_flags) EXPECT_EQ(out, c.in) << "bytes changed without GZ_CFG_COMPLETE_CSUM";

  auto after = read_stats(stats_fd);
  for (int slot = 0; slot < GZ_STAT_MAX; ++slot) {
    bool expected = std::find(c.counted.begin(), c.counted.end(), slot) != c.counted.end();
    EXPECT_EQ(after[slot] - before[slot], expected ? 1u : 0u) << "slot " << slot;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, GazelleSteer, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(GazelleSteerConfig, UnconfiguredProgramPassesEverything) {
  if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
  auto skel = Skeleton<gazelle_steer>::open("gazelle_steer");
  ASSERT_TRUE(skel);
  ASSERT_TRUE(skel->load());
  auto in = PacketBuilder().eth(kPodMac, kPeerMac).arp_request("10.76.0.1", kHost).build();
  std::vector<uint8_t> out(in.size());
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(in.size()), .data_size_out = static_cast<uint32_t>(out.size()));
  ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd((*skel)->progs.gazelle_steer), &opts), 0);
  EXPECT_EQ(opts.retval, static_cast<uint32_t>(XDP_PASS));
  EXPECT_EQ(read_stats(bpf_map__fd((*skel)->maps.gz_stats))[GZ_STAT_PASSED], 1u);
}

}  // namespace

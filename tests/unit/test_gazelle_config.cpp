// libgazelle's config: lstack.conf-style files (keys before any section, quoted lists whose
// items contain commas) and every error naming the file, the key and what was wrong.
#include <gtest/gtest.h>

#include "config.h"
#include "if_lock.h"

using gazelle::Backend;
using gazelle::parse_config;

namespace {

const std::string kBase = "host_addr = 192.168.1.10\nmask_addr = 255.255.255.0\n";

TEST(GazelleConfig, LstackStyleWithoutSection) {
  auto c = parse_config(kBase + "gateway_addr = 192.168.1.1\nxdp_eth_name = eth0\ntcp_conn_count = 3000\n"
                                "devices = aa:bb:cc:dd:ee:0f\n", "lstack.conf");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->backend, Backend::af_xdp);
  EXPECT_EQ(c->xdp_eth_name, "eth0");
  EXPECT_EQ(c->tcp_conn_count, 3000u);
  EXPECT_TRUE(c->devices_set);
  EXPECT_EQ(c->devices[5], 0x0f);
  EXPECT_TRUE(c->in_subnet(htonl(0xC0A801FE)));   // 192.168.1.254
  EXPECT_FALSE(c->in_subnet(htonl(0xC0A80201)));  // 192.168.2.1
}

TEST(GazelleConfig, SectionAndQuotedDpdkArgs) {
  auto c = parse_config("[lstack]\n" + kBase + "dpdk_args = [\"-l\", \"1\", \"--vdev=net_af_packet0,iface=eth0,qpairs=1\"]\n",
                        "lstack.conf");
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->backend, Backend::dpdk);
  ASSERT_EQ(c->dpdk_args.size(), 3u);
  EXPECT_EQ(c->dpdk_args[2], "--vdev=net_af_packet0,iface=eth0,qpairs=1");
  EXPECT_EQ(gazelle::interface_of(c->dpdk_args, ""), "eth0");
  EXPECT_EQ(gazelle::interface_of(c->dpdk_args, "veth1"), "veth1");
}

TEST(GazelleConfig, UnquotedDpdkArgsSplitOnSpaces) {
  auto c = parse_config(kBase + "dpdk_args = -l 1 --vdev=net_tap0,iface=tap0\n", "x.conf");
  ASSERT_TRUE(c) << c.error().what();
  ASSERT_EQ(c->dpdk_args.size(), 3u);
  EXPECT_EQ(c->dpdk_args[2], "--vdev=net_tap0,iface=tap0");
}

struct BadCase {
  std::string name, text, message;
};

class GazelleBadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(GazelleBadConfig, FailsNamingTheKey) {
  auto c = parse_config(GetParam().text, "lstack.conf");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().what().find(GetParam().message), std::string::npos) << c.error().what();
}

INSTANTIATE_TEST_SUITE_P(
    Table, GazelleBadConfig,
    ::testing::Values(
        BadCase{"missing_host", "mask_addr = 255.0.0.0\nxdp_eth_name = e\n", "lstack.conf: [lstack] host_addr: missing"},
        BadCase{"bad_host", "host_addr = 1.2.3\nmask_addr = 255.0.0.0\n", "host_addr: '1.2.3' is not an IPv4 address"},
        BadCase{"bad_mask", "host_addr = 1.2.3.4\nmask_addr = 255.0.255.0\nxdp_eth_name = e\n", "mask_addr: not a contiguous netmask"},
        BadCase{"gateway_elsewhere", kBase + "gateway_addr = 10.0.0.1\nxdp_eth_name = e\n", "gateway_addr: not inside"},
        BadCase{"unknown_key", kBase + "xdp_eth_name = e\nhost_adr = 1.1.1.1\n", "[lstack] host_adr: unknown key"},
        BadCase{"unknown_section", kBase + "xdp_eth_name = e\n[dpdk]\nx = 1\n", "unknown section [dpdk]"},
        BadCase{"num_cpus", kBase + "xdp_eth_name = e\nnum_cpus = 2\n", "num_cpus: 2 stacks per process are not supported"},
        BadCase{"too_many_conns", kBase + "xdp_eth_name = e\ntcp_conn_count = 100000\n", "tcp_conn_count: 100000 is outside"},
        BadCase{"af_xdp_without_interface", kBase, "xdp_eth_name: missing"},
        BadCase{"dpdk_without_args", kBase + "backend = dpdk\n", "dpdk_args: missing"},
        BadCase{"bad_backend", kBase + "backend = rdma\n", "backend: 'rdma' is not af_xdp or dpdk"},
        BadCase{"bad_mac", kBase + "xdp_eth_name = e\ndevices = aa:bb\n", "devices: 'aa:bb' is not a MAC address"},
        BadCase{"bad_bool", kBase + "xdp_eth_name = e\nrx_csum_check = maybe\n", "rx_csum_check: expected yes/no"},
        BadCase{"listen_shadow", kBase + "xdp_eth_name = e\nlisten_shadow = 1\n", "listen_shadow: listening on both stacks is not supported"},
        BadCase{"syntax", kBase + "xdp_eth_name e\n", "lstack.conf:3: expected 'key = value'"}),
    [](const auto& info) { return info.param.name; });

}  // namespace

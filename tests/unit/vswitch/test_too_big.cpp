// Frames too big for the tunnel: the answer byte for byte against what the packet builder
// makes of the same ICMP message, and who gets no answer.
#include <gtest/gtest.h>

#include "packet_builder.h"
#include "too_big.h"

using namespace netaccel::vswitch;
using netaccel::test::PacketBuilder;

namespace {

constexpr uint16_t kMtu = 1450;  // a 1500-byte underlay less VXLAN over IPv4

std::vector<uint8_t> quote_of(const std::vector<uint8_t>& frame, size_t limit) {
  return {frame.begin() + 14, frame.begin() + 14 + static_cast<long>(std::min(frame.size() - 14, limit))};
}

std::vector<uint8_t> with_mtu(std::vector<uint8_t> quote) {
  quote.insert(quote.begin(), {0, 0, static_cast<uint8_t>(kMtu >> 8), static_cast<uint8_t>(kMtu & 0xff)});
  return quote;
}

TEST(TooBig, Ipv4WithDfIsToldTheMtu) {
  const auto big = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv4("10.80.0.2", "10.80.1.2").udp(40000, 53, 1500).build();
  const MtuCheck c = check_tunnel_mtu(big, kMtu, 0x1234);
  ASSERT_EQ(c.verdict, MtuVerdict::answer);
  // From the packet's destination to its source, quoting 548 bytes (a 576-byte datagram).
  const auto want = PacketBuilder().eth("02:00:00:00:00:01", "02:00:00:00:00:02").ipv4("10.80.1.2", "10.80.0.2", 64)
                        .icmp(3, 4, with_mtu(quote_of(big, 548))).build();
  EXPECT_EQ(c.answer, want);
  EXPECT_TRUE(netaccel::test::checksums_ok(c.answer));
}

TEST(TooBig, Ipv6IsToldThePacketIsTooBig) {
  const auto big = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv6("fd80::2", "fd80:1::2").tcp(40000, 80, 1500).build();
  const MtuCheck c = check_tunnel_mtu(big, kMtu);
  ASSERT_EQ(c.verdict, MtuVerdict::answer);
  const auto want = PacketBuilder().eth("02:00:00:00:00:01", "02:00:00:00:00:02").ipv6("fd80:1::2", "fd80::2", 64)
                        .icmp6(2, 0, with_mtu(quote_of(big, 1232))).build();
  EXPECT_EQ(c.answer, want);
}

TEST(TooBig, WhatFitsGoesAndSomeGetNoAnswer) {
  auto at_limit = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv4("10.80.0.2", "10.80.1.2").udp(1, 2, kMtu - 28).build();
  EXPECT_EQ(check_tunnel_mtu(at_limit, kMtu).verdict, MtuVerdict::fits);
  auto v6_at_limit = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv6("fd80::2", "fd80:1::2").udp(1, 2, kMtu - 48).build();
  EXPECT_EQ(check_tunnel_mtu(v6_at_limit, kMtu).verdict, MtuVerdict::fits);
  auto no_df = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv4("10.80.0.2", "10.80.1.2").udp(1, 2, 1500).build();
  no_df[14 + 6] = 0;  // DF cleared: the sender lets routers fragment, there is nobody to tell
  EXPECT_EQ(check_tunnel_mtu(no_df, kMtu).verdict, MtuVerdict::drop);
  std::vector<uint8_t> quoted(1500, 0x45);
  auto icmp_error = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv4("10.80.0.2", "10.80.1.2").icmp(11, 0, quoted).build();
  EXPECT_EQ(check_tunnel_mtu(icmp_error, kMtu).verdict, MtuVerdict::drop) << "no error about an error";
  auto from_group = PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv6("ff02::1", "fd80:1::2").udp(1, 2, 1500).build();
  EXPECT_EQ(check_tunnel_mtu(from_group, kMtu).verdict, MtuVerdict::drop);
  std::vector<uint8_t> not_ip(1600, 0);
  not_ip[12] = 0x88;
  not_ip[13] = 0xcc;  // LLDP
  EXPECT_EQ(check_tunnel_mtu(not_ip, kMtu).verdict, MtuVerdict::drop);
  not_ip.resize(100);
  EXPECT_EQ(check_tunnel_mtu(not_ip, kMtu).verdict, MtuVerdict::fits);
}

}  // namespace

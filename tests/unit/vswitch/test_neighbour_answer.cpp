// ARP and neighbour discovery answered for known addresses, against frames written apart: an
// ARP reply laid out by hand from RFC 826, neighbour advertisements from the packet builder.
#include <gtest/gtest.h>

#include "neighbour_answer.h"
#include "packet_builder.h"

using namespace netaccel;
using namespace netaccel::vswitch;
using netaccel::test::PacketBuilder;

namespace {

const Mac kPodMac{0x02, 0, 0, 0, 0x0a, 0x01};

NeighbourLookup known() {
  return [](const Prefix& p) -> std::optional<Mac> {
    if (p == *parse_prefix("10.80.0.7") || p == *parse_prefix("fd80::7")) return kPodMac;
    return std::nullopt;
  };
}

std::vector<uint8_t> addr6(const std::string& a) {
  auto p = *parse_prefix(a);
  return {p.addr.begin(), p.addr.end()};
}

TEST(NeighbourAnswer, ArpForAKnownPod) {
  auto req = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:0b:02").arp_request("10.80.0.2", "10.80.0.7").build();
  auto got = answer_neighbour(req, known());
  ASSERT_TRUE(got);
  // RFC 826's reply: Ethernet to the asker from the owner; hardware 1, protocol IPv4, op 2,
  // sender = the owner (MAC, IP), target = the asker.
  std::vector<uint8_t> want{0x02, 0, 0, 0, 0x0b, 0x02, 0x02, 0, 0, 0, 0x0a, 0x01, 0x08, 0x06,  // Ethernet
                            0, 1, 0x08, 0, 6, 4, 0, 2,                                           // ARP reply
                            0x02, 0, 0, 0, 0x0a, 0x01, 10, 80, 0, 7,                             // sender
                            0x02, 0, 0, 0, 0x0b, 0x02, 10, 80, 0, 2};                            // target
  want.resize(60);
  EXPECT_EQ(*got, want);
}

TEST(NeighbourAnswer, NeighbourSolicitationForAKnownPod) {
  std::vector<uint8_t> ns{0, 0, 0, 0};  // reserved
  auto target = addr6("fd80::7");
  ns.insert(ns.end(), target.begin(), target.end());
  ns.insert(ns.end(), {1, 1, 0x02, 0, 0, 0, 0x0b, 0x03});  // source link-layer address: another MAC than the frame's
  auto req = PacketBuilder().eth("33:33:ff:00:00:07", "02:00:00:00:0b:02").ipv6("fd80::2", "ff02::1:ff00:7", 255).icmp6(135, 0, ns).build();
  auto got = answer_neighbour(req, known());
  ASSERT_TRUE(got);
  std::vector<uint8_t> na{0x60, 0, 0, 0};  // Solicited, Override
  na.insert(na.end(), target.begin(), target.end());
  na.insert(na.end(), {2, 1, 0x02, 0, 0, 0, 0x0a, 0x01});  // target link-layer address
  auto want = PacketBuilder().eth("02:00:00:00:0b:03", "02:00:00:00:0a:01").ipv6("fd80::7", "fd80::2", 255).icmp6(136, 0, na).build();
  EXPECT_EQ(*got, want);
}

TEST(NeighbourAnswer, WhatIsLeftToFlood) {
  auto unknown = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:0b:02").arp_request("10.80.0.2", "10.80.0.8").build();
  EXPECT_FALSE(answer_neighbour(unknown, known()));
  auto probe = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:0b:02").arp_request("0.0.0.0", "10.80.0.7").build();
  EXPECT_FALSE(answer_neighbour(probe, known())) << "duplicate address detection is the owner's to answer";
  auto gratuitous = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:0b:02").arp_request("10.80.0.7", "10.80.0.7").build();
  EXPECT_FALSE(answer_neighbour(gratuitous, known()));
  std::vector<uint8_t> ns{0, 0, 0, 0};
  auto target = addr6("fd80::7");
  ns.insert(ns.end(), target.begin(), target.end());
  auto dad = PacketBuilder().eth("33:33:ff:00:00:07", "02:00:00:00:0b:02").ipv6("::", "ff02::1:ff00:7", 255).icmp6(135, 0, ns).build();
  EXPECT_FALSE(answer_neighbour(dad, known()));
  auto routed = PacketBuilder().eth("33:33:ff:00:00:07", "02:00:00:00:0b:02").ipv6("fd80::2", "ff02::1:ff00:7", 64).icmp6(135, 0, ns).build();
  EXPECT_FALSE(answer_neighbour(routed, known())) << "hop limit below 255: not from the link";
  auto udp = PacketBuilder().eth("02:00:00:00:0a:01", "02:00:00:00:0b:02").ipv4("10.80.0.2", "10.80.0.7").udp(1, 2).build();
  EXPECT_FALSE(answer_neighbour(udp, known()));
}

}  // namespace

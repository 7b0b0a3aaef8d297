// VXLAN on the wire against frames built apart (tests/lib/packet_builder: its own header and
// checksum code): the encapsulation byte for byte over IPv4 and IPv6, the way back, every way a
// frame can fail to be VXLAN, and the source port's spread.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <set>

#include "packet_builder.h"
#include "vxlan.h"

using namespace netaccel;
using namespace netaccel::vswitch;
using netaccel::test::PacketBuilder;

namespace {

MacAddr to_mac(const std::string& s) {
  auto m = netaccel::test::mac(s);
  MacAddr out;
  std::copy(m.begin(), m.end(), out.begin());
  return out;
}

Tunnel tunnel(const std::string& local, const std::string& remote, uint32_t vni) {
  Tunnel t;
  t.local_mac = to_mac("02:00:00:00:aa:01");
  t.next_hop_mac = to_mac("02:00:00:00:bb:01");
  t.local = *parse_prefix(local);
  t.remote = *parse_prefix(remote);
  t.vni = vni;
  return t;
}

std::vector<uint8_t> inner_frame(uint16_t sport = 40000) {
  return PacketBuilder().eth("02:00:00:00:01:02", "02:00:00:00:01:01").ipv4("10.80.0.2", "10.80.1.2").udp(sport, 53, 30).build();
}

// The VXLAN header as RFC 7348 draws it: flags (I), 24 reserved bits, VNI, 8 reserved bits.
std::vector<uint8_t> vxlan_header(uint32_t vni) {
  return {0x08, 0, 0, 0, static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8), static_cast<uint8_t>(vni), 0};
}

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

uint16_t udp_source_port(const std::vector<uint8_t>& outer, size_t ip_len) { return static_cast<uint16_t>(outer[14 + ip_len] << 8 | outer[15 + ip_len]); }

TEST(Vxlan, EncapsulatesOverIpv4ByteForByte) {
  const auto inner = inner_frame();
  const Tunnel t = tunnel("192.168.50.1", "192.168.50.2", 0x123456);
  auto got = vxlan_encapsulate(t, inner, 0x1234);  // the builder's IPv4 identification
  ASSERT_EQ(got.size(), 50 + inner.size());
  const uint16_t sport = udp_source_port(got, 20);
  // Outer UDP checksum zero over IPv4 (RFC 7348 section 5), DF set, TTL 64.
  auto want = PacketBuilder().eth("02:00:00:00:bb:01", "02:00:00:00:aa:01").ipv4("192.168.50.1", "192.168.50.2", 64)
                  .udp(sport, 4789).payload(concat(vxlan_header(0x123456), inner)).no_udp_checksum().build();
  EXPECT_EQ(got, want);
}

TEST(Vxlan, EncapsulatesOverIpv6ByteForByteWithItsChecksum) {
  const auto inner = PacketBuilder().eth("02:00:00:00:01:02", "02:00:00:00:01:01").ipv6("fd80::2", "fd80:1::2").tcp(40000, 80, 7).build();
  Tunnel t = tunnel("fd50::1", "fd50::2", 42);
  t.ttl = 17;
  auto got = vxlan_encapsulate(t, inner);
  ASSERT_EQ(got.size(), 70 + inner.size());
  const uint16_t sport = udp_source_port(got, 40);
  auto want = PacketBuilder().eth("02:00:00:00:bb:01", "02:00:00:00:aa:01").ipv6("fd50::1", "fd50::2", 17)
                  .udp(sport, 4789).payload(concat(vxlan_header(42), inner)).build();
  EXPECT_EQ(got, want);
  EXPECT_TRUE(netaccel::test::checksums_ok(got));
}

TEST(Vxlan, DecapsulatesWhatItEncapsulates) {
  for (const char* pair : {"192.168.50.1 192.168.50.2", "fd50::1 fd50::2"}) {
    const std::string s(pair);
    const Tunnel t = tunnel(s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1), 7000);
    const auto inner = inner_frame();
    const auto outer = vxlan_encapsulate(t, inner);
    const Decapsulated d = vxlan_decapsulate(outer);
    ASSERT_EQ(d.error, DecapError::none) << pair << ": " << decap_error_name(d.error);
    EXPECT_EQ(d.vni, 7000u);
    EXPECT_EQ(d.outer_src, t.local) << pair;
    EXPECT_EQ(d.outer_dst, t.remote) << pair;
    EXPECT_EQ(d.outer_src_mac, t.local_mac);
    EXPECT_EQ(std::vector<uint8_t>(outer.begin() + static_cast<long>(d.inner_offset), outer.begin() + static_cast<long>(d.inner_offset + d.inner_len)), inner);
  }
}

// Every way a frame is not VXLAN for this switch, each with its reason; never "none" by accident.
TEST(Vxlan, EveryBadFrameHasItsReason) {
  const auto inner = inner_frame();
  const auto v4 = vxlan_encapsulate(tunnel("192.168.50.1", "192.168.50.2", 1), inner);
  const auto v6 = vxlan_encapsulate(tunnel("fd50::1", "fd50::2", 1), inner);
  struct Case {
    const char* name;
    std::vector<uint8_t> frame;
    DecapError want;
    uint16_t port = kVxlanPort;
  };
  auto edit = [](std::vector<uint8_t> f, size_t at, uint8_t v) {
    f[at] = v;
    return f;
  };
  std::vector<Case> cases{
      {"arp on the underlay", PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:aa:01").arp_request("192.168.50.1", "192.168.50.2").build(),
       DecapError::not_ip},
      {"tcp to 4789", PacketBuilder().eth("02:00:00:00:bb:01", "02:00:00:00:aa:01").ipv4("192.168.50.1", "192.168.50.2").tcp(1, 4789).build(),
       DecapError::not_udp},
      {"udp to 4790", PacketBuilder().eth("02:00:00:00:bb:01", "02:00:00:00:aa:01").ipv4("192.168.50.1", "192.168.50.2").udp(1, 4790, 60).build(),
       DecapError::wrong_port},
      {"a port of its own configured", v4, DecapError::wrong_port, 8472},
      {"ipv4 header checksum", edit(v4, 14 + 8, 63), DecapError::ip_header},
      {"ipv4 fragment", PacketBuilder().eth("02:00:00:00:bb:01", "02:00:00:00:aa:01").ipv4("192.168.50.1", "192.168.50.2").more_fragments()
                            .udp(1, 4789, 80).build(), DecapError::ip_header},
      {"I flag cleared", edit(v4, 14 + 20 + 8, 0), DecapError::vxlan_flags},
      {"ipv6 payload changed under its checksum", edit(v6, v6.size() - 1, static_cast<uint8_t>(v6.back() ^ 1)), DecapError::udp_checksum},
      {"ipv6 with an extension header", edit(v6, 14 + 6, 0), DecapError::not_udp},
  };
  for (const auto& c : cases) EXPECT_EQ(vxlan_decapsulate(c.frame, c.port).error, c.want) << c.name << ": " << decap_error_name(vxlan_decapsulate(c.frame, c.port).error);
  // Cut anywhere, a frame is never taken whole.
  for (const auto* f : {&v4, &v6})
    for (size_t len = 0; len < f->size(); ++len) {
      const auto d = vxlan_decapsulate({f->data(), len});
      EXPECT_NE(d.error, DecapError::none) << "cut at " << len << " of " << f->size();
    }
}

TEST(Vxlan, SourcePortFollowsTheInnerFlowAndSpreads) {
  std::set<uint16_t> ports;
  for (uint16_t sport = 1000; sport < 2000; ++sport) {
    const uint16_t p = vxlan_source_port(inner_frame(sport));
    EXPECT_GE(p, 49152);
    ports.insert(p);
  }
  EXPECT_GT(ports.size(), 900u) << "1,000 flows on too few source ports";
  // Same flow, other bytes (TTL, payload length): same port.
  auto a = PacketBuilder().eth("02:00:00:00:01:02", "02:00:00:00:01:01").ipv4("10.80.0.2", "10.80.1.2", 64).udp(40000, 53, 30).build();
  auto b = PacketBuilder().eth("02:00:00:00:01:02", "02:00:00:00:01:01").ipv4("10.80.0.2", "10.80.1.2", 3).udp(40000, 53, 900).build();
  EXPECT_EQ(vxlan_source_port(a), vxlan_source_port(b));
  // Frames that are not IP spread by their MACs.
  auto arp1 = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:01:01").arp_request("10.80.0.2", "10.80.0.3").build();
  auto arp2 = PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:01:09").arp_request("10.80.0.2", "10.80.0.3").build();
  EXPECT_NE(vxlan_source_port(arp1), vxlan_source_port(arp2));
}

TEST(Vxlan, AnUnusableTunnelWritesNothing) {
  const auto inner = inner_frame();
  EXPECT_TRUE(vxlan_encapsulate(tunnel("192.168.50.1", "fd50::2", 1), inner).empty()) << "families differ";
  EXPECT_TRUE(vxlan_encapsulate(tunnel("192.168.50.1", "192.168.50.2", kMaxVni + 1), inner).empty()) << "VNI over 24 bits";
  std::vector<uint8_t> small(49);
  EXPECT_FALSE(vxlan_encap_headers(tunnel("192.168.50.1", "192.168.50.2", 1), inner, small));
}

}  // namespace

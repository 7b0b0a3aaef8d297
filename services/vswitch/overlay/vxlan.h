// VXLAN (RFC 7348) on the wire: the outer Ethernet, IPv4 or IPv6, UDP and 8-byte VXLAN headers
// in front of a pod's Ethernet frame, and the way back. Byte spans only: the switch's lcores
// call it on packet data, the tests on vectors built independently.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "netaccel/core/prefix.h"

namespace netaccel::vswitch {

using MacAddr = std::array<uint8_t, 6>;

inline constexpr uint16_t kVxlanPort = 4789;  // IANA
inline constexpr size_t kVxlanHeaderLen = 8;
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;
// Bytes in front of the inner frame: Ethernet 14, IPv4 20 or IPv6 40, UDP 8, VXLAN 8.
size_t vxlan_overhead(int family);

// One VTEP pair, one way: what the encapsulation writes.
struct Tunnel {
  MacAddr local_mac{}, next_hop_mac{};  // the underlay hop
  Prefix local, remote;                 // host addresses, one family
  uint32_t vni = 0;
  uint16_t dst_port = kVxlanPort;
  uint8_t ttl = 64;
  bool dont_fragment = true;  // IPv4: the underlay must not fragment (IPv6 never does)
};

// The UDP source port of an inner frame: a hash of its flow (IP addresses, protocol and ports;
// the MACs and EtherType of a frame that is not IP) folded into 49152-65535, so one flow keeps
// one path through an ECMP underlay and different flows spread (RFC 7348, section 5).
uint16_t vxlan_source_port(std::span<const uint8_t> inner);

// Writes the outer headers for `inner` into `headers` (vxlan_overhead(family) bytes: the room in
// front of the frame). The outer UDP checksum is zero over IPv4 (RFC 7348) and computed over
// IPv6 (RFC 8200). False when the tunnel is unusable (families differ, VNI over 24 bits) or
// `headers` is too short.
bool vxlan_encap_headers(const Tunnel& t, std::span<const uint8_t> inner, std::span<uint8_t> headers, uint16_t ip_id = 0);
std::vector<uint8_t> vxlan_encapsulate(const Tunnel& t, std::span<const uint8_t> inner, uint16_t ip_id = 0);

// Why a frame is not a VXLAN frame this switch takes: the counters' names.
enum class DecapError {
  none = 0,
  truncated,    // shorter than the headers it claims
  not_ip,       // outer EtherType neither IPv4 nor IPv6 (ARP for the underlay, say)
  ip_header,    // IPv4 version/length/checksum wrong, or a fragment
  not_udp,      // another protocol, or IPv6 extension headers
  wrong_port,   // UDP, but not to the VXLAN port
  udp_checksum, // a non-zero UDP checksum that does not verify
  vxlan_flags,  // the I flag unset (RFC 7348: discard)
};
const char* decap_error_name(DecapError e);

struct Decapsulated {
  DecapError error = DecapError::none;
  uint32_t vni = 0;
  MacAddr outer_src_mac{};
  Prefix outer_src, outer_dst;  // host addresses
  size_t inner_offset = 0, inner_len = 0;
};
// `udp_checksum_ready`: false when the port says the sender left the outer UDP checksum to an
// offload that never ran (a veth's CHECKSUM_PARTIAL: AF_PACKET's TP_STATUS_CSUMNOTREADY, an
// mbuf's L4 checksum "unknown"), so it is not checked; a frame from a wire is.
Decapsulated vxlan_decapsulate(std::span<const uint8_t> frame, uint16_t dst_port = kVxlanPort, bool udp_checksum_ready = true);

}  // namespace netaccel::vswitch

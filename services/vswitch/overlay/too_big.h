// A pod's frame too big for the tunnel (its IP packet plus the VXLAN overhead over the
// underlay MTU): the sender is told, as a router on its path would tell it, instead of the
// frame vanishing (the classic overlay PMTU black hole). The switch has no address in the pod
// network, so the answer comes from the packet's destination, MACs swapped: ICMPv4
// "fragmentation needed" (type 3 code 4) with the next-hop MTU (RFC 1191) for IPv4 with DF,
// ICMPv6 "packet too big" (RFC 4443) for IPv6, quoting as much of the packet as fits in 576 or
// 1280 bytes. IPv4 without DF, ICMP errors and packets from group addresses get no answer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace netaccel::vswitch {

enum class MtuVerdict { fits, answer, drop };

struct MtuCheck {
  MtuVerdict verdict = MtuVerdict::fits;
  std::vector<uint8_t> answer;  // with `answer`: the frame to send back to the ingress port
};

// `inner_mtu`: the largest IP packet the tunnel carries (underlay MTU - vxlan_overhead + 14).
MtuCheck check_tunnel_mtu(std::span<const uint8_t> frame, uint16_t inner_mtu, uint16_t ip_id = 0);

}  // namespace netaccel::vswitch

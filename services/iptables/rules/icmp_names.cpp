#include "icmp_names.h"

#include <span>

namespace netaccel::ipt {

namespace {

// libxt_icmp's table of iptables 1.8: a type's own name first, then its aliases and codes.
// "any" is type 255 with every code, as the kernel's match stores it.
constexpr IcmpName kIcmp4[] = {
    {"any", 255, -1},
    {"echo-reply", 0, -1}, {"pong", 0, -1},
    {"destination-unreachable", 3, -1}, {"network-unreachable", 3, 0}, {"host-unreachable", 3, 1},
    {"protocol-unreachable", 3, 2}, {"port-unreachable", 3, 3}, {"fragmentation-needed", 3, 4},
    {"source-route-failed", 3, 5}, {"network-unknown", 3, 6}, {"host-unknown", 3, 7},
    {"network-prohibited", 3, 9}, {"host-prohibited", 3, 10}, {"TOS-network-unreachable", 3, 11},
    {"TOS-host-unreachable", 3, 12}, {"communication-prohibited", 3, 13}, {"host-precedence-violation", 3, 14},
    {"precedence-cutoff", 3, 15},
    {"source-quench", 4, -1},
    {"redirect", 5, -1}, {"network-redirect", 5, 0}, {"host-redirect", 5, 1}, {"TOS-network-redirect", 5, 2},
    {"TOS-host-redirect", 5, 3},
    {"echo-request", 8, -1}, {"ping", 8, -1},
    {"router-advertisement", 9, -1},
    {"router-solicitation", 10, -1},
    {"time-exceeded", 11, -1}, {"ttl-exceeded", 11, -1}, {"ttl-zero-during-transit", 11, 0},
    {"ttl-zero-during-reassembly", 11, 1},
    {"parameter-problem", 12, -1}, {"ip-header-bad", 12, 0}, {"required-option-missing", 12, 1},
    {"timestamp-request", 13, -1},
    {"timestamp-reply", 14, -1},
    {"address-mask-request", 17, -1},
    {"address-mask-reply", 18, -1},
};

// libip6t_icmp6's table of ip6tables 1.8.9 (no MLD names yet).
constexpr IcmpName kIcmp6[] = {
    {"destination-unreachable", 1, -1}, {"no-route", 1, 0}, {"communication-prohibited", 1, 1},
    {"beyond-scope", 1, 2}, {"address-unreachable", 1, 3}, {"port-unreachable", 1, 4},
    {"failed-policy", 1, 5}, {"reject-route", 1, 6},
    {"packet-too-big", 2, -1},
    {"time-exceeded", 3, -1}, {"ttl-exceeded", 3, -1}, {"ttl-zero-during-transit", 3, 0},
    {"ttl-zero-during-reassembly", 3, 1},
    {"parameter-problem", 4, -1}, {"bad-header", 4, 0}, {"unknown-header-type", 4, 1}, {"unknown-option", 4, 2},
    {"echo-request", 128, -1}, {"ping", 128, -1},
    {"echo-reply", 129, -1}, {"pong", 129, -1},
    {"router-solicitation", 133, -1},
    {"router-advertisement", 134, -1},
    {"neighbour-solicitation", 135, -1}, {"neighbor-solicitation", 135, -1},
    {"neighbour-advertisement", 136, -1}, {"neighbor-advertisement", 136, -1},
    {"redirect", 137, -1},
};

std::span<const IcmpName> table(Family f) {
  if (f == Family::v4) return kIcmp4;
  return kIcmp6;
}

}  // namespace

std::optional<IcmpName> icmp_by_name(const std::string& name, Family f) {
  for (const auto& n : table(f))
    if (name == n.name) return n;
  return std::nullopt;
}

const char* icmp_name_of(uint8_t type, std::optional<uint8_t> code, Family f) {
  const int want = code ? *code : -1;
  for (const auto& n : table(f))
    if (n.type == type && n.code == want) return n.name;
  return nullptr;
}

}  // namespace netaccel::ipt

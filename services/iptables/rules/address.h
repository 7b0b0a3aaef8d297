// Addresses of either family as the model holds them: four host-order words, IPv4 in the first
// (the rest zero), IPv6 as its 128 bits read big-endian. Prefix lengths count from the top bit
// of the first word, so one prefix test serves both families; only text differs.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "bpf/iptables/ipt_abi.h"
#include "netaccel/core/result.h"

namespace netaccel::ipt {

enum class Family { v4, v6 };

using Addr = std::array<uint32_t, 4>;

inline constexpr uint8_t max_prefix(Family f) { return f == Family::v4 ? 32 : 128; }
inline Addr addr4(uint32_t host) { return {host, 0, 0, 0}; }

Addr prefix_mask(uint8_t len);
Addr masked(const Addr& a, uint8_t len);
// The data path's layout: each word in network byte order.
ipt_addr to_be(const Addr& a);
Addr from_be(const ipt_addr& a);

// "10.0.0.1" / "2001:db8::1" (inet_pton's forms); what names the option in the error.
Result<Addr> parse_addr(const std::string& text, Family f, const std::string& what);
// inet_ntop's form ("2001:db8::1").
std::string format_addr(const Addr& a, Family f);
// The prefix length of a contiguous netmask, or an error.
Result<uint8_t> mask_length(const Addr& mask, Family f, const std::string& text);

}  // namespace netaccel::ipt

// The Internet checksum (RFC 1071) over byte spans, with the IPv4 and IPv6 pseudo-headers the
// UDP checksum covers. Sums are kept unfolded so callers can add pieces in any order.
#pragma once

#include <cstdint>
#include <span>

namespace netaccel::vswitch {

uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes);  // big-endian 16-bit words
uint16_t checksum_fold(uint32_t sum);                                  // one's complement of the folded sum
// The pseudo-header of a UDP/TCP checksum: addresses (4 or 16 bytes each), protocol, length.
uint32_t pseudo_header_sum(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t proto, uint32_t l4_len);

}  // namespace netaccel::vswitch

#include "inet_checksum.h"

namespace netaccel::vswitch {

uint32_t checksum_add(uint32_t sum, std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += static_cast<uint32_t>(bytes[i] << 8 | bytes[i + 1]);
  if (i < bytes.size()) sum += static_cast<uint32_t>(bytes[i] << 8);  // an odd byte, padded with zero
  return sum;
}

uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

uint32_t pseudo_header_sum(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t proto, uint32_t l4_len) {
  uint32_t sum = checksum_add(checksum_add(0, src), dst);
  sum += proto;
  sum += l4_len >> 16;
  sum += l4_len & 0xffff;
  return sum;
}

}  // namespace netaccel::vswitch

// Network-order fields in packet bytes, for the switch's header writers and readers.
#pragma once

#include <cstdint>

namespace netaccel::vswitch {

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace netaccel::vswitch

// Small facts about a network interface read with ioctls (no netlink library in a preloaded
// process): index, MAC, MTU, driver.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "netaccel/core/result.h"

namespace gazelle {

struct LinkInfo {
  int ifindex = 0;
  std::array<uint8_t, 6> mac{};
  uint16_t mtu = 1500;
  std::string driver;  // "veth", "mlx5_core", ...
};

netaccel::Result<LinkInfo> read_link_info(const std::string& ifname);

}  // namespace gazelle

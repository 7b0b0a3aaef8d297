// /etc/netaccel/fwd.conf: which veths netaccel-fwd takes over and how.
#pragma once

#include <string>
#include <vector>

#include "fwd_types.h"
#include "netaccel/core/config.h"
#include "netaccel/core/pins.h"

namespace netaccel::fwd {

struct FwdConfig {
  Hook default_hook = Hook::tc;
  bool auto_attach = true;
  std::vector<std::string> bridges;     // veths enslaved to these bridges: bridge mode
  std::vector<std::string> prefixes;    // veths whose name starts so (no master): router mode
  std::vector<std::string> interfaces;  // explicit names: router, or bridge if enslaved
  bool ipv6 = true;
  std::string pin_root = kDefaultPinRoot;
};

// Validates everything; errors name the file, section and key.
Result<FwdConfig> parse_fwd_config(const IniConfig& ini);

}  // namespace netaccel::fwd

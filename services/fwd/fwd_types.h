// Vocabulary of netaccel-fwd shared by its logic, its D-Bus adapter and netaccelctl.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "fwd/fwd_abi.h"
#include "netaccel/core/result.h"

namespace netaccel::fwd {

enum class Mode : uint32_t { router = FWD_MODE_ROUTER, bridge = FWD_MODE_BRIDGE };
enum class Hook : uint32_t { tc = FWD_HOOK_TC, xdp = FWD_HOOK_XDP };

// What Attach() asks for: "router", "bridge", optionally with ":tc" or ":xdp".
struct AttachSpec {
  Mode mode = Mode::router;
  Hook hook = Hook::tc;
  bool operator==(const AttachSpec&) const = default;
};

Result<AttachSpec> parse_attach_spec(std::string_view text, Hook default_hook);
Result<Hook> parse_hook(std::string_view text);
std::string to_string(Mode m);
std::string to_string(Hook h);
std::string to_string(const AttachSpec& s);

// Counter names in the order of enum fwd_stat ("forwarded", "pass_no_neigh", ...).
const std::array<std::string_view, FWD_STAT__MAX>& stat_names();

struct IfaceStats {
  std::array<uint64_t, FWD_STAT__MAX> packets{};
  uint64_t forwarded_bytes = 0;
};

// Interface names as the kernel accepts them (IFNAMSIZ, no '/', no whitespace).
bool valid_ifname(std::string_view name);

}  // namespace netaccel::fwd

#include "fwd_types.h"

#include <net/if.h>

namespace netaccel::fwd {

Result<Hook> parse_hook(std::string_view t) {
  if (t == "tc") return Hook::tc;
  if (t == "xdp") return Hook::xdp;
  return make_error(Errc::invalid_argument, "hook must be 'tc' or 'xdp', got '" + std::string(t) + "'");
}

Result<AttachSpec> parse_attach_spec(std::string_view text, Hook default_hook) {
  AttachSpec s;
  s.hook = default_hook;
  std::string_view mode = text;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    mode = text.substr(0, colon);
    auto h = parse_hook(text.substr(colon + 1));
    if (!h) return h.error();
    s.hook = *h;
  }
  if (mode == "router")
    s.mode = Mode::router;
  else if (mode == "bridge")
    s.mode = Mode::bridge;
  else
    return make_error(Errc::invalid_argument,
                      "mode must be 'router' or 'bridge' (optionally ':tc' or ':xdp'), got '" + std::string(text) + "'");
  return s;
}

std::string to_string(Mode m) { return m == Mode::router ? "router" : "bridge"; }
std::string to_string(Hook h) { return h == Hook::tc ? "tc" : "xdp"; }
std::string to_string(const AttachSpec& s) { return to_string(s.mode) + ":" + to_string(s.hook); }

const std::array<std::string_view, FWD_STAT__MAX>& stat_names() {
  static const std::array<std::string_view, FWD_STAT__MAX> names = {
      "forwarded",         "pass_not_ip",   "pass_multicast",  "pass_not_for_us",
      "pass_ttl",          "pass_fragment", "pass_ip_options", "pass_icmp_control",
      "pass_no_neigh",     "pass_not_forwarded", "pass_no_route",   "pass_mtu",
      "pass_fdb_miss",     "pass_egress_unmanaged", "pass_hairpin", "pass_malformed",
      "pass_disabled",     "pass_guarded",      "dropped",
  };
  return names;
}

bool valid_ifname(std::string_view n) {
  if (n.empty() || n.size() >= IFNAMSIZ || n == "." || n == "..") return false;
  for (char c : n)
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) return false;
  return true;
}

}  // namespace netaccel::fwd

#include "iptables_config.h"

#include "ruleset.h"

#include "netaccel/core/config_schema.h"
#include "netaccel/core/pins.h"

namespace netaccel::ipt {

bool IptablesConfig::wants(const std::string& ifname) const {
  if (ifname == "lo") return false;
  for (const auto& p : interfaces)
    if (p == "*" || iface_matches(p, ifname)) return true;
  return false;
}

Result<IptablesConfig> parse_iptables_config(const IniConfig& ini) {
  using C = IptablesConfig;
  auto timeout = [](uint32_t CtTimeouts::*f) { return [f](C& c) -> uint32_t& { return c.timeouts.*f; }; };
  constexpr long kMaxTimeout = 30L * 86400;
  static const auto schema =
      ConfigSchema<C>("iptables")
          .list("interfaces", &C::interfaces, [](const std::string& i) { return i.size() <= 15 && i.find('/') == std::string::npos; },
                "an interface name or pattern", /*keep_default_when_empty=*/true)
          .path("state_file", &C::state_file)
          .flag("ipv6", &C::ipv6)
          .path("state_file6", &C::state_file6)
          .path("pin_root", &C::pin_root)
          // Named and defaulted as Linux's nf_conntrack_*_timeout sysctls.
          .number<uint32_t>("tcp_timeout_syn_sent", timeout(&CtTimeouts::tcp_unreplied), 1, kMaxTimeout)
          .number<uint32_t>("tcp_timeout_established", timeout(&CtTimeouts::tcp_established), 1, kMaxTimeout)
          .number<uint32_t>("tcp_timeout_time_wait", timeout(&CtTimeouts::tcp_closing), 1, kMaxTimeout)
          .number<uint32_t>("udp_timeout", timeout(&CtTimeouts::udp_unreplied), 1, kMaxTimeout)
          .number<uint32_t>("udp_timeout_stream", timeout(&CtTimeouts::udp_replied), 1, kMaxTimeout)
          .number<uint32_t>("icmp_timeout", timeout(&CtTimeouts::icmp), 1, kMaxTimeout)
          .number<uint32_t>("generic_timeout", timeout(&CtTimeouts::other), 1, kMaxTimeout)
          .number<uint32_t>("conntrack_sweep_interval", &C::ct_sweep_interval, 1, 3600)
          .check([](const IniConfig& ini, const std::string& s, const C& c) -> Status {
            if (c.state_file == c.state_file6)
              return make_error(Errc::invalid_argument, ini.where(s, "state_file6") + ": must differ from state_file");
            return {};
          });
  return schema.parse(ini);
}

}  // namespace netaccel::ipt

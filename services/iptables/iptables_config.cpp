#include "iptables_config.h"

#include "netaccel/core/pins.h"
#include "reference_eval.h"

namespace netaccel::ipt {

bool IptablesConfig::wants(const std::string& ifname) const {
  if (ifname == "lo") return false;
  for (const auto& p : interfaces)
    if (p == "*" || iface_matches(p, ifname)) return true;
  return false;
}

Result<IptablesConfig> parse_iptables_config(const IniConfig& ini) {
  // Conntrack timeouts: the names of Linux's nf_conntrack_*_timeout sysctls, without the prefix.
  struct Timeout {
    const char* key;
    uint32_t CtTimeouts::*field;
  };
  static const Timeout timeouts[] = {
      {"tcp_timeout_syn_sent", &CtTimeouts::tcp_unreplied}, {"tcp_timeout_established", &CtTimeouts::tcp_established},
      {"tcp_timeout_time_wait", &CtTimeouts::tcp_closing},  {"udp_timeout", &CtTimeouts::udp_unreplied},
      {"udp_timeout_stream", &CtTimeouts::udp_replied},     {"icmp_timeout", &CtTimeouts::icmp},
      {"generic_timeout", &CtTimeouts::other},
  };
  std::vector<std::string> known = {"interfaces", "state_file", "ipv6", "state_file6", "pin_root", "conntrack_sweep_interval"};
  for (const auto& t : timeouts) known.push_back(t.key);
  IptablesConfig c;
  for (const auto& s : ini.sections())
    if (s != "iptables") return make_error(Errc::invalid_argument, ini.origin() + ": unknown section [" + s + "]");
  if (auto unknown = ini.unknown_keys("iptables", known); !unknown.empty())
    return make_error(Errc::invalid_argument, ini.where("iptables", unknown.front()) + ": unknown key");
  if (auto list = ini.get_list("iptables", "interfaces"); !list.empty()) c.interfaces = list;
  for (const auto& i : c.interfaces)
    if (i.size() > 15 || i.find('/') != std::string::npos)
      return make_error(Errc::invalid_argument, ini.where("iptables", "interfaces") + ": '" + i + "' is not an interface name or pattern");
  c.state_file = ini.get_string("iptables", "state_file", c.state_file);
  c.state_file6 = ini.get_string("iptables", "state_file6", c.state_file6);
  for (const auto& [key, path] : {std::pair<const char*, const std::string&>{"state_file", c.state_file}, {"state_file6", c.state_file6}})
    if (path.empty() || path[0] != '/') return make_error(Errc::invalid_argument, ini.where("iptables", key) + ": needs an absolute path");
  if (c.state_file == c.state_file6)
    return make_error(Errc::invalid_argument, ini.where("iptables", "state_file6") + ": must differ from state_file");
  auto v6 = ini.get_bool("iptables", "ipv6", c.ipv6);
  if (!v6) return v6.error();
  c.ipv6 = *v6;
  c.pin_root = ini.get_string("iptables", "pin_root", kDefaultPinRoot);
  for (const auto& t : timeouts) {
    auto v = ini.get_int("iptables", t.key, c.timeouts.*t.field, 1, 30L * 86400);
    if (!v) return v.error();
    c.timeouts.*t.field = static_cast<uint32_t>(*v);
  }
  auto sweep = ini.get_int("iptables", "conntrack_sweep_interval", c.ct_sweep_interval, 1, 3600);
  if (!sweep) return sweep.error();
  c.ct_sweep_interval = static_cast<uint32_t>(*sweep);
  return c;
}

}  // namespace netaccel::ipt

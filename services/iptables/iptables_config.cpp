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
  static const std::vector<std::string> known = {"interfaces", "state_file", "pin_root"};
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
  if (c.state_file.empty() || c.state_file[0] != '/')
    return make_error(Errc::invalid_argument, ini.where("iptables", "state_file") + ": needs an absolute path");
  c.pin_root = ini.get_string("iptables", "pin_root", kDefaultPinRoot);
  return c;
}

}  // namespace netaccel::ipt

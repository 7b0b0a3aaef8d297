#include "fwd_config.h"

namespace netaccel::fwd {

Result<FwdConfig> parse_fwd_config(const IniConfig& ini) {
  static const std::vector<std::string> known = {"hook", "auto_attach", "bridges", "prefixes", "interfaces", "ipv6", "pin_root"};
  FwdConfig c;
  for (const auto& s : ini.sections())
    if (s != "fwd") return make_error(Errc::invalid_argument, ini.origin() + ": unknown section [" + s + "]");
  if (auto unknown = ini.unknown_keys("fwd", known); !unknown.empty())
    return make_error(Errc::invalid_argument, ini.where("fwd", unknown.front()) + ": unknown key");
  auto hook = parse_hook(ini.get_string("fwd", "hook", "tc"));
  if (!hook) return make_error(Errc::invalid_argument, ini.where("fwd", "hook") + ": " + hook.error().message);
  c.default_hook = *hook;
  auto aa = ini.get_bool("fwd", "auto_attach", true);
  if (!aa) return aa.error();
  c.auto_attach = *aa;
  auto v6 = ini.get_bool("fwd", "ipv6", true);
  if (!v6) return v6.error();
  c.ipv6 = *v6;
  c.bridges = ini.get_list("fwd", "bridges");
  c.prefixes = ini.get_list("fwd", "prefixes");
  c.interfaces = ini.get_list("fwd", "interfaces");
  for (const auto* list : {&c.bridges, &c.interfaces})
    for (const auto& n : *list)
      if (!valid_ifname(n)) return make_error(Errc::invalid_argument, ini.where("fwd", list == &c.bridges ? "bridges" : "interfaces") + ": '" + n + "' is not an interface name");
  c.pin_root = ini.get_string("fwd", "pin_root", kDefaultPinRoot);
  if (c.pin_root.empty() || c.pin_root[0] != '/')
    return make_error(Errc::invalid_argument, ini.where("fwd", "pin_root") + ": must be an absolute path");
  return c;
}

}  // namespace netaccel::fwd

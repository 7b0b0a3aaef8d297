#include "fwd_config.h"

#include "netaccel/core/config_schema.h"

namespace netaccel::fwd {

Result<FwdConfig> parse_fwd_config(const IniConfig& ini) {
  static const auto schema =
      ConfigSchema<FwdConfig>("fwd")
          .custom("hook",
                  [](const IniConfig& ini, const std::string& s, const std::string& k, FwdConfig& c) -> Status {
                    auto hook = parse_hook(ini.get_string(s, k, to_string(c.default_hook)));
                    if (!hook) return make_error(Errc::invalid_argument, ini.where(s, k) + ": " + hook.error().message);
                    c.default_hook = *hook;
                    return {};
                  })
          .flag("auto_attach", &FwdConfig::auto_attach)
          .flag("ipv6", &FwdConfig::ipv6)
          .list("bridges", &FwdConfig::bridges, valid_ifname, "an interface name")
          .list("prefixes", &FwdConfig::prefixes)
          .list("interfaces", &FwdConfig::interfaces, valid_ifname, "an interface name")
          .path("pin_root", &FwdConfig::pin_root);
  return schema.parse(ini);
}

}  // namespace netaccel::fwd

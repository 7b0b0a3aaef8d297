#include "policy_config.h"

#include "netaccel/core/config_schema.h"
#include "policy/policy_abi.h"

namespace netaccel::policy {

Result<PolicyConfig> parse_policy_config(const IniConfig& ini) {
  using C = PolicyConfig;
  static const auto schema = ConfigSchema<C>("policy")
                                 .path("pin_root", &C::pin_root)
                                 .flag("allow_host", [](C& c) -> bool& { return c.allow_host; })
                                 .number<unsigned>("settle_ms", [](C& c) -> unsigned& { return c.settle_ms; }, 0, 10000)
                                 .number<unsigned>("drop_events_per_s", [](C& c) -> unsigned& { return c.drop_events_per_s; }, 0, 100000)
                                 .number<unsigned>("policy_map_entries", [](C& c) -> unsigned& { return c.policy_map_entries; }, 1, POL_MAX_ENTRIES);
  return schema.parse(ini);
}

}  // namespace netaccel::policy

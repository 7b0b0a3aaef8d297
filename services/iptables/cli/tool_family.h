// Which ruleset a tool binary serves. Each tool is built twice from one source, as iptables'
// own tools are: netaccel-iptables-* (NETACCEL_IPT_TOOL_FAMILY=4) and netaccel-ip6tables-* (6).
#pragma once

#include "iptables/dbus_api.h"

namespace netaccel::ipt::cli {

inline constexpr bool kIpv6Tool = NETACCEL_IPT_TOOL_FAMILY == 6;
inline constexpr const char* kToolBase = kIpv6Tool ? "netaccel-ip6tables" : "netaccel-iptables";
inline constexpr const char* kToolPath = kIpv6Tool ? kObjectPath6 : kObjectPath;

}  // namespace netaccel::ipt::cli

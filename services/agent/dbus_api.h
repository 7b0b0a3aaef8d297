// The D-Bus API of netaccel-agent: the names the daemon serves and every client (netaccelctl,
// the CNI plugin, the policy and LB services, the tests) calls. Members: docs/dbus.md.
#pragma once

namespace netaccel::agent {

inline constexpr const char* kBusName = "org.openeuler.NetAccel1.Agent";
inline constexpr const char* kObjectPath = "/org/openeuler/NetAccel1/Agent";
inline constexpr const char* kInterface = "org.openeuler.NetAccel1.Agent";

}  // namespace netaccel::agent

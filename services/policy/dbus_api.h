// The D-Bus API of netaccel-policy: the names the daemon serves and every client (netaccelctl,
// the tests) calls. Members: docs/dbus.md.
#pragma once

namespace netaccel::policy {

inline constexpr const char* kBusName = "org.openeuler.NetAccel1.Policy";
inline constexpr const char* kObjectPath = "/org/openeuler/NetAccel1/Policy";
inline constexpr const char* kInterface = "org.openeuler.NetAccel1.Policy";

}  // namespace netaccel::policy

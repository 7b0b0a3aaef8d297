// The D-Bus API of netaccel-sockmap: the names the daemon serves and every client (its tools,
// netaccelctl, the tests) calls. Members, signatures and errors: docs/dbus.md.
#pragma once

#include <cstdint>

namespace netaccel::sockmap {

inline constexpr const char* kBusName = "org.openeuler.NetAccel1.Sockmap";
inline constexpr const char* kObjectPath = "/org/openeuler/NetAccel1/Sockmap";
inline constexpr const char* kInterface = "org.openeuler.NetAccel1.Sockmap";

}  // namespace netaccel::sockmap

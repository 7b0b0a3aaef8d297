// The D-Bus API of netaccel-fwd: the names the daemon serves and every client (its tools,
// netaccelctl, the tests) calls. Members, signatures and errors: docs/dbus.md.
#pragma once

#include <cstdint>

namespace netaccel::fwd {

inline constexpr const char* kBusName = "org.openeuler.NetAccel1.Fwd";
inline constexpr const char* kObjectPath = "/org/openeuler/NetAccel1/Fwd";
inline constexpr const char* kInterface = "org.openeuler.NetAccel1.Fwd";

}  // namespace netaccel::fwd

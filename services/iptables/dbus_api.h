// The D-Bus API of netaccel-iptables: the names the daemon serves and every client (its tools,
// netaccelctl, the tests) calls. Members, signatures and errors: docs/dbus.md.
#pragma once

#include <cstdint>

namespace netaccel::ipt {

inline constexpr const char* kBusName = "org.openeuler.NetAccel1.Iptables";
inline constexpr const char* kObjectPath = "/org/openeuler/NetAccel1/Iptables";
inline constexpr const char* kObjectPath6 = "/org/openeuler/NetAccel1/Iptables6";  // the ip6tables ruleset
inline constexpr const char* kInterface = "org.openeuler.NetAccel1.Iptables";

// Restore(s text, u flags): the flag bits.
inline constexpr uint32_t kRestoreNoflush = 1u << 0;
inline constexpr uint32_t kRestoreCounters = 1u << 1;
inline constexpr uint32_t kRestoreTest = 1u << 2;

}  // namespace netaccel::ipt

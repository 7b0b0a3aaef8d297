// The command-line tools' side of org.openeuler.NetAccel1.Iptables: one call, its reply or
// the daemon's error text.
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::ipt::cli {

// path: the ruleset's object (kObjectPath for iptables, kObjectPath6 for ip6tables).
Status call_restore(const char* path, const std::string& text, uint32_t flags);
Result<std::string> call_save(const char* path, const std::string& table, bool counters);
Result<std::string> call_command(const char* path, const std::vector<std::string>& args);
// Prints "<prog>: <message>" and returns iptables' exit code for it (1; 2 for bad arguments).
int report(const char* prog, const Error& e);

}  // namespace netaccel::ipt::cli

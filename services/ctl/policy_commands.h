// netaccelctl policy: netaccel-policy's view in tables, a pod's policy in words, and the
// stream of denied packets (like `cilium monitor --type drop`).
#pragma once

#include <systemd/sd-bus.h>

#include <string>

namespace netaccel::ctl {

int policy_endpoints(sd_bus* bus);
int policy_identities(sd_bus* bus);
int policy_get(sd_bus* bus, const std::string& pod);
int policy_stats(sd_bus* bus);
// Prints each Dropped signal as one line until interrupted, or until `count` lines (> 0).
int policy_monitor(sd_bus* bus, unsigned count);

}  // namespace netaccel::ctl

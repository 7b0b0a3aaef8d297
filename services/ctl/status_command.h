// netaccelctl status: one table of every netaccel service on this node, whether it runs and
// what it accelerates right now, read from each service's D-Bus properties.
#pragma once

#include <systemd/sd-bus.h>

namespace netaccel::ctl {

// 0 when the bus answered (services not running are rows, not errors).
int node_status(sd_bus* bus);

}  // namespace netaccel::ctl

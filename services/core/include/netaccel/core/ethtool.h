// Queue counts of an interface through the ethtool ioctl (in the caller's network namespace).
// An AF_XDP socket serves one rx queue: a steering program's frames on any other queue would
// fall back to the kernel, so a single-socket user stack wants its interface on one queue.
#pragma once

#include <string>

#include "netaccel/core/result.h"

namespace netaccel {

struct Channels {
  unsigned rx = 0, tx = 0, combined = 0;
};

Result<Channels> channels(const std::string& ifname);
// Sets rx and tx queues (veth: separate rx/tx, no combined); no call when already so.
Status set_rx_tx_channels(const std::string& ifname, unsigned rx, unsigned tx);

}  // namespace netaccel

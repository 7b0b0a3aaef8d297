// The periodic conntrack sweep: connections idle beyond their timeout (conntrack_timeouts.h)
// are removed from ipt_conns together with every ipt_ct key that leads to them; keys whose
// connection is gone already (evicted from the LRU map, or replaced when a tuple was reused)
// go too.
#pragma once

#include <cstdint>

#include "conntrack_timeouts.h"
#include "netaccel/core/result.h"

namespace netaccel::ipt {

struct SweepResult {
  uint32_t connections = 0;  // tracked before the sweep
  uint32_t expired = 0;      // connections removed
  uint32_t keys_removed = 0;
};

// conns_fd: ipt_conns, ct_fd: ipt_ct; now_ns on CLOCK_MONOTONIC.
Result<SweepResult> sweep_conntrack(int conns_fd, int ct_fd, const CtTimeouts& t, uint64_t now_ns);

}  // namespace netaccel::ipt

// What the forwarder logic needs from the kernel side. BpfDataplane is the real one; unit
// tests drive the logic through a recording fake.
#pragma once

#include <vector>

#include "fwd_types.h"
#include "netaccel/core/netlink.h"

namespace netaccel::fwd {

// An interface the data path holds (from the pinned iface map), as found at start-up.
struct HeldIface {
  int ifindex = 0;
  AttachSpec spec;
  int bridge_ifindex = 0;
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  // bridge_ifindex is 0 in router mode. Re-attaching with another spec replaces atomically.
  virtual Status attach(const LinkInfo& link, const AttachSpec& spec, int bridge_ifindex) = 0;
  virtual Status detach(int ifindex) = 0;
  virtual Status fdb_set(const FdbEntry& e) = 0;
  virtual Status fdb_erase(const FdbEntry& e) = 0;
  virtual Status fdb_flush(int bridge_ifindex) = 0;
  virtual Result<IfaceStats> stats(int ifindex) const = 0;
  // Interfaces a previous run left attached (pinned); the data path already forwards for them.
  virtual std::vector<HeldIface> held() const = 0;
};

}  // namespace netaccel::fwd

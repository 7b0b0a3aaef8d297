// The kernel side as PolicyService sees it: the tables, and the two programs on each local
// pod's host-side veth. daemon/bpf_enforcer.cpp is the real one.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "netaccel/core/result.h"
#include "policy/policy_abi.h"
#include "policy_tables.h"

namespace netaccel::policy {

struct DirectionCounters {
  uint64_t allowed = 0, established = 0, denied = 0, unrestricted = 0;
};

class Enforcer {
 public:
  virtual ~Enforcer() = default;
  virtual Status install(const PolicyTables& tables) = 0;
  // The tables of the last install plus one pod, written entry by entry (BpfPolicyTables::
  // add_pod); already_exists, changing nothing, when the pod's entries collide with some.
  virtual Status add_pod(const PodEntries& pod) = 0;
  // Readies free endpoint slots so that a later add_pod writes no map-in-map entry (each of
  // those waits for a grace period); a kernel side without that cost does nothing.
  virtual Status prepare_slots(const std::set<uint32_t>& slots) {
    (void)slots;
    return {};
  }
  // Both hooks of the veth; attaching one already attached is a no-op.
  virtual Status attach(uint32_t ifindex) = 0;
  virtual Status detach(uint32_t ifindex) = 0;
  virtual std::set<uint32_t> attached() const = 0;
  // ifindex → endpoint slot as a previous run left them (pinned), so slots stay put.
  virtual std::map<uint32_t, uint32_t> previous_slots() const = 0;
  virtual DirectionCounters counters(uint32_t slot, Direction dir) const = 0;
  virtual uint64_t generation() const = 0;  // changes installed so far (flipped or in place)
};

}  // namespace netaccel::policy

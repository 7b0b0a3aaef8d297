// Writes PolicyTables into the kernel so that no packet ever decides on a mixture of two
// states: the change goes into the slot the data path does not read, pol_version flips, a
// grace period lets every packet that still reads the old slot finish, and then the old
// slot is brought level. A failure before the flip rewrites the inactive slot as it was and
// changes nothing the data path sees.
#pragma once

#include <map>

#include "netaccel/core/result.h"
#include "netaccel/core/unique_fd.h"
#include "policy_tables.h"

struct policy;

namespace netaccel::policy {

struct PolicyMapFds {
  int version = -1;
  int ipcache[2] = {-1, -1}, cidrs[2] = {-1, -1}, endpoints[2] = {-1, -1}, policy[2] = {-1, -1};
};
PolicyMapFds map_fds(const struct ::policy* skel);

class BpfPolicyTables {
 public:
  explicit BpfPolicyTables(PolicyMapFds fds) : fds_(fds) {}

  // The state becomes `next`. A pod that comes or goes with no other change (its identity in
  // use already, no policy map but its own changing) is written in place, entry by entry, with
  // no flip and no grace period; anything else goes through the two slots.
  Status install(const PolicyTables& next);
  const PolicyTables& current() const { return cur_; }
  uint32_t active_slot() const;
  uint64_t flips() const { return flips_; }
  uint64_t in_place() const { return in_place_; }
  uint64_t unchanged() const { return unchanged_; }  // installs that found nothing to change
  // The maps hold a previous run's state (pinned): the next install rewrites both slots whole,
  // the spare one first, so nothing changes for packets until the flip.
  void adopt_unknown_state();

 private:
  Status write_slot(int slot, const PolicyTables& from, const PolicyTables& to, std::map<uint32_t, UniqueFd>& inner);
  Result<UniqueFd> make_rules_map(uint32_t slot, const RuleKeys& keys) const;
  Status write_in_place(const PolicyTables& next, bool adding);
  Status write_or_resync(int slot, const PolicyTables& from, const PolicyTables& to, std::map<uint32_t, UniqueFd>& inner);
  Status resync_slot(int slot, const PolicyTables& want, std::map<uint32_t, UniqueFd>& inner);

  PolicyMapFds fds_;
  PolicyTables cur_;
  bool dirty_[2] = {false, false};
  uint64_t flips_ = 0, in_place_ = 0, unchanged_ = 0;
};

// Waits until every BPF program run that started before the call has finished (an RCU grace
// period, through membarrier(2)).
Status wait_for_readers();

}  // namespace netaccel::policy

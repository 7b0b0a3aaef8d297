// Writes PolicyTables into the kernel so that no packet ever decides on a mixture of two
// states: the change goes into the slot the data path does not read, pol_version flips, a
// grace period lets every packet that still reads the old slot finish, and then the old
// slot is brought level. A failure before the flip rewrites the inactive slot as it was and
// changes nothing the data path sees.
#pragma once

#include <map>
#include <set>

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
  // One pod more, written in place without computing or comparing whole tables: O(the pod's
  // entries), whatever the node holds. Refused with already_exists, writing nothing, when an
  // address, the veth or the slot is taken (then a whole install decides); any other failure
  // leaves both slots to be rewritten whole by the next install.
  Status add_pod(const PodEntries& pod);
  // Setting a map in a map-in-map array waits for an RCU grace period (the kernel's
  // maybe_wait_bpf_programs), tens of ms, twice (both state slots). An empty policy map judges
  // as no map, so free slots get theirs ahead of time, off the CNI ADD path: add_pod then only
  // fills one. Slots in use or not free are skipped.
  Status prepare_slots(const std::set<uint32_t>& slots);
  size_t prepared() const { return spares_.size(); }
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
  Status install_tables(const PolicyTables& next);
  bool slot_free(uint32_t slot) const;

  PolicyMapFds fds_;
  PolicyTables cur_;
  bool dirty_[2] = {false, false};
  uint64_t flips_ = 0, in_place_ = 0, unchanged_ = 0;
  // Free slots whose empty policy map both state slots hold already.
  std::map<uint32_t, UniqueFd> spares_;
};

// Waits until every BPF program run that started before the call has finished (an RCU grace
// period, through membarrier(2)).
Status wait_for_readers();

}  // namespace netaccel::policy

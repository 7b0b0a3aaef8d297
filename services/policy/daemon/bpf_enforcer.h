// The Enforcer on the kernel: policy.bpf.o with its maps pinned under <pin_root>/policy, the
// two programs on each pod veth as pinned TCX links (policy's stage: before netaccel-fwd), the
// tables through BpfPolicyTables. A restart reuses the pinned maps and swaps its programs into
// the pinned links, so enforcement never stops.
#pragma once

#include <map>
#include <memory>

#include "bpf_policy_tables.h"
#include "enforcer.h"
#include "netaccel/core/link.h"
#include "netaccel/core/pins.h"
#include "netaccel/core/skeleton.h"
#include "policy_config.h"
#include "policy_skeleton.h"

namespace netaccel::policy {

class BpfEnforcer : public Enforcer {
 public:
  static Result<std::unique_ptr<BpfEnforcer>> open(const PolicyConfig& cfg);
  // Uninstall: every link and map pin goes (the veths' programs with them).
  static Status purge(const std::string& pin_root);

  Status install(const PolicyTables& tables) override;
  Status add_pod(const PodEntries& pod) override { return tables_.add_pod(pod); }
  Status prepare_slots(const std::set<uint32_t>& slots) override { return tables_.prepare_slots(slots); }
  Status attach(uint32_t ifindex) override;
  Status detach(uint32_t ifindex) override;
  std::set<uint32_t> attached() const override;
  std::map<uint32_t, uint32_t> previous_slots() const override { return previous_slots_; }
  DirectionCounters counters(uint32_t slot, Direction dir) const override;
  uint64_t generation() const override { return tables_.flips() + tables_.in_place() + tables_.unchanged(); }

  int drops_fd() const { return bpf_map__fd(skel_->maps.pol_drops); }

 private:
  BpfEnforcer(Skeleton<struct ::policy> skel, PinDir pins);
  Status adopt();
  Status guard(uint32_t ifindex, bool on);

  Skeleton<struct ::policy> skel_;
  PinDir pins_;
  BpfPolicyTables tables_;
  std::map<uint32_t, std::pair<Link, Link>> links_;  // ifindex → (from pod, to pod)
  std::map<uint32_t, uint32_t> previous_slots_;
};

}  // namespace netaccel::policy

// The netaccel-iptables data path in the kernel: the BPF object with its maps pinned (rulesets
// and conntrack survive a daemon restart), TCX links on the chosen interfaces, host facts.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "compiler.h"
#include "host_state.h"
#include "iptables_service.h"
#include "iptables_skeleton.h"
#include "map_loader.h"
#include "netaccel/core/link.h"
#include "netaccel/core/pins.h"

namespace netaccel::ipt {

class BpfIptables final : public IptablesDataplane {
 public:
  // The instance for one family, pinned under pin_root/iptables or pin_root/ip6tables.
  static Result<std::unique_ptr<BpfIptables>> open(const std::string& pin_root, Family f);
  // Detaches everything and removes the pins (uninstall).
  static Status purge(const std::string& pin_root, Family f);
  static const char* pin_dir(Family f);

  Status load(const Compiled& c) override;
  Status insert(const Compiled& c, const RuleInsert& ins) override;
  Status add_chain(const Compiled& c, uint32_t chain_id) override;
  Status remove(const Compiled& c, const RuleDelete& del) override;
  ipt_counter rule_counter(uint32_t rule_id) override;
  Status zero_counters(const Compiled& c, const std::vector<uint32_t>& rule_ids) override;
  std::vector<ipt_counter> rule_counters(uint32_t count) override;
  ipt_counter policy_counter(uint32_t chain_id) override;

  Status attach(const std::string& ifname);
  Status detach(const std::string& ifname);
  std::vector<std::string> attached() const;
  // Local addresses, interface addresses and interface patterns, as the host is now.
  Status refresh_host();
  int log_map_fd() const { return bpf_map__fd(skel_->maps.ipt_log); }
  int conns_map_fd() const { return bpf_map__fd(skel_->maps.ipt_conns); }
  int ct_map_fd() const { return bpf_map__fd(skel_->maps.ipt_ct); }
  std::array<uint64_t, IPT_STAT_MAX> stats() const;

 private:
  BpfIptables(Skeleton<iptables> skel, PinDir pins, Family f);
  Skeleton<iptables> skel_;
  PinDir pins_;
  MapLoader loader_;
  Family family_;
  uint32_t slot_ = 0;
  Compiled live_patterns_;  // only iface_patterns: what refresh_host needs of the live ruleset
  std::map<std::string, std::pair<Link, Link>> links_;
};

}  // namespace netaccel::ipt

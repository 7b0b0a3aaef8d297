// Writes a Compiled ruleset into the classifier's maps, into one of two id ranges (slots) so a
// new ruleset can be loaded beside the live one and switched to with one ipt_config update.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler.h"
#include "netaccel/core/map.h"
#include "netaccel/core/result.h"

namespace netaccel::ipt {

struct ClassifierMaps {
  int config = -1, chains = -1, rules = -1, buckets = -1, ifaces = -1, counters = -1, nth = -1;
};

// Ids of slot s start at s * (max / 2).
inline constexpr uint32_t kRulesPerSlot = IPT_MAX_RULES / 2;
inline constexpr uint32_t kChainsPerSlot = IPT_MAX_CHAINS / 2;

class MapLoader {
 public:
  explicit MapLoader(const ClassifierMaps& maps);
  // Loads c into `slot` (zeroing its counters and nth state) without making it live.
  Status load(const Compiled& c, uint32_t slot);
  // Applies an in-place insert (insert_rule) to the live `slot`: the rule first, then its link,
  // then a generation bump so connections re-classify.
  Status apply_insert(uint32_t slot, const Compiled& c, const RuleInsert& ins);
  // Unlinks a rule deleted in place (delete_rule) from the live `slot`, then bumps the generation.
  Status apply_delete(uint32_t slot, const Compiled& c, const RuleDelete& del);
  // Writes a chain added in place (add_chain) to the live `slot`: nothing jumps to it yet.
  Status apply_new_chain(uint32_t slot, const Compiled& c, uint32_t chain_id);
  // Makes `slot` live: one update of ipt_config.
  Status activate(uint32_t slot, const Compiled& c);
  // Removes the buckets a previous load of `slot` left (after the other slot went live); after
  // a daemon restart this process does not know them and scans the map.
  Status clear(uint32_t slot);
  // The live slot according to ipt_config (after a restart), and a fresh ipt_config's setup.
  Result<uint32_t> active_slot() const;
  Status init_config_if_new();
  Result<ipt_counter> policy_counter(uint32_t slot, uint32_t chain_id) const;
  // ipt_ifaces for the interfaces present now (name -> ifindex).
  Status set_interfaces(const Compiled& c, const std::map<std::string, int>& ifindex_by_name);
  // Summed per-CPU counters of a rule id (slot-relative) or, with policy_of_chain, a chain policy.
  Result<ipt_counter> counter(uint32_t slot, uint32_t rule_id) const;
  // Zeroes the counters of these rule ids (slot-relative), in batches.
  Status zero_counters(uint32_t slot, const std::vector<uint32_t>& rule_ids);
  // The same for rule ids 0 .. count-1 of the slot, read in batches.
  Result<std::vector<ipt_counter>> counters(uint32_t slot, uint32_t count) const;

 private:
  Result<ipt_counter> counter_at(uint32_t id) const;
  static ipt_rule slot_rule(uint32_t slot, const Compiled& c, uint32_t id);
  Status write_rule(uint32_t slot, const Compiled& c, uint32_t id);
  Status bump_generation();
  Map<uint32_t, ipt_config> config_;
  Map<uint32_t, ipt_chain> chains_;
  Map<uint32_t, ipt_rule> rules_;
  Map<ipt_key, ipt_bucket> buckets_;
  Map<uint32_t, ipt_iface> ifaces_;
  PerCpuMap<uint32_t, ipt_counter> counters_;
  Map<uint32_t, uint32_t> nth_;
  std::vector<ipt_key> loaded_keys_[2];
  bool known_[2] = {false, false};
};

}  // namespace netaccel::ipt

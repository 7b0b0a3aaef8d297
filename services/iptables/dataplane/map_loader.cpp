#include "map_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

namespace netaccel::ipt {

namespace {

uint32_t rule_base(uint32_t slot) { return slot * kRulesPerSlot; }
uint32_t chain_base(uint32_t slot) { return slot * kChainsPerSlot; }

size_t cpus() { return static_cast<size_t>(PerCpuMap<uint32_t, ipt_counter>::ncpus()); }

// One per-CPU counter entry (cpus() values) summed.
ipt_counter sum_cpus(const ipt_counter* per) {
  ipt_counter sum{};
  for (size_t cpu = 0; cpu < cpus(); ++cpu) sum.packets += per[cpu].packets, sum.bytes += per[cpu].bytes;
  return sum;
}

}  // namespace

MapLoader::MapLoader(const ClassifierMaps& m)
    : config_(m.config, "ipt_config"),
      chains_(m.chains, "ipt_chains"),
      rules_(m.rules, "ipt_rules"),
      buckets_(m.buckets, "ipt_buckets"),
      ifaces_(m.ifaces, "ipt_ifaces"),
      counters_(m.counters, "ipt_counters"),
      nth_(m.nth, "ipt_nth") {}

Status MapLoader::load(const Compiled& c, uint32_t slot) {
  slot &= 1;
  if (c.rules.size() > kRulesPerSlot) return make_error(Errc::unsupported, "more than " + std::to_string(kRulesPerSlot) + " rules");
  if (c.chains.size() > kChainsPerSlot) return make_error(Errc::unsupported, "more than " + std::to_string(kChainsPerSlot) + " chains");
  if (auto st = clear(slot); !st) return st;
  const uint32_t rb = rule_base(slot), cb = chain_base(slot);
  // Rules, with zeroed counters and nth state.
  std::vector<uint32_t> ids(c.rules.size());
  std::vector<ipt_rule> rules(c.rules.size());
  for (uint32_t i = 0; i < c.rules.size(); ++i) {
    ids[i] = rb + i;
    rules[i] = slot_rule(slot, c, i);
  }
  if (auto st = rules_.update_batch(ids, rules); !st) return st;
  if (auto st = counters_.update_batch_all(ids, ipt_counter{}); !st) return st;
  if (auto st = nth_.update_batch(ids, std::vector<uint32_t>(ids.size())); !st) return st;
  // Chains, with zeroed policy counters.
  std::vector<uint32_t> chain_ids(c.chains.size()), policy_ids(c.chains.size());
  for (uint32_t i = 0; i < c.chains.size(); ++i) {
    chain_ids[i] = cb + i;
    policy_ids[i] = IPT_MAX_RULES + cb + i;
  }
  if (auto st = chains_.update_batch(chain_ids, c.chains); !st) return st;
  if (auto st = counters_.update_batch_all(policy_ids, ipt_counter{}); !st) return st;
  // Buckets.
  std::vector<ipt_key> keys;
  std::vector<ipt_bucket> heads;
  keys.reserve(c.buckets.size());
  heads.reserve(c.buckets.size());
  for (const auto& [key, bucket] : c.buckets) {
    keys.push_back(key);
    keys.back().chain += cb;
    heads.push_back(ipt_bucket{bucket.first + rb});
  }
  if (auto st = buckets_.update_batch(keys, heads); !st) return st;
  loaded_keys_[slot] = std::move(keys);
  return {};
}

// A compiled rule with its ids moved into the slot's range.
ipt_rule MapLoader::slot_rule(uint32_t slot, const Compiled& c, uint32_t i) {
  const uint32_t rb = rule_base(slot), cb = chain_base(slot);
  ipt_rule r = c.rules[i];
  r.chain += cb;
  if (r.next != IPT_NONE) r.next += rb;
  if (r.verdict == IPT_V_JUMP || r.verdict == IPT_V_GOTO) r.arg += cb;
  if (r.verdict == IPT_V_LOG) r.arg += rb;
  return r;
}

Status MapLoader::write_rule(uint32_t slot, const Compiled& c, uint32_t i) {
  const ipt_rule r = slot_rule(slot, c, i);
  const uint32_t id = rule_base(slot) + i;
  return rules_.update(id, r);
}

Status MapLoader::bump_generation() {
  auto cfg = config_.lookup(0);
  if (!cfg) return errno_error(errno, "read ipt_config");
  cfg->generation++;
  return config_.update(0, *cfg);
}

Status MapLoader::apply_insert(uint32_t slot, const Compiled& c, const RuleInsert& ins) {
  slot &= 1;
  const uint32_t rb = rule_base(slot), cb = chain_base(slot);
  const uint32_t id = rb + ins.rule_id;
  if (auto st = counters_.update_all(id, ipt_counter{}); !st) return st;
  if (auto st = nth_.update(id, 0); !st) return st;
  if (auto st = write_rule(slot, c, ins.rule_id); !st) return st;
  if (ins.chain_changed) {
    if (auto st = chains_.update(cb + ins.chain_id, c.chains[ins.chain_id]); !st) return st;
  }
  if (ins.linked) {
    if (ins.pred) {
      if (auto st = write_rule(slot, c, *ins.pred); !st) return st;
    } else {
      ipt_key k = ins.key;
      k.chain += cb;
      if (auto st = buckets_.update(k, ipt_bucket{id}); !st) return st;
      loaded_keys_[slot].push_back(k);
    }
  }
  return bump_generation();
}

Status MapLoader::apply_delete(uint32_t slot, const Compiled& c, const RuleDelete& del) {
  slot &= 1;
  if (del.key) {
    if (del.pred) {
      if (auto st = write_rule(slot, c, *del.pred); !st) return st;
    } else {
      ipt_key k = *del.key;
      k.chain += chain_base(slot);
      if (del.head == IPT_NONE) {
        if (auto st = buckets_.erase(k); !st) return st;
      } else {
        if (auto st = buckets_.update(k, ipt_bucket{del.head + rule_base(slot)}); !st) return st;
      }
    }
  }
  return bump_generation();
}

Status MapLoader::apply_new_chain(uint32_t slot, const Compiled& c, uint32_t chain_id) {
  slot &= 1;
  if (chain_id >= kChainsPerSlot) return make_error(Errc::unsupported, "more than " + std::to_string(kChainsPerSlot) + " chains");
  const uint32_t id = chain_base(slot) + chain_id;
  if (auto st = counters_.update_all(IPT_MAX_RULES + id, ipt_counter{}); !st) return st;
  return chains_.update(id, c.chains[chain_id]);
}

Status MapLoader::activate(uint32_t slot, const Compiled& c) {
  slot &= 1;
  auto cfg = config_.lookup(0);
  if (!cfg) return errno_error(errno, "read ipt_config");
  for (size_t i = 0; i < c.hook_chain.size(); ++i)
    cfg->hook_chain[slot][i] = c.hook_chain[i] == IPT_NONE ? IPT_NONE : c.hook_chain[i] + chain_base(slot);
  cfg->active = slot;
  cfg->generation++;
  return config_.update(0, *cfg);
}

Status MapLoader::clear(uint32_t slot) {
  slot &= 1;
  if (known_[slot]) {
    buckets_.erase_batch(loaded_keys_[slot]);
  } else {
    std::vector<ipt_key> doomed;
    for (const ipt_key& k : buckets_.keys())
      if (k.chain / kChainsPerSlot == slot) doomed.push_back(k);
    buckets_.erase_batch(doomed);
  }
  loaded_keys_[slot].clear();
  known_[slot] = true;
  return {};
}

Result<uint32_t> MapLoader::active_slot() const {
  auto cfg = config_.lookup(0);
  if (!cfg) return errno_error(errno, "read ipt_config");
  return cfg->active & 1;
}

Status MapLoader::init_config_if_new() {
  auto cfg = config_.lookup(0);
  if (!cfg) return errno_error(errno, "read ipt_config");
  if (cfg->generation != 0) return {};  // adopted from a previous run
  for (auto& slot : cfg->hook_chain)
    for (auto& c : slot) c = IPT_NONE;
  return config_.update(0, *cfg);
}

Result<ipt_counter> MapLoader::policy_counter(uint32_t slot, uint32_t chain_id) const {
  return counter_at(IPT_MAX_RULES + chain_base(slot & 1) + chain_id);
}

Status MapLoader::set_interfaces(const Compiled& c, const std::map<std::string, int>& ifindex_by_name) {
  for (const auto& [name, ifindex] : ifindex_by_name) {
    if (auto st = ifaces_.update(static_cast<uint32_t>(ifindex), iface_entry(c, name)); !st)
      return Error{st.error().code, "interface " + name + ": " + st.error().message};
  }
  return {};
}

Result<ipt_counter> MapLoader::counter(uint32_t slot, uint32_t rule_id) const {
  return counter_at(rule_base(slot & 1) + rule_id);
}

Status MapLoader::zero_counters(uint32_t slot, const std::vector<uint32_t>& rule_ids) {
  std::vector<uint32_t> keys(rule_ids.size());
  for (size_t i = 0; i < rule_ids.size(); ++i) keys[i] = rule_base(slot & 1) + rule_ids[i];
  return counters_.update_batch_all(keys, ipt_counter{});
}

Result<std::vector<ipt_counter>> MapLoader::counters(uint32_t slot, uint32_t count) const {
  auto per = counters_.lookup_range(rule_base(slot & 1), count);
  if (!per) return per.error();
  std::vector<ipt_counter> sums(count);
  for (uint32_t i = 0; i < count; ++i) sums[i] = sum_cpus(&(*per)[i * cpus()]);
  return sums;
}

Result<ipt_counter> MapLoader::counter_at(uint32_t id) const {
  auto per = counters_.lookup(id);
  if (!per) return errno_error(errno, "read counters");
  return sum_cpus(per->data());
}

}  // namespace netaccel::ipt

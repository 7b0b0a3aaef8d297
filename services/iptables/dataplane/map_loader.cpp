#include "map_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <vector>

namespace netaccel::ipt {

namespace {

uint32_t rule_base(uint32_t slot) { return slot * kRulesPerSlot; }
uint32_t chain_base(uint32_t slot) { return slot * kChainsPerSlot; }

Status update(int fd, const void* key, const void* value, const std::string& what) {
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) < 0) return errno_error(errno, what);
  return {};
}

// Writes keys[i] -> values[i] for every i: a whole ruleset is hundreds of thousands of entries,
// and one syscall per batch instead of per entry is most of a full load's time.
template <typename K, typename V>
Status update_all(int fd, const std::vector<K>& keys, const std::vector<V>& values, size_t values_per_key, const std::string& what) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (size_t done = 0; done < keys.size();) {
    __u32 n = static_cast<__u32>(keys.size() - done);
    if (bpf_map_update_batch(fd, keys.data() + done, values.data() + done * values_per_key, &n, &opts) < 0) return errno_error(errno, what);
    if (n == 0) return errno_error(EIO, what + ": the kernel took no entry");
    done += n;
  }
  return {};
}

// Deletes every key (those already gone are skipped).
template <typename K>
void delete_all(int fd, const std::vector<K>& keys) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (size_t done = 0; done < keys.size();) {
    __u32 n = static_cast<__u32>(keys.size() - done);
    int rc = bpf_map_delete_batch(fd, keys.data() + done, &n, &opts);
    done += n;
    if (rc < 0) ++done;  // this one failed (ENOENT): past it
  }
}

size_t cpus() {
  int n = libbpf_num_possible_cpus();
  return n > 0 ? static_cast<size_t>(n) : 1;
}

// Zero packets and bytes on every CPU for these counter ids.
Status zero_all(int fd, const std::vector<uint32_t>& ids, const std::string& what) {
  return update_all(fd, ids, std::vector<ipt_counter>(ids.size() * cpus()), cpus(), what);
}

// One per-CPU counter entry (cpus() values) summed.
ipt_counter sum_cpus(const ipt_counter* per) {
  ipt_counter sum{};
  for (size_t cpu = 0; cpu < cpus(); ++cpu) sum.packets += per[cpu].packets, sum.bytes += per[cpu].bytes;
  return sum;
}

}  // namespace

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
  if (auto st = update_all(m_.rules, ids, rules, 1, "write rules"); !st) return st;
  if (auto st = zero_all(m_.counters, ids, "zero counters"); !st) return st;
  if (auto st = update_all(m_.nth, ids, std::vector<uint32_t>(ids.size()), 1, "zero nth state"); !st) return st;
  // Chains, with zeroed policy counters.
  std::vector<uint32_t> chain_ids(c.chains.size()), policy_ids(c.chains.size());
  for (uint32_t i = 0; i < c.chains.size(); ++i) {
    chain_ids[i] = cb + i;
    policy_ids[i] = IPT_MAX_RULES + cb + i;
  }
  if (auto st = update_all(m_.chains, chain_ids, c.chains, 1, "write chains"); !st) return st;
  if (auto st = zero_all(m_.counters, policy_ids, "zero policy counters"); !st) return st;
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
  if (auto st = update_all(m_.buckets, keys, heads, 1, "write buckets"); !st) return st;
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
  return update(m_.rules, &id, &r, "write rule " + std::to_string(i));
}

Status MapLoader::bump_generation() {
  const uint32_t zero = 0;
  ipt_config cfg{};
  if (bpf_map_lookup_elem(m_.config, &zero, &cfg) < 0) return errno_error(errno, "read ipt_config");
  cfg.generation++;
  return update(m_.config, &zero, &cfg, "bump ipt_config generation");
}

Status MapLoader::apply_insert(uint32_t slot, const Compiled& c, const RuleInsert& ins) {
  slot &= 1;
  const uint32_t rb = rule_base(slot), cb = chain_base(slot);
  const std::vector<ipt_counter> zero_counters(cpus());
  const uint32_t zero = 0, id = rb + ins.rule_id;
  if (auto st = update(m_.counters, &id, zero_counters.data(), "zero counters"); !st) return st;
  if (auto st = update(m_.nth, &id, &zero, "zero nth state"); !st) return st;
  if (auto st = write_rule(slot, c, ins.rule_id); !st) return st;
  if (ins.chain_changed) {
    uint32_t chain = cb + ins.chain_id;
    if (auto st = update(m_.chains, &chain, &c.chains[ins.chain_id], "write chain"); !st) return st;
  }
  if (ins.linked) {
    if (ins.pred) {
      if (auto st = write_rule(slot, c, *ins.pred); !st) return st;
    } else {
      ipt_key k = ins.key;
      k.chain += cb;
      ipt_bucket b{id};
      if (auto st = update(m_.buckets, &k, &b, "write bucket"); !st) return st;
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
        if (bpf_map_delete_elem(m_.buckets, &k) < 0 && errno != ENOENT) return errno_error(errno, "delete bucket");
      } else {
        ipt_bucket b{del.head + rule_base(slot)};
        if (auto st = update(m_.buckets, &k, &b, "write bucket"); !st) return st;
      }
    }
  }
  return bump_generation();
}

Status MapLoader::apply_new_chain(uint32_t slot, const Compiled& c, uint32_t chain_id) {
  slot &= 1;
  if (chain_id >= kChainsPerSlot) return make_error(Errc::unsupported, "more than " + std::to_string(kChainsPerSlot) + " chains");
  const std::vector<ipt_counter> zero_counters(cpus());
  uint32_t id = chain_base(slot) + chain_id, pid = IPT_MAX_RULES + id;
  if (auto st = update(m_.counters, &pid, zero_counters.data(), "zero policy counters"); !st) return st;
  return update(m_.chains, &id, &c.chains[chain_id], "write chain " + c.chain_names[chain_id]);
}

Status MapLoader::activate(uint32_t slot, const Compiled& c) {
  slot &= 1;
  const uint32_t zero = 0;
  ipt_config cfg{};
  if (bpf_map_lookup_elem(m_.config, &zero, &cfg) < 0) return errno_error(errno, "read ipt_config");
  for (size_t i = 0; i < c.hook_chain.size(); ++i)
    cfg.hook_chain[slot][i] = c.hook_chain[i] == IPT_NONE ? IPT_NONE : c.hook_chain[i] + chain_base(slot);
  cfg.active = slot;
  cfg.generation++;
  return update(m_.config, &zero, &cfg, "switch ipt_config");
}

Status MapLoader::clear(uint32_t slot) {
  slot &= 1;
  if (known_[slot]) {
    delete_all(m_.buckets, loaded_keys_[slot]);
  } else {
    std::vector<ipt_key> doomed;
    ipt_key k{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(m_.buckets, prev, &next) == 0) {
      if (next.chain / kChainsPerSlot == slot) doomed.push_back(next);
      k = next;
      prev = &k;
    }
    delete_all(m_.buckets, doomed);
  }
  loaded_keys_[slot].clear();
  known_[slot] = true;
  return {};
}

Result<uint32_t> MapLoader::active_slot() const {
  const uint32_t zero = 0;
  ipt_config cfg{};
  if (bpf_map_lookup_elem(m_.config, &zero, &cfg) < 0) return errno_error(errno, "read ipt_config");
  return cfg.active & 1;
}

Status MapLoader::init_config_if_new() {
  const uint32_t zero = 0;
  ipt_config cfg{};
  if (bpf_map_lookup_elem(m_.config, &zero, &cfg) < 0) return errno_error(errno, "read ipt_config");
  if (cfg.generation != 0) return {};  // adopted from a previous run
  for (auto& slot : cfg.hook_chain)
    for (auto& c : slot) c = IPT_NONE;
  return update(m_.config, &zero, &cfg, "initialise ipt_config");
}

Result<ipt_counter> MapLoader::policy_counter(uint32_t slot, uint32_t chain_id) const {
  return counter_at(IPT_MAX_RULES + chain_base(slot & 1) + chain_id);
}

Status MapLoader::set_interfaces(const Compiled& c, const std::map<std::string, int>& ifindex_by_name) {
  for (const auto& [name, ifindex] : ifindex_by_name) {
    uint32_t key = static_cast<uint32_t>(ifindex);
    ipt_iface e = iface_entry(c, name);
    if (auto st = update(m_.ifaces, &key, &e, "interface " + name); !st) return st;
  }
  return {};
}

Result<ipt_counter> MapLoader::counter(uint32_t slot, uint32_t rule_id) const {
  return counter_at(rule_base(slot & 1) + rule_id);
}

Status MapLoader::zero_counters(uint32_t slot, const std::vector<uint32_t>& rule_ids) {
  std::vector<uint32_t> keys(rule_ids.size());
  for (size_t i = 0; i < rule_ids.size(); ++i) keys[i] = rule_base(slot & 1) + rule_ids[i];
  return zero_all(m_.counters, keys, "zero counters");
}

Result<std::vector<ipt_counter>> MapLoader::counters(uint32_t slot, uint32_t count) const {
  const size_t ncpu = cpus();
  const uint32_t first = rule_base(slot & 1);
  std::vector<uint32_t> keys(count);
  std::vector<ipt_counter> per(static_cast<size_t>(count) * ncpu);
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  // An array's batch token is the last index read: start just before the slot's first rule.
  uint32_t token = first - 1, next = 0;
  for (uint32_t done = 0; done < count;) {
    __u32 n = count - done;
    void* in = first + done == 0 ? nullptr : &token;
    if (bpf_map_lookup_batch(m_.counters, in, &next, keys.data() + done, per.data() + done * ncpu, &n, &opts) < 0 && errno != ENOENT)
      return errno_error(errno, "read counters");
    if (n == 0) return errno_error(EIO, "read counters: the kernel gave no entry");
    done += n;
    token = next;
  }
  std::vector<ipt_counter> sums(count);
  for (uint32_t i = 0; i < count; ++i) sums[i] = sum_cpus(&per[i * ncpu]);
  return sums;
}

Result<ipt_counter> MapLoader::counter_at(uint32_t id) const {
  std::vector<ipt_counter> per(cpus());
  if (bpf_map_lookup_elem(m_.counters, &id, per.data()) < 0) return errno_error(errno, "read counters");
  return sum_cpus(per.data());
}

}  // namespace netaccel::ipt

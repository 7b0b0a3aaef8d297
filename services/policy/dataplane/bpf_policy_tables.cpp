#include "bpf_policy_tables.h"

#include <bpf/bpf.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "netaccel/core/log.h"
#include "policy_skeleton.h"

namespace netaccel::policy {

namespace {

template <typename K, typename V>
bool same_value(const V& a, const V& b) {
  return std::memcmp(&a, &b, sizeof(V)) == 0;
}

bool same_rules(const RuleKeys& a, const RuleKeys& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) { return std::memcmp(&x, &y, sizeof(x)) == 0; });
}

// One table of one slot from `from` to `to`: deletions, then additions and changes.
template <typename K, typename V, typename C>
Status write_table(int fd, const char* name, int slot, const std::map<K, V, C>& from, const std::map<K, V, C>& to) {
  for (const auto& [k, v] : from)
    if (!to.count(k) && bpf_map_delete_elem(fd, &k) && errno != ENOENT)
      return errno_error(errno, std::string("delete from ") + name + " slot " + std::to_string(slot));
  for (const auto& [k, v] : to) {
    auto old = from.find(k);
    if (old != from.end() && same_value<K, V>(old->second, v)) continue;
    if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
      return errno_error(errno, std::string("update ") + name + " slot " + std::to_string(slot) +
                                    (errno == E2BIG || errno == ENOSPC ? " (the map is full)" : ""));
  }
  return {};
}

template <typename M>
bool same_map(const M& a, const M& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (std::memcmp(&i->first, &j->first, sizeof(i->first)) != 0 || std::memcmp(&i->second, &j->second, sizeof(i->second)) != 0) return false;
  return true;
}

}  // namespace

PolicyMapFds map_fds(const struct ::policy* s) {
  PolicyMapFds f;
  f.version = bpf_map__fd(s->maps.pol_version);
  f.ipcache[0] = bpf_map__fd(s->maps.pol_ipcache_0);
  f.ipcache[1] = bpf_map__fd(s->maps.pol_ipcache_1);
  f.cidrs[0] = bpf_map__fd(s->maps.pol_cidrs_0);
  f.cidrs[1] = bpf_map__fd(s->maps.pol_cidrs_1);
  f.endpoints[0] = bpf_map__fd(s->maps.pol_endpoints_0);
  f.endpoints[1] = bpf_map__fd(s->maps.pol_endpoints_1);
  f.policy[0] = bpf_map__fd(s->maps.pol_policy_0);
  f.policy[1] = bpf_map__fd(s->maps.pol_policy_1);
  return f;
}

Status wait_for_readers() {
  // MEMBARRIER_CMD_GLOBAL is synchronize_rcu(): TC programs run inside RCU read-side sections.
  if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0) return {};
  if (errno != EINVAL) return errno_error(errno, "membarrier (waiting for packets that read the old policy)");
  // nohz_full kernels refuse the command. A TC program runs for microseconds and cannot sleep;
  // this is far beyond any run, and said once in the journal.
  static bool said = false;
  if (!said) log::warn("membarrier(MEMBARRIER_CMD_GLOBAL) refused (nohz_full?): policy changes wait 50 ms instead of an RCU grace period");
  said = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return {};
}

uint32_t BpfPolicyTables::active_slot() const {
  uint32_t zero = 0;
  pol_version v{};
  if (bpf_map_lookup_elem(fds_.version, &zero, &v)) return 0;
  return v.slot & 1;
}

Result<UniqueFd> BpfPolicyTables::make_rules_map(uint32_t slot, const RuleKeys& keys) const {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
  const std::string name = "pol_rules_" + std::to_string(slot);
  int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name.c_str(), sizeof(pol_rule_key), sizeof(pol_rule_val), POL_MAX_ENTRIES, &opts);
  if (fd < 0) return errno_error(errno, "create the policy map of endpoint slot " + std::to_string(slot));
  UniqueFd owned(fd);
  if (keys.size() > POL_MAX_ENTRIES)
    return make_error(Errc::invalid_argument, "endpoint slot " + std::to_string(slot) + " needs " + std::to_string(keys.size()) +
                                                  " policy keys, its map holds " + std::to_string(POL_MAX_ENTRIES));
  const pol_rule_val v{};
  for (const auto& k : keys)
    if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) return errno_error(errno, "fill the policy map of endpoint slot " + std::to_string(slot));
  return owned;
}

Status BpfPolicyTables::write_slot(int slot, const PolicyTables& from, const PolicyTables& to, std::map<uint32_t, UniqueFd>& inner) {
  if (auto st = write_table(fds_.ipcache[slot], "the ipcache", slot, from.ipcache, to.ipcache); !st) return st;
  if (auto st = write_table(fds_.cidrs[slot], "the ipBlock ranges", slot, from.cidrs, to.cidrs); !st) return st;
  for (const auto& [ep, keys] : to.rules) {
    auto old = from.rules.find(ep);
    if (old != from.rules.end() && same_rules(old->second, keys)) continue;
    auto it = inner.find(ep);
    if (it == inner.end()) {  // one new map per endpoint, shared by both slots
      auto m = make_rules_map(ep, keys);
      if (!m) return m.error();
      it = inner.emplace(ep, std::move(*m)).first;
    }
    uint32_t index = ep - 1;
    int fd = it->second.get();
    if (bpf_map_update_elem(fds_.policy[slot], &index, &fd, BPF_ANY))
      return errno_error(errno, "set the policy map of endpoint slot " + std::to_string(ep));
  }
  for (const auto& [ep, _] : from.rules) {
    uint32_t index = ep - 1;
    // E2BIG: an index past the array was never set (the undo of a refused change).
    if (!to.rules.count(ep) && bpf_map_delete_elem(fds_.policy[slot], &index) && errno != ENOENT && errno != E2BIG)
      return errno_error(errno, "clear the policy map of endpoint slot " + std::to_string(ep));
  }
  // Endpoints last: a veth starts to be enforced only once its policy is in place.
  return write_table(fds_.endpoints[slot], "the endpoints", slot, from.endpoints, to.endpoints);
}

namespace {

// `small` is `big` less some entries (keys and values of the rest unchanged).
template <typename M>
bool subset(const M& small, const M& big) {
  for (const auto& [k, v] : small) {
    auto it = big.find(k);
    if (it == big.end() || std::memcmp(&it->second, &v, sizeof(v)) != 0) return false;
  }
  return true;
}

// Whether `from` -> `to` only adds (or only removes) pods whose identities are already known
// to every policy map: new ipcache entries, new endpoints with their own new policy maps,
// nothing else. Each such entry can be written on its own: before it a packet sees the pod as
// absent, after it as present, and any order of the entries below gives every packet one of
// the two verdicts wherever both states agree (docs/policy.md).
bool pods_only(const PolicyTables& from, const PolicyTables& to, bool* adding) {
  if (!same_map(from.cidrs, to.cidrs)) return false;
  const bool add = to.ipcache.size() >= from.ipcache.size();
  const PolicyTables& small = add ? from : to;
  const PolicyTables& big = add ? to : from;
  if (small.ipcache.size() == big.ipcache.size() && small.endpoints.size() == big.endpoints.size()) return false;  // nothing to do in place
  if (!subset(small.ipcache, big.ipcache) || !subset(small.endpoints, big.endpoints)) return false;
  // Every policy map of the smaller state stays as it is; the bigger one's extra maps belong
  // to its extra endpoints.
  for (const auto& [slot, keys] : small.rules) {
    auto it = big.rules.find(slot);
    if (it == big.rules.end() || !same_rules(it->second, keys)) return false;
  }
  for (const auto& [slot, keys] : big.rules) {
    if (small.rules.count(slot)) continue;
    bool new_endpoint = false;
    for (const auto& [ifindex, ep] : big.endpoints) new_endpoint |= ep.endpoint == slot && !small.endpoints.count(ifindex);
    if (!new_endpoint) return false;
  }
  // An endpoint that stays must keep its slot's old identity: identities of kept addresses
  // are checked by subset() above.
  *adding = add;
  return true;
}

}  // namespace

// Adding: the pod's policy maps, its endpoint entries, then its addresses; removing the other
// way round. Every entry goes to both slots.
Status BpfPolicyTables::write_in_place(const PolicyTables& next, bool adding) {
  std::map<uint32_t, UniqueFd> inner;
  for (int step = 0; step < 3; ++step) {
    const int table = adding ? step : 2 - step;  // 0 rules, 1 endpoints, 2 addresses
    for (int slot = 0; slot < 2; ++slot) {
      Status st;
      if (table == 0) {
        PolicyTables from = cur_, to = cur_;
        to.rules = next.rules;
        st = adding ? write_slot(slot, from, to, inner) : Status{};
        if (!adding)
          for (const auto& [ep, _] : cur_.rules) {
            uint32_t index = ep - 1;
            if (!next.rules.count(ep) && bpf_map_delete_elem(fds_.policy[slot], &index) && errno != ENOENT)
              st = errno_error(errno, "clear the policy map of endpoint slot " + std::to_string(ep));
          }
      } else if (table == 1) {
        st = write_table(fds_.endpoints[slot], "the endpoints", slot, cur_.endpoints, next.endpoints);
      } else {
        st = write_table(fds_.ipcache[slot], "the ipcache", slot, cur_.ipcache, next.ipcache);
      }
      if (!st) {
        dirty_[0] = dirty_[1] = true;  // the next install rewrites both slots whole
        return st;
      }
    }
  }
  cur_ = next;
  ++in_place_;
  return {};
}

Status BpfPolicyTables::add_pod(const PodEntries& pod) {
  if (dirty_[0] || dirty_[1]) return make_error(Errc::already_exists, "the state slots are to be rewritten whole");
  for (const auto& [k, _] : pod.addresses)
    if (cur_.ipcache.count(k)) return make_error(Errc::already_exists, "address " + to_string(prefix_of(k)) + " is in the ipcache");
  if (pod.ifindex) {
    if (cur_.endpoints.count(pod.ifindex)) return make_error(Errc::already_exists, "ifindex " + std::to_string(pod.ifindex) + " is an endpoint");
    if (cur_.rules.count(pod.endpoint.endpoint)) return make_error(Errc::already_exists, "slot " + std::to_string(pod.endpoint.endpoint) + " has a policy map");
    for (const auto& [_, ep] : cur_.endpoints)
      if (ep.endpoint == pod.endpoint.endpoint) return make_error(Errc::already_exists, "slot " + std::to_string(pod.endpoint.endpoint) + " is taken");
  }
  // The order of write_in_place: policy map, endpoint, addresses, each to both slots. Until
  // the last address is in, a packet sees the pod as absent or as present, never half.
  auto fail = [&](Error e) {
    dirty_[0] = dirty_[1] = true;
    return Status(std::move(e));
  };
  if (pod.ifindex && pod.rules) {
    const uint32_t ep = pod.endpoint.endpoint;
    if (auto spare = spares_.find(ep); spare != spares_.end()) {
      // Nothing reads this map until the endpoint entry below names its slot.
      const pol_rule_val v{};
      for (const auto& k : *pod.rules)
        if (bpf_map_update_elem(spare->second.get(), &k, &v, BPF_ANY))
          return fail(errno_error(errno, "fill the policy map of endpoint slot " + std::to_string(ep)));
    } else {
      auto m = make_rules_map(ep, *pod.rules);
      if (!m) return m.error();  // nothing written yet
      uint32_t index = ep - 1;
      int fd = m->get();
      for (int slot = 0; slot < 2; ++slot)
        if (bpf_map_update_elem(fds_.policy[slot], &index, &fd, BPF_ANY))
          return fail(errno_error(errno, "set the policy map of endpoint slot " + std::to_string(ep)));
    }
  }
  if (pod.ifindex)
    for (int slot = 0; slot < 2; ++slot)
      if (bpf_map_update_elem(fds_.endpoints[slot], &pod.ifindex, &pod.endpoint, BPF_ANY))
        return fail(errno_error(errno, "update the endpoints slot " + std::to_string(slot)));
  for (const auto& [k, v] : pod.addresses)
    for (int slot = 0; slot < 2; ++slot)
      if (bpf_map_update_elem(fds_.ipcache[slot], &k, &v, BPF_ANY))
        return fail(errno_error(errno, "update the ipcache slot " + std::to_string(slot) + (errno == E2BIG || errno == ENOSPC ? " (the map is full)" : "")));
  for (const auto& [k, v] : pod.addresses) cur_.ipcache.emplace(k, v);
  if (pod.ifindex) spares_.erase(pod.endpoint.endpoint);  // in use now (an empty map judges as none)
  if (pod.ifindex) {
    cur_.endpoints.emplace(pod.ifindex, pod.endpoint);
    if (pod.rules) cur_.rules.emplace(pod.endpoint.endpoint, *pod.rules);
  }
  ++in_place_;
  return {};
}

bool BpfPolicyTables::slot_free(uint32_t slot) const {
  if (slot == 0 || slot > POL_MAX_ENDPOINTS || cur_.rules.count(slot)) return false;
  for (const auto& [_, ep] : cur_.endpoints)
    if (ep.endpoint == slot) return false;
  return true;
}

Status BpfPolicyTables::prepare_slots(const std::set<uint32_t>& slots) {
  if (dirty_[0] || dirty_[1]) return {};  // the next install rewrites everything first
  std::vector<uint32_t> indexes, fds;
  std::map<uint32_t, UniqueFd> made;
  for (uint32_t slot : slots) {
    if (spares_.count(slot) || !slot_free(slot)) continue;
    auto m = make_rules_map(slot, {});
    if (!m) return m.error();
    indexes.push_back(slot - 1);
    fds.push_back(static_cast<uint32_t>(m->get()));
    made.emplace(slot, std::move(*m));
  }
  if (made.empty()) return {};
  // One batch per array: one grace period each, however many slots.
  for (int s = 0; s < 2; ++s) {
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
    __u32 count = static_cast<__u32>(indexes.size());
    if (bpf_map_update_batch(fds_.policy[s], indexes.data(), fds.data(), &count, &opts) == 0) continue;
    for (size_t i = 0; i < indexes.size(); ++i)  // a kernel without batches for this map type
      if (bpf_map_update_elem(fds_.policy[s], &indexes[i], &fds[i], BPF_ANY)) {
        dirty_[0] = dirty_[1] = true;  // empty maps judge as none; the next install resyncs
        return errno_error(errno, "set an empty policy map for endpoint slot " + std::to_string(indexes[i] + 1));
      }
  }
  for (auto& [slot, fd] : made) spares_.emplace(slot, std::move(fd));
  return {};
}

Status BpfPolicyTables::write_or_resync(int slot, const PolicyTables& from, const PolicyTables& to, std::map<uint32_t, UniqueFd>& inner) {
  if (!dirty_[slot]) return write_slot(slot, from, to, inner);
  if (auto st = resync_slot(slot, to, inner); !st) return st;
  dirty_[slot] = false;
  return {};
}

Status BpfPolicyTables::install(const PolicyTables& next) {
  const bool resyncing = dirty_[0] || dirty_[1];
  Status st = install_tables(next);
  // A resync deletes every slot the state does not use, and a refused change's undo may
  // have taken a spare from one array only; otherwise a slot the new state uses got its own
  // map, and the spare one is gone from the arrays.
  if (!st || resyncing || dirty_[0] || dirty_[1]) spares_.clear();
  else std::erase_if(spares_, [&](const auto& kv) { return !slot_free(kv.first); });
  return st;
}

Status BpfPolicyTables::install_tables(const PolicyTables& next) {
  // Nothing differs (a resync after the change already went in): no writes, no flip.
  if (!dirty_[0] && !dirty_[1] && same_map(cur_.ipcache, next.ipcache) && same_map(cur_.cidrs, next.cidrs) &&
      same_map(cur_.endpoints, next.endpoints) && cur_.rules.size() == next.rules.size() &&
      std::equal(cur_.rules.begin(), cur_.rules.end(), next.rules.begin(),
                 [](const auto& a, const auto& b) { return a.first == b.first && same_rules(a.second, b.second); })) {
    ++unchanged_;
    return {};
  }
  bool adding = false;
  if (!dirty_[0] && !dirty_[1] && pods_only(cur_, next, &adding)) return write_in_place(next, adding);
  const int active = static_cast<int>(active_slot()), spare = 1 - active;
  std::map<uint32_t, UniqueFd> inner;
  if (auto st = write_or_resync(spare, cur_, next, inner); !st) {
    // Nothing reads the spare slot: put it back as it was and report the first error.
    std::map<uint32_t, UniqueFd> undo;
    if (dirty_[spare] || !write_slot(spare, next, cur_, undo)) dirty_[spare] = true;  // rebuilt before its next use
    return st;
  }
  uint32_t zero = 0;
  pol_version v{static_cast<uint32_t>(spare)};
  if (bpf_map_update_elem(fds_.version, &zero, &v, BPF_ANY)) return errno_error(errno, "flip the policy state slot");
  ++flips_;
  if (auto st = wait_for_readers(); !st) return st;
  // The old slot is read by nobody now; the same change brings it level. Should that fail,
  // the change is still in force (the data path reads the other slot): the old slot is
  // rebuilt from the kernel's own keys before it is written next.
  PolicyTables prev = std::move(cur_);
  cur_ = next;
  if (auto st = write_or_resync(active, prev, next, inner); !st) {
    log::error("policy: bringing state slot " + std::to_string(active) + " level: " + st.error().what() + "; it is rebuilt before its next use");
    dirty_[active] = true;
  }
  return {};
}

namespace {

// Every key the kernel holds in a hash or trie map.
template <typename K>
std::vector<K> kernel_keys(int fd) {
  std::vector<K> out;
  K cur{}, next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    out.push_back(next);
    cur = next;
    prev = &cur;
  }
  return out;
}

template <typename K, typename V, typename C>
Status resync_table(int fd, const char* name, const std::map<K, V, C>& want) {
  for (const auto& k : kernel_keys<K>(fd))
    if (!want.count(k)) bpf_map_delete_elem(fd, &k);
  return write_table(fd, name, -1, std::map<K, V, C>{}, want);
}

}  // namespace

// Makes a slot hold exactly `want`, whatever it held: every key the kernel has that `want`
// lacks goes, every entry of `want` is written.
Status BpfPolicyTables::resync_slot(int slot, const PolicyTables& want, std::map<uint32_t, UniqueFd>& inner) {
  if (auto st = resync_table(fds_.ipcache[slot], "the ipcache", want.ipcache); !st) return st;
  if (auto st = resync_table(fds_.cidrs[slot], "the ipBlock ranges", want.cidrs); !st) return st;
  for (uint32_t index = 0; index < POL_MAX_ENDPOINTS; ++index)
    if (!want.rules.count(index + 1)) bpf_map_delete_elem(fds_.policy[slot], &index);
  PolicyTables no_rules;
  no_rules.ipcache = want.ipcache;
  no_rules.cidrs = want.cidrs;
  no_rules.endpoints = want.endpoints;
  no_rules.rules.clear();
  // Every endpoint's trie is written anew (write_slot from "no rules"); endpoints last.
  if (auto st = write_slot(slot, no_rules, want, inner); !st) return st;
  return resync_table(fds_.endpoints[slot], "the endpoints", want.endpoints);
}

void BpfPolicyTables::adopt_unknown_state() { dirty_[0] = dirty_[1] = true; }

}  // namespace netaccel::policy

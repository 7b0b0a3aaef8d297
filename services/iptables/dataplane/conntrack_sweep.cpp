#include "conntrack_sweep.h"

#include <bpf/bpf.h>

#include <unordered_set>
#include <vector>

namespace netaccel::ipt {

Result<SweepResult> sweep_conntrack(int conns_fd, int ct_fd, const CtTimeouts& t, uint64_t now_ns) {
  SweepResult res;
  std::unordered_set<uint64_t> live, expired;
  uint64_t key = 0, next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(conns_fd, prev, &next) == 0) {
    ipt_conn c{};
    if (bpf_map_lookup_elem(conns_fd, &next, &c) == 0) {
      ++res.connections;
      (ct_expired(t, c, now_ns) ? expired : live).insert(next);
    }
    key = next;
    prev = &key;
  }
  // Keys first, then their connections: a packet never finds a key whose connection is gone
  // for longer than the sweep takes.
  std::vector<ipt_ct_key> doomed;
  ipt_ct_key k{}, kn{};
  const void* kprev = nullptr;
  while (bpf_map_get_next_key(ct_fd, kprev, &kn) == 0) {
    ipt_ct_entry e{};
    if (bpf_map_lookup_elem(ct_fd, &kn, &e) == 0 && !live.count(e.conn)) {
      // Expired, or unknown: gone (an orphan) unless it was created since the scan above.
      ipt_conn c{};
      if (expired.count(e.conn) || bpf_map_lookup_elem(conns_fd, &e.conn, &c) != 0) doomed.push_back(kn);
    }
    k = kn;
    kprev = &k;
  }
  for (const auto& d : doomed)
    if (bpf_map_delete_elem(ct_fd, &d) == 0) ++res.keys_removed;
  for (uint64_t id : expired)
    if (bpf_map_delete_elem(conns_fd, &id) == 0) ++res.expired;
  return res;
}

}  // namespace netaccel::ipt

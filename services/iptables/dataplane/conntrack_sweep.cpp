#include "conntrack_sweep.h"

#include "netaccel/core/map.h"

#include <unordered_set>
#include <vector>

namespace netaccel::ipt {

Result<SweepResult> sweep_conntrack(int conns_fd, int ct_fd, const CtTimeouts& t, uint64_t now_ns) {
  const Map<uint64_t, ipt_conn> conns(conns_fd, "ipt_conns");
  const Map<ipt_ct_key, ipt_ct_entry> ct(ct_fd, "ipt_ct");
  SweepResult res;
  std::unordered_set<uint64_t> live, expired;
  for (uint64_t id : conns.keys())
    if (auto c = conns.lookup(id)) {
      ++res.connections;
      (ct_expired(t, *c, now_ns) ? expired : live).insert(id);
    }
  // Keys first, then their connections: a packet never finds a key whose connection is gone
  // for longer than the sweep takes.
  std::vector<ipt_ct_key> doomed;
  for (const ipt_ct_key& k : ct.keys()) {
    auto e = ct.lookup(k);
    // Expired, or unknown: gone (an orphan) unless it was created since the scan above.
    if (e && !live.count(e->conn) && (expired.count(e->conn) || !conns.lookup(e->conn))) doomed.push_back(k);
  }
  res.keys_removed = static_cast<uint32_t>(ct.erase_batch(doomed));
  const std::vector<uint64_t> ids(expired.begin(), expired.end());
  res.expired = static_cast<uint32_t>(conns.erase_batch(ids));
  return res;
}

}  // namespace netaccel::ipt

// The kernel data path of netaccel-fwd: fwd.bpf.o loaded through its skeleton, maps pinned
// under <pin_root>/fwd, one pinned link per interface so forwarding survives our restart.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "dataplane.h"
#include "netaccel/core/link.h"
#include "netaccel/core/map.h"
#include "netaccel/core/pins.h"
#include "netaccel/core/skeleton.h"

struct fwd;  // the bpftool skeleton

namespace netaccel::fwd {

class BpfDataplane final : public Dataplane {
 public:
  // Loads the programs, reusing pinned maps, and re-points pinned links at the new programs.
  static Result<std::unique_ptr<BpfDataplane>> open(const std::string& pin_root, bool ipv6);
  // Detaches every interface a (stopped) netaccel-fwd left attached and removes its pins.
  static Status purge(const std::string& pin_root);
  ~BpfDataplane() override;

  Status attach(const LinkInfo& link, const AttachSpec& spec, int bridge_ifindex) override;
  Status detach(int ifindex) override;
  Status fdb_set(const FdbEntry& e) override;
  Status fdb_erase(const FdbEntry& e) override;
  Status fdb_flush(int bridge_ifindex) override;
  Result<IfaceStats> stats(int ifindex) const override;
  std::vector<HeldIface> held() const override;

 private:
  BpfDataplane(Skeleton<struct ::fwd> skel, PinDir pins);
  Status adopt();
  int prog_fd(Hook h) const;
  Status attach_peer(const LinkInfo& link);
  void drop_link(std::map<int, Link>& links, const std::string& prefix, int ifindex);

  Skeleton<struct ::fwd> skel_;
  PinDir pins_;
  Map<uint32_t, fwd_iface> ifaces_;
  Map<fwd_fdb_key, fwd_fdb_val> fdb_;
  Map<uint32_t, uint32_t> tx_ports_;
  PerCpuMap<uint32_t, fwd_stats> stats_;
  std::map<int, Link> links_;       // by ifindex: the XDP or TCX link on the interface
  std::map<int, Link> peer_links_;  // by ifindex: XDP_PASS on the pod-side peer (XDP hook)
};

}  // namespace netaccel::fwd

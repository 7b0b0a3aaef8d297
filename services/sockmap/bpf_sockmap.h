// The kernel side of netaccel-sockmap: sockmap.bpf.o, maps pinned under <pin_root>/sockmap,
// the sk_msg program linked to the sockhash and one sockops link per enabled cgroup, all
// pinned so that accelerated connections outlive a daemon restart.
#pragma once

#include <map>
#include <memory>

#include "netaccel/core/link.h"
#include "netaccel/core/map.h"
#include "netaccel/core/pins.h"
#include "netaccel/core/skeleton.h"
#include "sockmap_dataplane.h"

struct sockmap;

namespace netaccel::sockmap {

class BpfSockmap final : public Dataplane {
 public:
  // bulk_bytes: sm_bulk_bytes of the program (0: no bulk bypass).
  static Result<std::unique_ptr<BpfSockmap>> open(const std::string& pin_root, const SidecarOptions& sidecar,
                                                  uint64_t bulk_bytes = 0);
  static Status purge(const std::string& pin_root);
  ~BpfSockmap() override;  // pinned links stay attached; only disable() and purge() detach

  Status enable(const EnabledCgroup& cg) override;
  Status disable(uint64_t id) override;
  std::vector<EnabledCgroup> enabled() const override;
  Status set_local_prefixes(const std::vector<Prefix>& prefixes) override;
  std::array<uint64_t, SM_STAT__MAX> stats() const override;
  uint64_t sockets_in_map() const override;
  Status add_sidecar_pod(const Prefix& ip, uint64_t netns_cookie) override;
  Status remove_sidecar_pod(const Prefix& ip) override;
  std::vector<Prefix> sidecar_pods() const override;

 private:
  BpfSockmap(Skeleton<struct ::sockmap> skel, PinDir pins, bool sidecar);
  Status attach_msg();
  // The cgroup programs: sockops always, connect4 and getsockopt in sidecar mode.
  struct CgroupProgram {
    const char* pin_prefix;
    int attach_type;
    bpf_program* prog;
  };
  std::vector<CgroupProgram> cgroup_programs() const;

  Skeleton<struct ::sockmap> skel_;
  PinDir pins_;
  Map<uint64_t, sm_cgroup> cgroups_;
  Map<sm_prefix_key, uint32_t> prefixes_;
  PerCpuMap<uint32_t, sm_stats> stats_;
  Map<sm_pod_key, sm_pod> pods_;
  Link msg_link_;
  bool sidecar_;
  std::map<std::string, Link> cg_links_;  // by pin name
};

}  // namespace netaccel::sockmap

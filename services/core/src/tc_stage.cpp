#include "netaccel/core/tc_stage.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "netaccel/core/unique_fd.h"

namespace netaccel {

namespace {

// Kernel 6.6's TCX placement flags (libbpf 1.1's headers predate them).
constexpr unsigned kBpfFBefore = 1u << 3;
constexpr unsigned kBpfFId = 1u << 5;

// BPF_LINK_CREATE's attr for a TCX link with a relative program: the kernel's layout (prog_fd,
// target ifindex, attach type, flags, then tcx.relative_id and tcx.expected_revision).
struct TcxLinkCreateAttr {
  __u32 prog_fd;
  __u32 target_ifindex;
  __u32 attach_type;
  __u32 flags;
  __u32 relative_id;
  __u32 pad;
  __u64 expected_revision;
  __u8 rest[64];  // the rest of union bpf_attr's link_create: zero
};

}  // namespace

const char* stage_name(TcStage s) {
  switch (s) {
    case TcStage::lb: return "lb";
    case TcStage::policy: return "policy";
    case TcStage::fwd: return "fwd";
  }
  return "?";
}

int stage_rank_of(const std::string& name) {
  if (name.rfind("lb_", 0) == 0) return static_cast<int>(TcStage::lb);
  if (name.rfind("pol_", 0) == 0) return static_cast<int>(TcStage::policy);
  if (name.rfind("fwd_", 0) == 0) return static_cast<int>(TcStage::fwd);
  return 0;
}

Result<std::vector<TcxProgram>> tcx_programs(int ifindex, bool ingress) {
  std::vector<__u32> ids(64);
  LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids.data(), .prog_cnt = static_cast<__u32>(ids.size()));
  if (bpf_prog_query_opts(ifindex, static_cast<bpf_attach_type>(ingress ? kAttachTcxIngress : kAttachTcxEgress), &q) < 0)
    return errno_error(errno, "query the TCX programs of ifindex " + std::to_string(ifindex));
  std::vector<TcxProgram> out;
  for (__u32 i = 0; i < q.prog_cnt && i < ids.size(); ++i) {
    TcxProgram p{ids[i], ""};
    int fd = bpf_prog_get_fd_by_id(ids[i]);
    if (fd >= 0) {
      UniqueFd owned(fd);
      bpf_prog_info info{};
      __u32 len = sizeof(info);
      if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) p.name = info.name;
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<Link> attach_tc_stage(int prog_fd, int ifindex, bool ingress, TcStage stage) {
  auto progs = tcx_programs(ifindex, ingress);
  if (!progs) return progs.error();
  unsigned before = 0;
  for (const auto& p : *progs) {
    int rank = stage_rank_of(p.name);
    if (rank > static_cast<int>(stage)) {
      before = p.id;
      break;
    }
  }
  if (!before) return Link::create(prog_fd, ifindex, ingress ? kAttachTcxIngress : kAttachTcxEgress);
  TcxLinkCreateAttr attr{};
  attr.prog_fd = static_cast<__u32>(prog_fd);
  attr.target_ifindex = static_cast<__u32>(ifindex);
  attr.attach_type = static_cast<__u32>(ingress ? kAttachTcxIngress : kAttachTcxEgress);
  attr.flags = kBpfFBefore | kBpfFId;
  attr.relative_id = before;
  int fd = static_cast<int>(syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
  if (fd < 0)
    return errno_error(errno, std::string("attach the ") + stage_name(stage) + " stage before program " + std::to_string(before) +
                                  " on ifindex " + std::to_string(ifindex));
  return Link(UniqueFd(fd));
}

}  // namespace netaccel

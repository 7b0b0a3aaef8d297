#include "bpf_sockmap.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "netaccel/core/log.h"
#include "netaccel/core/map_pinning.h"
#include "sockmap_skeleton.h"

namespace netaccel::sockmap {
namespace {
constexpr const char* kMsgLink = "link_msg";
constexpr int kAttachCgroupSockOps = 3;     // BPF_CGROUP_SOCK_OPS
constexpr int kAttachSkMsgVerdict = 7;      // BPF_SK_MSG_VERDICT (bpf_link on kernels >= 6.10)
constexpr int kAttachCgroupConnect4 = 10;   // BPF_CGROUP_INET4_CONNECT
constexpr int kAttachCgroupConnect6 = 11;   // BPF_CGROUP_INET6_CONNECT
constexpr int kAttachCgroupGetsockopt = 21; // BPF_CGROUP_GETSOCKOPT
std::string cg_pin(const char* prefix, uint64_t id) { return prefix + std::to_string(id); }
}  // namespace

BpfSockmap::BpfSockmap(Skeleton<struct ::sockmap> skel, PinDir pins, bool sidecar)
    : skel_(std::move(skel)),
      pins_(std::move(pins)),
      cgroups_(skel_->maps.sm_cgroups),
      prefixes_(skel_->maps.sm_local_prefixes),
      stats_(skel_->maps.sm_stats),
      pods_(skel_->maps.sm_sidecar_pods),
      sidecar_(sidecar) {}

std::vector<BpfSockmap::CgroupProgram> BpfSockmap::cgroup_programs() const {
  std::vector<CgroupProgram> p = {{"link_cg_", kAttachCgroupSockOps, skel_->progs.sm_sockops}};
  if (sidecar_) {
    p.push_back({"link_c4_", kAttachCgroupConnect4, skel_->progs.sm_connect4});
    p.push_back({"link_c6_", kAttachCgroupConnect6, skel_->progs.sm_connect6});
    p.push_back({"link_gso_", kAttachCgroupGetsockopt, skel_->progs.sm_getsockopt});
  }
  return p;
}

BpfSockmap::~BpfSockmap() = default;

Result<std::unique_ptr<BpfSockmap>> BpfSockmap::open(const std::string& pin_root, const SidecarOptions& sidecar,
                                                     uint64_t bulk_bytes) {
  auto pins = PinDir::prepare(pin_root, "sockmap");
  if (!pins) return pins.error();
  auto skel = Skeleton<struct ::sockmap>::open("sockmap");
  if (!skel) return skel.error();
  skel->get()->rodata->sm_outbound_port = sidecar.outbound_port;
  skel->get()->rodata->sm_proxy_uid = sidecar.proxy_uid;
  skel->get()->rodata->sm_inbound_port = sidecar.inbound_port;
  skel->get()->rodata->sm_bulk_bytes = bulk_bytes;
  if (auto st = reuse_or_pin_maps(skel->get()->obj, *pins); !st) return st.error();
  if (auto st = skel->load(); !st) return st.error();
  std::unique_ptr<BpfSockmap> dp(new BpfSockmap(std::move(*skel), std::move(*pins), sidecar.enabled));
  if (auto st = dp->attach_msg(); !st) return st.error();
  // Re-point the pinned cgroup links of a previous run at this run's programs.
  for (uint64_t id : dp->cgroups_.keys()) {
    auto l = Link::open_pinned(dp->pins_.entry(cg_pin("link_cg_", id)));
    if (!l) {
      (void)dp->cgroups_.erase(id);
      continue;
    }
    for (const auto& p : dp->cgroup_programs()) {
      auto pl = Link::open_pinned(dp->pins_.entry(cg_pin(p.pin_prefix, id)));
      if (!pl) continue;  // e.g. sidecar mode switched on since: takes effect on re-enable
      (void)pl->update_program(bpf_program__fd(p.prog));
      dp->cg_links_.emplace(cg_pin(p.pin_prefix, id), std::move(*pl));
    }
  }
  return dp;
}

Status BpfSockmap::attach_msg() {
  int prog = bpf_program__fd(skel_->progs.sm_msg);
  if (auto l = Link::open_pinned(pins_.entry(kMsgLink))) {
    if (auto st = l->update_program(prog); !st) return st;
    msg_link_ = std::move(*l);
    return {};
  }
  auto l = Link::create(prog, bpf_map__fd(skel_->maps.sm_sockets), kAttachSkMsgVerdict);
  if (!l) return Error{l.error().code, "link sk_msg program to the sockhash (needs kernel >= 6.10): " + l.error().message};
  if (auto st = l->pin(pins_.entry(kMsgLink)); !st) return st;
  msg_link_ = std::move(*l);
  return {};
}

Status BpfSockmap::enable(const EnabledCgroup& cg) {
  if (cg.path.size() >= SM_CGROUP_PATH_MAX) return make_error(Errc::invalid_argument, "cgroup path too long: " + cg.path);
  UniqueFd dir(::open(cg.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return errno_error(errno, "open cgroup " + cg.path);
  sm_cgroup v{};
  std::strncpy(v.path, cg.path.c_str(), sizeof(v.path) - 1);
  if (auto st = cgroups_.update(cg.id, v); !st) return st;
  for (const auto& p : cgroup_programs()) {
    auto l = Link::create(bpf_program__fd(p.prog), dir.get(), p.attach_type);
    Status st = l ? l->pin(pins_.entry(cg_pin(p.pin_prefix, cg.id)))
                  : Status(Error{l.error().code, "attach " + std::string(bpf_program__name(p.prog)) + " to " + cg.path + ": " +
                                                     l.error().message});
    if (!st) {
      (void)disable(cg.id);  // all or nothing
      return st;
    }
    cg_links_[cg_pin(p.pin_prefix, cg.id)] = std::move(*l);
  }
  return {};
}

Status BpfSockmap::disable(uint64_t id) {
  for (const char* prefix : {"link_cg_", "link_c4_", "link_c6_", "link_gso_"}) {
    std::string name = cg_pin(prefix, id);
    if (auto it = cg_links_.find(name); it != cg_links_.end()) {
      bpf_link_detach(it->second.fd());
      cg_links_.erase(it);
    } else if (auto l = Link::open_pinned(pins_.entry(name))) {
      bpf_link_detach(l->fd());
    }
    (void)pins_.remove(name);
  }
  return cgroups_.erase(id);
}

std::vector<EnabledCgroup> BpfSockmap::enabled() const {
  std::vector<EnabledCgroup> out;
  for (uint64_t id : cgroups_.keys())
    if (auto v = cgroups_.lookup(id)) out.push_back(EnabledCgroup{id, std::string(v->path, strnlen(v->path, sizeof(v->path)))});
  return out;
}

Status BpfSockmap::set_local_prefixes(const std::vector<Prefix>& prefixes) {
  for (const auto& k : prefixes_.keys()) (void)prefixes_.erase(k);
  for (const auto& p : prefixes) {
    sm_prefix_key k{};
    k.family = static_cast<uint8_t>(p.family == AF_INET ? NA_AF_INET : NA_AF_INET6);
    k.prefixlen = static_cast<uint32_t>(8 + p.len);
    std::memcpy(k.addr, p.addr.data(), 16);
    if (auto st = prefixes_.update(k, 1); !st) return st;
  }
  return {};
}

std::array<uint64_t, SM_STAT__MAX> BpfSockmap::stats() const {
  std::array<uint64_t, SM_STAT__MAX> out{};
  if (auto per_cpu = stats_.lookup(0))
    for (const auto& c : *per_cpu)
      for (int i = 0; i < SM_STAT__MAX; ++i) out[i] += c.v[i];
  return out;
}

uint64_t BpfSockmap::sockets_in_map() const {
  Map<sm_sock_key, uint64_t> socks(skel_->maps.sm_sockets);
  return socks.keys().size();
}

namespace {
sm_pod_key pod_key(const Prefix& p) {
  sm_pod_key k{};
  k.family = p.family == AF_INET ? NA_AF_INET : NA_AF_INET6;
  std::memcpy(k.ip, p.addr.data(), p.family == AF_INET ? 4 : 16);
  return k;
}
}  // namespace

Status BpfSockmap::add_sidecar_pod(const Prefix& ip, uint64_t netns_cookie) {
  return pods_.update(pod_key(ip), sm_pod{netns_cookie});
}

Status BpfSockmap::remove_sidecar_pod(const Prefix& ip) { return pods_.erase(pod_key(ip)); }

std::vector<Prefix> BpfSockmap::sidecar_pods() const {
  std::vector<Prefix> out;
  for (const auto& k : pods_.keys()) {
    Prefix p;
    p.family = k.family == NA_AF_INET ? AF_INET : AF_INET6;
    p.len = p.family == AF_INET ? 32 : 128;
    std::memcpy(p.addr.data(), k.ip, p.family == AF_INET ? 4 : 16);
    out.push_back(p);
  }
  return out;
}

Status BpfSockmap::purge(const std::string& pin_root) {
  if (access((pin_root + "/sockmap").c_str(), F_OK) != 0) return {};
  auto pins = PinDir::prepare(pin_root, "sockmap");
  if (!pins) return pins.error();
  for (const auto& name : pins->list("link_"))
    if (auto l = Link::open_pinned(pins->entry(name))) bpf_link_detach(l->fd());
  return pins->remove_all();
}

}  // namespace netaccel::sockmap

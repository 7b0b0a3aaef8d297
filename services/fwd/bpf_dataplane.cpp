#include "bpf_dataplane.h"

#include <bpf/bpf.h>
#include <unistd.h>

#include <cstring>

#include "fwd_skeleton.h"
#include "netaccel/core/log.h"
#include "netaccel/core/map_pinning.h"
#include "netaccel/core/netns.h"
#include "netaccel/core/tc_stage.h"


namespace netaccel::fwd {
namespace {
constexpr const char* kLinkPrefix = "link_";
constexpr const char* kPeerPrefix = "peer_";
std::string pin_name(const char* prefix, int ifindex) { return prefix + std::to_string(ifindex); }

fwd_fdb_key fdb_key(const FdbEntry& e) {
  fwd_fdb_key k{};
  k.bridge_ifindex = static_cast<uint32_t>(e.bridge_ifindex);
  std::memcpy(k.mac, e.mac.data(), 6);
  return k;
}
}  // namespace

BpfDataplane::BpfDataplane(Skeleton<struct ::fwd> skel, PinDir pins)
    : skel_(std::move(skel)),
      pins_(std::move(pins)),
      ifaces_(skel_->maps.fwd_ifaces),
      fdb_(skel_->maps.fwd_fdb),
      tx_ports_(skel_->maps.fwd_tx_ports),
      stats_(skel_->maps.fwd_stats) {}

// Links stay attached when we exit: their pins hold them. Only detach() and purge() remove.
BpfDataplane::~BpfDataplane() = default;

Result<std::unique_ptr<BpfDataplane>> BpfDataplane::open(const std::string& pin_root, bool ipv6) {
  auto pins = PinDir::prepare(pin_root, "fwd");
  if (!pins) return pins.error();
  auto shared = PinDir::prepare(pin_root, "shared");  // the TC guard netaccel-policy sets
  if (!shared) return shared.error();
  auto skel = Skeleton<struct ::fwd>::open("fwd");
  if (!skel) return skel.error();
  skel->get()->rodata->fwd_cfg_flags = ipv6 ? FWD_CFG_IPV6 : 0;
  if (auto st = reuse_or_pin_maps(skel->get()->obj, *pins, &*shared); !st) return st.error();
  if (auto st = skel->load(); !st) return st.error();
  std::unique_ptr<BpfDataplane> dp(new BpfDataplane(std::move(*skel), std::move(*pins)));
  if (auto st = dp->adopt(); !st) return st.error();
  return dp;
}

int BpfDataplane::prog_fd(Hook h) const {
  return bpf_program__fd(h == Hook::xdp ? skel_->progs.fwd_xdp : skel_->progs.fwd_tc);
}

// A previous run's links still forward with the previous programs; swap in ours atomically.
Status BpfDataplane::adopt() {
  for (uint32_t ifindex : ifaces_.keys()) {
    auto v = ifaces_.lookup(ifindex);
    auto link = Link::open_pinned(pins_.entry(pin_name(kLinkPrefix, ifindex)));
    if (!v || !link) {
      log::warn("interface " + std::to_string(ifindex) + " in the pinned map has no pinned link; forgetting it");
      (void)ifaces_.erase(ifindex);
      continue;
    }
    if (auto st = link->update_program(prog_fd(static_cast<Hook>(v->hook))); !st)
      log::warn("ifindex " + std::to_string(ifindex) + ": keeping the previous program: " + st.error().what());
    links_.emplace(ifindex, std::move(*link));
    if (auto peer = Link::open_pinned(pins_.entry(pin_name(kPeerPrefix, ifindex)))) {
      (void)peer->update_program(bpf_program__fd(skel_->progs.fwd_peer_pass));
      peer_links_.emplace(ifindex, std::move(*peer));
    }
  }
  return {};
}

std::vector<HeldIface> BpfDataplane::held() const {
  std::vector<HeldIface> out;
  for (uint32_t ifindex : ifaces_.keys()) {
    auto v = ifaces_.lookup(ifindex);
    if (!v || !links_.count(ifindex)) continue;
    out.push_back(HeldIface{static_cast<int>(ifindex), {static_cast<Mode>(v->mode), static_cast<Hook>(v->hook)},
                            static_cast<int>(v->bridge_ifindex)});
  }
  return out;
}

Status BpfDataplane::attach_peer(const LinkInfo& link) {
  int prog = bpf_program__fd(skel_->progs.fwd_peer_pass);
  Result<Link> peer = make_error(Errc::not_found, "peer");
  auto create = [&]() -> Status {
    peer = Link::create(prog, link.peer_ifindex, kAttachXdp);
    return {};
  };
  if (link.link_netnsid < 0) {
    (void)create();
  } else {
    auto ns = open_netns_by_id(link.link_netnsid);
    if (!ns) return Error{ns.error().code, "find the namespace of " + link.name + "'s peer: " + ns.error().message};
    if (auto st = run_in_netns(ns->get(), create); !st) return st;
  }
  if (!peer) {
    // The peer runs an XDP program of its own already: that is all the veth needs.
    if (peer.error().code == std::errc::device_or_resource_busy || peer.error().code == std::errc::file_exists) return {};
    return Error{peer.error().code, "attach XDP to the peer of " + link.name + ": " + peer.error().message};
  }
  if (auto st = peer->pin(pins_.entry(pin_name(kPeerPrefix, link.ifindex))); !st) return st;
  peer_links_.emplace(link.ifindex, std::move(*peer));
  return {};
}

Status BpfDataplane::attach(const LinkInfo& link, const AttachSpec& spec, int bridge_ifindex) {
  const uint32_t ifindex = static_cast<uint32_t>(link.ifindex);
  fwd_iface v{};
  v.mode = static_cast<uint32_t>(spec.mode);
  v.hook = static_cast<uint32_t>(spec.hook);
  v.bridge_ifindex = static_cast<uint32_t>(bridge_ifindex);
  std::memcpy(v.mac, link.mac.data(), 6);

  auto old = ifaces_.lookup(ifindex);
  if (old && old->hook == v.hook && links_.count(link.ifindex)) {
    return ifaces_.update(ifindex, v);  // same hook: a mode change is one map update
  }
  if (old) {
    if (auto st = detach(link.ifindex); !st) return st;
  }
  if (auto st = stats_.update_all(ifindex, fwd_stats{}); !st) return st;
  if (auto st = tx_ports_.update(ifindex, ifindex); !st) return st;
  if (spec.hook == Hook::xdp) {
    if (auto st = attach_peer(link); !st) {
      (void)detach(link.ifindex);
      return st;
    }
  }
  if (auto st = ifaces_.update(ifindex, v); !st) {
    (void)detach(link.ifindex);
    return st;
  }
  // TC: fwd is the hook's last stage (after netaccel-policy, whichever attached first).
  auto l = spec.hook == Hook::xdp ? Link::create(prog_fd(spec.hook), link.ifindex, kAttachXdp)
                                  : attach_tc_stage(prog_fd(spec.hook), link.ifindex, true, TcStage::fwd);
  if (!l) {
    (void)detach(link.ifindex);
    return Error{l.error().code, "attach " + to_string(spec.hook) + " program to " + link.name + ": " + l.error().message};
  }
  if (auto st = l->pin(pins_.entry(pin_name(kLinkPrefix, link.ifindex))); !st) {
    (void)detach(link.ifindex);
    return st;
  }
  links_.emplace(link.ifindex, std::move(*l));
  return {};
}

void BpfDataplane::drop_link(std::map<int, Link>& links, const std::string& prefix, int ifindex) {
  auto it = links.find(ifindex);
  if (it != links.end()) {
    bpf_link_detach(it->second.fd());  // fails harmlessly when the device is already gone
    links.erase(it);
  }
  (void)pins_.remove(prefix + std::to_string(ifindex));
}

Status BpfDataplane::detach(int ifindex) {
  const uint32_t key = static_cast<uint32_t>(ifindex);
  // First stop others from redirecting here, then take the program off, then the rest.
  if (auto st = ifaces_.erase(key); !st) return st;
  drop_link(links_, kLinkPrefix, ifindex);
  drop_link(peer_links_, kPeerPrefix, ifindex);
  (void)tx_ports_.erase(key);
  (void)stats_.erase(key);
  return {};
}

Status BpfDataplane::fdb_set(const FdbEntry& e) {
  fwd_fdb_val v{static_cast<uint32_t>(e.port_ifindex)};
  return fdb_.update(fdb_key(e), v);
}

Status BpfDataplane::fdb_erase(const FdbEntry& e) {
  // Only if it still points at this port: a MAC that moved must not lose its new entry.
  auto cur = fdb_.lookup(fdb_key(e));
  if (cur && cur->port_ifindex != static_cast<uint32_t>(e.port_ifindex)) return {};
  return fdb_.erase(fdb_key(e));
}

Status BpfDataplane::fdb_flush(int bridge_ifindex) {
  for (const auto& k : fdb_.keys())
    if (k.bridge_ifindex == static_cast<uint32_t>(bridge_ifindex)) (void)fdb_.erase(k);
  return {};
}

Result<IfaceStats> BpfDataplane::stats(int ifindex) const {
  auto per_cpu = stats_.lookup(static_cast<uint32_t>(ifindex));
  if (!per_cpu) return make_error(Errc::not_found, "no counters for ifindex " + std::to_string(ifindex));
  IfaceStats s;
  for (const auto& c : *per_cpu) {
    for (int i = 0; i < FWD_STAT__MAX; ++i) s.packets[i] += c.packets[i];
    s.forwarded_bytes += c.forwarded_bytes;
  }
  return s;
}

Status BpfDataplane::purge(const std::string& pin_root) {
  std::string dir = pin_root + "/fwd";
  if (access(dir.c_str(), F_OK) != 0) return {};
  auto pins = PinDir::prepare(pin_root, "fwd");
  if (!pins) return pins.error();
  for (const auto& name : pins->list()) {
    if (name.rfind(kLinkPrefix, 0) == 0 || name.rfind(kPeerPrefix, 0) == 0) {
      if (auto l = Link::open_pinned(pins->entry(name))) bpf_link_detach(l->fd());
    }
  }
  if (auto st = pins->remove_all(); !st) return st;
  return purge_shared_pins(pin_root);
}

}  // namespace netaccel::fwd

#include "forwarder.h"

#include <algorithm>

#include "netaccel/core/log.h"

namespace netaccel::fwd {

Forwarder::Forwarder(Dataplane& dp, const LinkSource& links, FwdConfig cfg)
    : dp_(dp), links_(links), cfg_(std::move(cfg)) {}

std::optional<AttachSpec> Forwarder::auto_spec(const LinkInfo& link) const {
  if (!link.is_veth()) return std::nullopt;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  std::optional<LinkInfo> master = link.master ? links_.link(link.master) : std::nullopt;
  bool bridged = master && master->is_bridge();
  AttachSpec spec{bridged ? Mode::bridge : Mode::router, cfg_.default_hook};
  if (has(cfg_.interfaces, link.name)) return spec;
  if (bridged && has(cfg_.bridges, master->name)) return spec;
  if (!link.master)
    for (const auto& p : cfg_.prefixes)
      if (link.name.rfind(p, 0) == 0) return spec;
  return std::nullopt;
}

Status Forwarder::start() {
  for (const auto& h : dp_.held()) {
    auto link = links_.link(h.ifindex);
    if (!link) {  // gone while we were not running
      (void)dp_.detach(h.ifindex);
      continue;
    }
    std::string bridge;
    if (h.bridge_ifindex)
      if (auto b = links_.link(h.bridge_ifindex)) bridge = b->name;
    attached_[h.ifindex] = AttachedIface{link->name, h.ifindex, h.spec, bridge, auto_spec(*link).has_value(), link->mac};
    log::info("adopted " + link->name + " (" + to_string(h.spec) + ") from the previous run");
  }
  std::vector<int> bridges;
  for (const auto& [idx, a] : attached_)
    if (a.spec.mode == Mode::bridge) {
      if (auto l = links_.link(idx); l && l->master) bridges.push_back(l->master);
    }
  for (int b : bridges) sync_fdb(b);
  if (cfg_.auto_attach)
    for (const auto& l : links_.links()) on_link(NlEvent::added, l);
  return {};
}

Status Forwarder::attach(const std::string& ifname, const std::string& spec_text) {
  if (!valid_ifname(ifname)) return make_error(Errc::invalid_argument, "'" + ifname + "' is not an interface name");
  auto spec = parse_attach_spec(spec_text, cfg_.default_hook);
  if (!spec) return spec.error();
  auto link = links_.link(ifname);
  if (!link) return make_error(Errc::not_found, "interface " + ifname);
  if (!link->is_veth()) return make_error(Errc::unsupported, ifname + " is a " + (link->kind.empty() ? "device" : link->kind) + ", netaccel-fwd accelerates veths only");
  if (auto it = attached_.find(link->ifindex); it != attached_.end() && it->second.spec == *spec)
    return make_error(Errc::already_exists, ifname + " is already attached as " + to_string(*spec));
  return do_attach(*link, *spec, false);
}

Status Forwarder::do_attach(const LinkInfo& link, const AttachSpec& spec, bool automatic) {
  int bridge_ifindex = 0;
  std::string bridge;
  if (spec.mode == Mode::bridge) {
    auto master = link.master ? links_.link(link.master) : std::nullopt;
    if (!master || !master->is_bridge())
      return make_error(Errc::invalid_argument, link.name + " is not a bridge port; bridge mode needs one");
    bridge_ifindex = master->ifindex;
    bridge = master->name;
  }
  if (auto st = dp_.attach(link, spec, bridge_ifindex); !st) return st;
  bool first_port = spec.mode == Mode::bridge && !bridge_in_use(bridge_ifindex);
  attached_[link.ifindex] = AttachedIface{link.name, link.ifindex, spec, bridge, automatic, link.mac};
  if (first_port) sync_fdb(bridge_ifindex);
  log::info("attached " + link.name + " as " + to_string(spec) + (automatic ? " (auto)" : ""));
  changed();
  return {};
}

Status Forwarder::detach(const std::string& ifname) {
  if (!valid_ifname(ifname)) return make_error(Errc::invalid_argument, "'" + ifname + "' is not an interface name");
  auto it = std::find_if(attached_.begin(), attached_.end(), [&](const auto& kv) { return kv.second.name == ifname; });
  if (it == attached_.end()) return make_error(Errc::not_found, ifname + " is not attached");
  return do_detach(it->first);
}

Status Forwarder::do_detach(int ifindex) {
  auto it = attached_.find(ifindex);
  if (it == attached_.end()) return {};
  if (auto st = dp_.detach(ifindex); !st) return st;
  AttachedIface gone = it->second;
  attached_.erase(it);
  if (gone.spec.mode == Mode::bridge) {
    auto b = links_.link(gone.bridge);
    if (b && !bridge_in_use(b->ifindex)) (void)dp_.fdb_flush(b->ifindex);
  }
  log::info("detached " + gone.name);
  changed();
  return {};
}

std::vector<AttachedIface> Forwarder::list() const {
  std::vector<AttachedIface> out;
  for (const auto& [i, a] : attached_) out.push_back(a);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<IfaceStats> Forwarder::stats(const std::string& ifname) const {
  if (!valid_ifname(ifname)) return make_error(Errc::invalid_argument, "'" + ifname + "' is not an interface name");
  for (const auto& [idx, a] : attached_)
    if (a.name == ifname) return dp_.stats(idx);
  return make_error(Errc::not_found, ifname + " is not attached");
}

bool Forwarder::bridge_in_use(int bridge_ifindex) const {
  for (const auto& [idx, a] : attached_) {
    if (a.spec.mode != Mode::bridge) continue;
    auto l = links_.link(idx);
    if (l && l->master == bridge_ifindex) return true;
  }
  return false;
}

void Forwarder::sync_fdb(int bridge_ifindex) {
  for (const auto& e : links_.fdb(bridge_ifindex)) on_fdb(NlEvent::added, e);
}

void Forwarder::on_link(NlEvent ev, const LinkInfo& link) {
  auto it = attached_.find(link.ifindex);
  if (ev == NlEvent::removed) {
    if (it != attached_.end()) {
      if (auto st = do_detach(link.ifindex); !st) log::warn("forget removed " + link.name + ": " + st.error().what());
    }
    return;
  }
  if (it != attached_.end()) {
    it->second.name = link.name;  // renames
    // A bridge port that left its bridge (or a routed veth that joined one) changes mode.
    bool bridged = link.master && links_.link(link.master) && links_.link(link.master)->is_bridge();
    if ((it->second.spec.mode == Mode::bridge) != bridged) {
      bool automatic = it->second.automatic;
      (void)do_detach(link.ifindex);
      if (automatic && cfg_.auto_attach)
        if (auto spec = auto_spec(link)) (void)do_attach(link, *spec, true);
    } else if (it->second.mac != link.mac) {
      // CNI plugins often set the MAC after creating the veth: router mode matches on it.
      if (auto st = do_attach(link, it->second.spec, it->second.automatic); !st)
        log::warn("update MAC of " + link.name + ": " + st.error().what());
    }
    return;
  }
  if (!cfg_.auto_attach) return;
  if (auto spec = auto_spec(link)) {
    if (auto st = do_attach(link, *spec, true); !st) log::warn("auto-attach " + link.name + ": " + st.error().what());
  }
}

void Forwarder::on_fdb(NlEvent ev, const FdbEntry& e) {
  if (e.local || (e.mac[0] & 1) || e.vlan != 0) return;  // own/multicast/VLAN entries: kernel path
  if (!bridge_in_use(e.bridge_ifindex)) return;
  Status st = ev == NlEvent::removed ? dp_.fdb_erase(e) : dp_.fdb_set(e);
  if (!st) log::warn("FDB " + format_mac(e.mac) + ": " + st.error().what());
}

}  // namespace netaccel::fwd

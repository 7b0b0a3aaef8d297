#include "fastpath.h"

#include "netaccel/core/bus.h"
#include "netaccel/core/cgroup.h"

namespace netaccel::agent {

namespace {

std::string wanted_fwd_mode(const Endpoint& e) { return e.bridge.empty() ? "router" : "bridge"; }

void wire_fwd(Dataplanes& dp, const Endpoint& e, Wiring& w) {
  const FastPath& had = e.fastpath;
  if (e.host_veth.empty()) {
    w.warnings.push_back("no host veth in the CNI result: netaccel-fwd cannot take this pod");
    return;
  }
  if (!e.gazelle_address.empty()) {
    // fwd's TC path hands frames to the pod with bpf_redirect_peer, which skips the pod's XDP
    // program: libgazelle's address would become unreachable. Such a pod stays on the bridge
    // (and an auto-attached veth is released) until fwd can deliver through the veth.
    if (auto list = dp.fwd_interfaces())
      for (const auto& i : *list)
        if (i.name == e.host_veth) {
          if (auto st = dp.fwd_detach(e.host_veth); !st)
            w.warnings.push_back("netaccel-fwd detach " + e.host_veth + " (a libgazelle pod): " + st.error().what());
        }
    w.fastpath.fwd.clear();
    w.fastpath.fwd_owned = false;
    return;
  }
  const std::string mode = wanted_fwd_mode(e);
  auto st = dp.fwd_attach(e.host_veth, mode);
  if (st) {
    w.fastpath.fwd = mode;
    w.fastpath.fwd_owned = true;
    return;
  }
  if (service_down(st.error())) {  // the pinned path, if any, outlives fwd: keep the record
    w.fastpath.fwd = had.fwd;
    w.fastpath.fwd_owned = had.fwd_owned;
    w.warnings.push_back("netaccel-fwd is not running: " + e.host_veth + " keeps the kernel path until it starts");
    return;
  }
  if (st.error().code == make_error_code(Errc::already_exists)) {  // fwd's auto-attach, or ours before
    auto list = dp.fwd_interfaces();
    if (list)
      for (const auto& i : *list)
        if (i.name == e.host_veth) w.fastpath.fwd = i.mode;
    if (w.fastpath.fwd.empty()) w.fastpath.fwd = mode;
    w.fastpath.fwd_owned = had.fwd_owned;
    return;
  }
  w.warnings.push_back("netaccel-fwd refused " + e.host_veth + ": " + st.error().what());
}

void wire_sockmap(Dataplanes& dp, const Endpoint& e, Wiring& w) {
  const FastPath& had = e.fastpath;
  auto enabled = dp.sockmap_cgroups();
  if (!enabled) {
    w.fastpath.sockmap = had.sockmap;
    w.fastpath.sockmap_owned = had.sockmap_owned;
    if (service_down(enabled.error())) w.warnings.push_back("netaccel-sockmap is not running: the pod's sockets use the kernel path");
    else w.warnings.push_back("netaccel-sockmap: " + enabled.error().what());
    return;
  }
  // An enabled ancestor (node-wide mode: the root) covers the pod: nothing to do.
  for (const auto& cg : *enabled) {
    bool covers = e.cgroup.empty() ? cg == cgroup2_root() : path_within(cg, e.cgroup);
    if (!covers) continue;
    w.fastpath.sockmap = cg;
    w.fastpath.sockmap_owned = had.sockmap_owned && had.sockmap == cg && cg == e.cgroup;
    return;
  }
  // Found later from the netns; until then the kernel path. The root is never the pod's: the
  // agent does not switch node-wide mode on for one pod.
  if (e.cgroup.empty() || e.cgroup == cgroup2_root()) return;
  auto st = dp.sockmap_enable(e.cgroup);
  if (st || st.error().code == make_error_code(Errc::already_exists)) {
    w.fastpath.sockmap = e.cgroup;
    w.fastpath.sockmap_owned = true;
    return;
  }
  w.warnings.push_back("netaccel-sockmap refused " + e.cgroup + ": " + st.error().what());
}

}  // namespace

Wiring wire(Dataplanes& dp, const Endpoint& e) {
  Wiring w;
  wire_fwd(dp, e, w);
  wire_sockmap(dp, e, w);
  return w;
}

std::vector<std::string> unwire(Dataplanes& dp, const Endpoint& e) {
  std::vector<std::string> warnings;
  // A veth already gone (the runtime deleted it first) took fwd's attachment with it.
  if (e.fastpath.fwd_owned && !e.fastpath.fwd.empty())
    if (auto st = dp.fwd_detach(e.host_veth); !st && st.error().code != make_error_code(Errc::not_found))
      warnings.push_back("netaccel-fwd detach " + e.host_veth + ": " + st.error().what());
  if (e.fastpath.sockmap_owned && !e.fastpath.sockmap.empty())
    if (auto st = dp.sockmap_disable(e.fastpath.sockmap); !st && st.error().code != make_error_code(Errc::not_found))
      warnings.push_back("netaccel-sockmap disable " + e.fastpath.sockmap + ": " + st.error().what());
  return warnings;
}

Result<std::vector<std::string>> check(Dataplanes& dp, const Endpoint& e) {
  std::vector<std::string> warnings;
  if (!e.fastpath.fwd.empty()) {
    auto list = dp.fwd_interfaces();
    if (!list && !service_down(list.error())) return list.error();
    if (!list) {
      warnings.push_back("netaccel-fwd is not running: cannot confirm " + e.host_veth);
    } else {
      bool found = false;
      for (const auto& i : *list) found = found || (i.name == e.host_veth && i.mode == e.fastpath.fwd);
      if (!found)
        return make_error(Errc::not_found, "netaccel-fwd has no " + e.fastpath.fwd + " fast path on " + e.host_veth);
    }
  } else if (auto list = dp.fwd_interfaces(); list && !e.host_veth.empty() && e.gazelle_address.empty()) {
    return make_error(Errc::not_found, "netaccel-fwd runs but " + e.host_veth + " has no fast path");
  }
  if (!e.fastpath.sockmap.empty()) {
    auto cgs = dp.sockmap_cgroups();
    if (!cgs && !service_down(cgs.error())) return cgs.error();
    if (cgs) {
      bool found = false;
      for (const auto& cg : *cgs) found = found || cg == e.fastpath.sockmap;
      if (!found) return make_error(Errc::not_found, "netaccel-sockmap no longer has " + e.fastpath.sockmap + " enabled");
    }
  }
  return warnings;
}

}  // namespace netaccel::agent

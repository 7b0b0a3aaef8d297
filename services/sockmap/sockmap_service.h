// netaccel-sockmap's logic: which cgroups are accelerated and the node-local prefixes.
// Knows nothing of D-Bus; the kernel is behind Dataplane and CgroupFs.
#pragma once

#include <functional>

#include "sockmap_dataplane.h"

namespace netaccel::sockmap {

class SockmapService {
 public:
  SockmapService(Dataplane& dp, const CgroupFs& fs, SockmapConfig cfg) : dp_(dp), fs_(fs), cfg_(std::move(cfg)) {}

  // Adopts cgroups a previous run enabled, then enables the configured ones.
  Status start();
  Status enable(const std::string& cgroup_path);
  Status disable(const std::string& cgroup_path);
  std::vector<EnabledCgroup> list() const { return dp_.enabled(); }
  std::array<uint64_t, SM_STAT__MAX> stats() const { return dp_.stats(); }
  uint64_t sockets() const { return dp_.sockets_in_map(); }
  const SockmapConfig& config() const { return cfg_; }
  void on_changed(std::function<void()> fn) { changed_ = std::move(fn); }
  // Sidecar mode: a same-node pod (its IP, its network namespace) runs its own sidecar, so
  // proxies' connections to it go to its inbound port.
  Status add_sidecar_pod(const std::string& ip, const std::string& netns_path);
  Status remove_sidecar_pod(const std::string& ip);
  std::vector<std::string> sidecar_pods() const;

 private:
  Dataplane& dp_;
  const CgroupFs& fs_;
  SockmapConfig cfg_;
  std::function<void()> changed_;
};

}  // namespace netaccel::sockmap

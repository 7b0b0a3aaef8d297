// What netaccel-sockmap's logic needs from the kernel; BpfSockmap is the real one.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sockmap_config.h"

namespace netaccel::sockmap {

struct EnabledCgroup {
  uint64_t id = 0;  // cgroup v2 id (inode of its directory)
  std::string path;
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  virtual Status enable(const EnabledCgroup& cg) = 0;
  virtual Status disable(uint64_t id) = 0;
  virtual std::vector<EnabledCgroup> enabled() const = 0;  // survives daemon restarts
  virtual Status set_local_prefixes(const std::vector<Prefix>& prefixes) = 0;
  virtual std::array<uint64_t, SM_STAT__MAX> stats() const = 0;
  virtual uint64_t sockets_in_map() const = 0;
  // Sidecar mode, inbound capture: pods on this node with their own sidecar.
  virtual Status add_sidecar_pod(const Prefix& ip, uint64_t netns_cookie) = 0;
  virtual Status remove_sidecar_pod(const Prefix& ip) = 0;
  virtual std::vector<Prefix> sidecar_pods() const = 0;
};

// Resolves a cgroup v2 directory to its id; the real one uses statfs/stat.
class CgroupFs {
 public:
  virtual ~CgroupFs() = default;
  virtual Result<EnabledCgroup> resolve(const std::string& path) const = 0;
  // Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on
  // hybrid hosts).
  virtual std::string root() const = 0;
  // The kernel's cookie for the network namespace at a path (/run/netns/X, /proc/PID/ns/net).
  virtual Result<uint64_t> netns_cookie(const std::string& netns_path) const = 0;
};

class RealCgroupFs final : public CgroupFs {
 public:
  Result<EnabledCgroup> resolve(const std::string& path) const override;
  std::string root() const override;
  Result<uint64_t> netns_cookie(const std::string& netns_path) const override;
};

}  // namespace netaccel::sockmap

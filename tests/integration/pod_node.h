// One node as the container-runtime tests need it: netaccel-agent, -fwd and -sockmap on one
// private bus, a plugin directory with the reference plugins and this build's netaccel, and a
// conflist of bridge + host-local + netaccel reaching the agent through "busAddress". fwd and
// sockmap do nothing on their own (no auto-attach, only a test cgroup enabled), so whatever a
// pod gets, the agent asked for. The runtime (podman, containerd) is the test's part.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "service_fixture.h"

namespace netaccel::test {

struct PodNodeOptions {
  std::string subnet;          // the pods' host-local range
  std::string plugin_dir;      // where the runtime looks for plugins (made here)
  std::string conflist;        // the conflist file the runtime reads
  int gc_interval_s = 60;
  std::string range_end;       // the pods' range ends here (room for a gazelle range after it)
  nlohmann::json gazelle;      // the netaccel plugin's "gazelle" object, null: none
};

class PodNode {
 public:
  // dir: the test's directory (made by the caller); prefix: the test's unique prefix.
  PodNode(const std::string& dir, const std::string& prefix, const PodNodeOptions& o);
  ~PodNode();
  bool ok() const { return ok_; }

  const std::string& net() const { return net_; }
  const std::string& bridge() const { return bridge_; }
  const std::string& base_cgroup() const { return base_cgroup_; }
  const ServiceUnderTest& agent() const { return *agent_; }
  const ServiceUnderTest& fwd() const { return *fwd_; }

  std::vector<nlohmann::json> endpoints() const;  // ListEndpoints rows
  nlohmann::json endpoint(const std::string& id) const;
  bool all_have_cgroups() const;
  size_t fwd_count() const;
  uint64_t forwarded(const std::string& veth) const;  // fwd's counter for the host veth
  // Pings `ip` from namespace `netns` until fwd has forwarded something from `veth` (10 s at
  // most): fwd's bridge FDB mirror learns the pods' MACs from netlink, after the first frames,
  // which the kernel bridge carries meanwhile.
  bool forwards_after_learning(const std::string& netns, const std::string& veth, const std::string& ip) const;
  std::string fwd_stats(const std::string& veth) const;  // for failure messages
  std::vector<std::string> sockmap_cgroups() const;
  // What a leak would leave on the host: veths on the bridge, addresses held by host-local.
  std::string bridge_ports() const;
  std::string leases() const;

 private:
  std::string dir_, net_, bridge_, pins_, base_cgroup_;
  bool ok_ = false;
  std::unique_ptr<ServiceUnderTest> agent_, fwd_, sockmap_;
};

}  // namespace netaccel::test

// What the agent asks of the data-path services when a pod comes or goes: netaccel-fwd puts
// its fast path on the pod's host veth, netaccel-sockmap accelerates the pod's cgroup,
// netaccel-policy puts the pod's policy in place. The
// daemon implements this over D-Bus; a service that is not running answers with an error
// service_down() recognises (bus.h), which the wiring treats as "the kernel path for now".
#pragma once

#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::agent {

struct FwdInterface {
  std::string name, mode;  // mode: "router" or "bridge"
};

class Dataplanes {
 public:
  virtual ~Dataplanes() = default;
  virtual Status fwd_attach(const std::string& ifname, const std::string& mode) = 0;
  virtual Status fwd_detach(const std::string& ifname) = 0;
  virtual Result<std::vector<FwdInterface>> fwd_interfaces() = 0;
  virtual Status sockmap_enable(const std::string& cgroup) = 0;
  virtual Status sockmap_disable(const std::string& cgroup) = 0;
  virtual Result<std::vector<std::string>> sockmap_cgroups() = 0;
  // netaccel-policy enforces the pod's policy from its first packet: told before the CNI ADD
  // returns. Not running: the pod is enforced when it starts (it reads every endpoint then).
  virtual Status policy_add_endpoint(const std::string& /*endpoint_json*/) { return {}; }
};

}  // namespace netaccel::agent

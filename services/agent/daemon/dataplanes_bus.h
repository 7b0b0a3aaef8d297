// Dataplanes over D-Bus: the agent's calls to netaccel-fwd and netaccel-sockmap on the bus it
// serves on. Calls are short (a few ms) and bounded by a timeout, so the agent's loop blocking
// on them is cheaper than the bookkeeping of asynchronous replies.
#pragma once

#include <systemd/sd-bus.h>

#include "dataplanes.h"

namespace netaccel::agent {

class BusDataplanes : public Dataplanes {
 public:
  explicit BusDataplanes(sd_bus* bus) : bus_(bus) {}
  Status fwd_attach(const std::string& ifname, const std::string& mode) override;
  Status fwd_detach(const std::string& ifname) override;
  Result<std::vector<FwdInterface>> fwd_interfaces() override;
  Status sockmap_enable(const std::string& cgroup) override;
  Status sockmap_disable(const std::string& cgroup) override;
  Result<std::vector<std::string>> sockmap_cgroups() override;
  Status policy_add_endpoint(const std::string& endpoint_json) override;

 private:
  sd_bus* bus_;
};

}  // namespace netaccel::agent

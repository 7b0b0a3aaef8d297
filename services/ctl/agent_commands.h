// netaccelctl's kubectl-like commands over netaccel-agent: apply, delete, get.
#pragma once

#include <systemd/sd-bus.h>

#include <string>
#include <vector>

namespace netaccel::ctl {

// -f FILE|DIR|- for each entry of `paths`; a directory contributes its *.yaml, *.yml and
// *.json files. All files are one change: every object or none.
int agent_apply(sd_bus* bus, const std::vector<std::string>& paths);
int agent_delete_files(sd_bus* bus, const std::vector<std::string>& paths);
int agent_delete(sd_bus* bus, const std::string& kind, const std::string& ns, const std::string& name);
// output: "" (a table), "yaml" or "json". ns empty with all_namespaces false: "default".
int agent_get(sd_bus* bus, const std::string& kind, const std::string& name, const std::string& ns, bool all_namespaces,
              const std::string& output);
int agent_get_endpoints(sd_bus* bus, const std::string& output);

}  // namespace netaccel::ctl

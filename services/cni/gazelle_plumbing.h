// The user-mode CNI's side effects, each undone by DEL: the second address from the
// delegated IPAM plugin, the host route to it through the pod's bridge or host veth, and
// <confDir>/<container id>/lstack.conf with its by-netns link (gazelle/cni_layout.h).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "gazelle_cni.h"

namespace netaccel::cni {

// ADD: everything or nothing (a step that fails undoes the ones before it). Returns the
// record the agent keeps in the endpoint: {"address", "conf"}.
std::variant<nlohmann::json, CniError> gazelle_add(const Invocation& inv, const GazelleConfig& g, const std::string& host_dev);
// DEL: idempotent; works without the netns and without prevResult.
std::optional<CniError> gazelle_del(const Invocation& inv, const GazelleConfig& g);
// CHECK: the file is there, and so is the route through host_dev (when known).
std::optional<CniError> gazelle_check(const Invocation& inv, const GazelleConfig& g, const std::string& host_dev);

}  // namespace netaccel::cni

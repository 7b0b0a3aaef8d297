// The netaccel CNI plugin's logic (CNI spec 1.0, chained after bridge or ptp): what the
// runtime gave (environment, network config, prevResult) turned into the endpoint the agent
// stores, and the replies the spec asks for. No I/O here: main.cpp reads, calls, writes.
#pragma once

#include <functional>
#include <map>
#include <variant>
#include <nlohmann/json.hpp>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel::cni {

// CNI's error codes (spec "Error"): the ones this plugin returns.
enum class CniCode {
  incompatible_version = 1,
  invalid_env = 4,
  io_failure = 5,
  decode_failure = 6,
  invalid_config = 7,
  try_again_later = 11,
  not_registered = 100,    // plugin-specific (>= 100): CHECK found no endpoint
  fastpath_missing = 101,  // CHECK: a running netaccel service lacks the pod's fast path
};

struct CniError {
  CniCode code;
  std::string msg, details;
};

// The CNI_* environment as the runtime sets it.
struct CniEnv {
  std::string command, container_id, netns, ifname, args;  // args: "K=V;K2=V2"
};

struct Invocation {
  CniEnv env;
  nlohmann::json config;  // the network config from stdin
  std::string version;    // config's cniVersion
  // "busAddress" in the config: the bus netaccel-agent is on, for runtimes that run DEL
  // without the caller's environment (podman's cleanup); empty: the system bus.
  std::string bus_address() const { return config.value("busAddress", ""); }
};

// Checks the environment and the config; errors name the variable or field.
std::variant<Invocation, CniError> parse_invocation(const CniEnv& env, const std::string& stdin_text);

// The endpoint the agent stores (agent's RegisterEndpoint JSON) from the prevResult the
// plugin before it wrote: the interface in the container's netns, its addresses, the host
// side veth; pod identity and labels from CNI_ARGS (K8S_POD_*) and args.cni.labels.
// `is_bridge(name)` tells the host side bridge from the host side veth.
std::variant<nlohmann::json, CniError> endpoint_of(const Invocation& inv, const std::function<bool(const std::string&)>& is_bridge);

// ADD's output: prevResult passed through unchanged (the spec asks a plugin that does not
// change the result to return what it got).
nlohmann::json add_result(const Invocation& inv);
nlohmann::json version_reply();
nlohmann::json error_reply(const std::string& version, const CniError& e);

// "K=V;K2=V2" as CNI_ARGS carries it.
std::map<std::string, std::string> parse_cni_args(const std::string& args);

}  // namespace netaccel::cni

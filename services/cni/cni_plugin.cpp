#include "cni_plugin.h"

#include <sys/socket.h>

#include <algorithm>

#include "netaccel/core/prefix.h"

namespace netaccel::cni {

namespace {
const char* kSupported[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0"};

CniError config_error(const std::string& msg) { return {CniCode::invalid_config, msg, ""}; }
}  // namespace

std::map<std::string, std::string> parse_cni_args(const std::string& args) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= args.size()) {
    size_t end = args.find(';', start);
    std::string kv = args.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (auto eq = kv.find('='); eq != std::string::npos && eq > 0) out[kv.substr(0, eq)] = kv.substr(eq + 1);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::variant<Invocation, CniError> parse_invocation(const CniEnv& env, const std::string& stdin_text) {
  Invocation inv{env, {}, ""};
  if (env.command != "VERSION") {
    if (env.command != "ADD" && env.command != "DEL" && env.command != "CHECK")
      return CniError{CniCode::invalid_env, "CNI_COMMAND: '" + env.command + "' is not ADD, DEL, CHECK or VERSION", ""};
    if (env.container_id.empty()) return CniError{CniCode::invalid_env, "CNI_CONTAINERID: required", ""};
    if (env.ifname.empty()) return CniError{CniCode::invalid_env, "CNI_IFNAME: required", ""};
    if (env.command != "DEL" && env.netns.empty()) return CniError{CniCode::invalid_env, "CNI_NETNS: required for " + env.command, ""};
  }
  inv.config = nlohmann::json::parse(stdin_text, nullptr, false);
  if (inv.config.is_discarded() || !inv.config.is_object())
    return CniError{CniCode::decode_failure, "network configuration on stdin is not a JSON object", ""};
  if (!inv.config.contains("cniVersion") || !inv.config["cniVersion"].is_string()) return config_error("cniVersion: required");
  inv.version = inv.config["cniVersion"].get<std::string>();
  if (std::none_of(std::begin(kSupported), std::end(kSupported), [&](const char* v) { return inv.version == v; }))
    return CniError{CniCode::incompatible_version, "cniVersion " + inv.version + " is not supported", "supported: 0.3.0-1.0.0"};
  for (const char* f : {"name", "type"})
    if (!inv.config.contains(f) || !inv.config[f].is_string()) return config_error(std::string(f) + ": required");
  if (inv.config.contains("busAddress") && (!inv.config["busAddress"].is_string() || inv.config["busAddress"].get<std::string>().empty()))
    return config_error("busAddress: must be a D-Bus address such as unix:path=/run/dbus/system_bus_socket");
  if (inv.config.contains("prevResult") && !inv.config["prevResult"].is_object()) return config_error("prevResult: must be an object");
  if (env.command == "ADD" && !inv.config.contains("prevResult"))
    return config_error("prevResult: missing; netaccel is a chained plugin (put it after bridge or ptp in the conflist)");
  return inv;
}

std::variant<nlohmann::json, CniError> endpoint_of(const Invocation& inv, const std::function<bool(const std::string&)>& is_bridge) {
  const auto& prev = inv.config["prevResult"];
  const auto ifaces = prev.value("interfaces", nlohmann::json::array());
  if (!ifaces.is_array()) return config_error("prevResult.interfaces: must be a list");
  int container_index = -1;
  std::string host_veth, bridge;
  for (size_t i = 0; i < ifaces.size(); ++i) {
    const auto& it = ifaces[i];
    if (!it.is_object() || !it.contains("name") || !it["name"].is_string())
      return config_error("prevResult.interfaces[" + std::to_string(i) + "].name: required");
    std::string name = it["name"];
    std::string sandbox = it.value("sandbox", "");
    if (!sandbox.empty()) {
      if (name == inv.env.ifname) container_index = static_cast<int>(i);
    } else if (is_bridge(name)) {
      bridge = name;
    } else {
      host_veth = name;
    }
  }
  if (container_index < 0)
    return config_error("prevResult.interfaces: no interface " + inv.env.ifname + " in the container (the plugin before did not create it)");
  nlohmann::json ep = {{"containerId", inv.env.container_id}, {"ifname", inv.env.ifname}, {"netns", inv.env.netns},
                       {"hostVeth", host_veth}, {"bridge", bridge}};
  const auto ips = prev.value("ips", nlohmann::json::array());
  for (size_t i = 0; ips.is_array() && i < ips.size(); ++i) {
    const auto& ip = ips[i];
    // An address on another interface of the result (a second plugin's) is not this endpoint's.
    if (ip.contains("interface") && ip["interface"].is_number_integer() && ip["interface"].get<int>() != container_index) continue;
    auto p = parse_prefix(ip.value("address", ""), true);
    if (!p) return config_error("prevResult.ips[" + std::to_string(i) + "].address: " + p.error().message);
    std::string addr = to_string(*p);
    addr = addr.substr(0, addr.find('/'));
    const char* key = p->family == AF_INET ? "ipv4" : "ipv6";
    if (!ep.contains(key)) ep[key] = addr;
  }
  auto args = parse_cni_args(inv.env.args);
  ep["podNamespace"] = args.count("K8S_POD_NAMESPACE") ? args["K8S_POD_NAMESPACE"] : "";
  ep["podName"] = args.count("K8S_POD_NAME") ? args["K8S_POD_NAME"] : "";
  ep["podUid"] = args.count("K8S_POD_UID") ? args["K8S_POD_UID"] : "";
  nlohmann::json labels = nlohmann::json::object();
  // CNI conventions: args.cni.labels is a list of {"key", "value"}.
  if (inv.config.contains("args") && inv.config["args"].is_object() && inv.config["args"].contains("cni")) {
    const auto& l = inv.config["args"]["cni"].value("labels", nlohmann::json::array());
    for (size_t i = 0; l.is_array() && i < l.size(); ++i) {
      if (!l[i].is_object() || !l[i].contains("key") || !l[i]["key"].is_string() || !l[i].contains("value") || !l[i]["value"].is_string())
        return config_error("args.cni.labels[" + std::to_string(i) + "]: needs string key and value");
      labels[l[i]["key"].get<std::string>()] = l[i]["value"];
    }
  }
  ep["labels"] = labels;
  return ep;
}

nlohmann::json add_result(const Invocation& inv) {
  nlohmann::json r = inv.config["prevResult"];
  r["cniVersion"] = inv.version;
  return r;
}

nlohmann::json version_reply() {
  return {{"cniVersion", "1.0.0"}, {"supportedVersions", nlohmann::json(std::vector<std::string>(std::begin(kSupported), std::end(kSupported)))}};
}

nlohmann::json error_reply(const std::string& version, const CniError& e) {
  nlohmann::json j = {{"cniVersion", version.empty() ? "1.0.0" : version}, {"code", static_cast<int>(e.code)}, {"msg", e.msg}};
  if (!e.details.empty()) j["details"] = e.details;
  return j;
}

}  // namespace netaccel::cni

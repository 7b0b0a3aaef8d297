// netaccel: the CNI plugin (chained after bridge or ptp). Registers the pod's endpoint with
// netaccel-agent on ADD, forgets it on DEL, asks for it on CHECK. A netaccel that is not
// running never fails ADD or DEL: the pod keeps the kernel path and the runtime is warned.
#include <systemd/sd-bus.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "agent/dbus_api.h"
#include "cni_plugin.h"
#include "gazelle_plumbing.h"

using namespace netaccel;
using namespace netaccel::cni;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int fail(const std::string& version, const CniError& e) {
  std::printf("%s\n", error_reply(version, e).dump().c_str());
  return 1;
}

// A bus call to the agent; on failure the message, for the warning or the error.
struct AgentCall {
  sd_bus* bus = nullptr;
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  std::string failure;
  ~AgentCall() {
    sd_bus_message_unref(reply);
    sd_bus_error_free(&err);
    sd_bus_flush_close_unref(bus);
  }
  bool connect(const std::string& address) {
    int r = 0;
    if (address.empty()) {
      r = sd_bus_open_system(&bus);
    } else if ((r = sd_bus_new(&bus)) >= 0 && (r = sd_bus_set_address(bus, address.c_str())) >= 0 &&
               (r = sd_bus_set_bus_client(bus, 1)) >= 0) {
      r = sd_bus_start(bus);
    }
    if (r < 0) {
      failure = (address.empty() ? std::string("system bus") : "bus " + address) + ": " + strerror(-r);
      return false;
    }
    return true;
  }
  bool done(int r, const char* what) {
    if (r >= 0) return true;
    failure = std::string(what) + ": " + (sd_bus_error_is_set(&err) ? err.message : strerror(-r));
    return false;
  }
  bool not_found() const { return sd_bus_error_has_name(&err, "org.openeuler.NetAccel1.Error.NotFound"); }
};

bool is_bridge(const std::string& name) {
  std::error_code ec;
  return std::filesystem::exists("/sys/class/net/" + name + "/bridge", ec);
}

}  // namespace

int main() {
  CniEnv e{env("CNI_COMMAND"), env("CNI_CONTAINERID"), env("CNI_NETNS"), env("CNI_IFNAME"), env("CNI_ARGS")};
  if (e.command == "VERSION") {
    std::printf("%s\n", version_reply().dump().c_str());
    return 0;
  }
  std::stringstream in;
  in << std::cin.rdbuf();
  auto parsed = parse_invocation(e, in.str());
  if (auto* err = std::get_if<CniError>(&parsed)) return fail("", *err);
  auto& inv = std::get<Invocation>(parsed);
  namespace ag = netaccel::agent;
  auto gz_parsed = gazelle_config(inv);
  if (auto* err = std::get_if<CniError>(&gz_parsed)) return fail(inv.version, *err);
  const auto& gazelle = std::get<std::optional<GazelleConfig>>(gz_parsed);
  // The interface the host reaches the pod through: its bridge, else its host veth.
  auto host_dev = [](const nlohmann::json& ep) {
    std::string bridge = ep.value("bridge", "");
    return bridge.empty() ? ep.value("hostVeth", "") : bridge;
  };

  if (e.command == "ADD") {
    auto ep = endpoint_of(inv, is_bridge);
    if (auto* err = std::get_if<CniError>(&ep)) return fail(inv.version, *err);
    auto& endpoint = std::get<nlohmann::json>(ep);
    if (gazelle) {  // asked for by the config: failing here fails ADD, the runtime then DELs
      auto record = gazelle_add(inv, *gazelle, host_dev(endpoint));
      if (auto* err = std::get_if<CniError>(&record)) return fail(inv.version, *err);
      endpoint["gazelle"] = std::get<nlohmann::json>(record);
    }
    AgentCall c;
    if (!c.connect(inv.bus_address()) || !c.done(sd_bus_call_method(c.bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "RegisterEndpoint", &c.err,
                                                   &c.reply, "s", endpoint.dump().c_str()),
                                "RegisterEndpoint"))
      std::fprintf(stderr, "netaccel: warning: %s; pod %s keeps the kernel data path\n", c.failure.c_str(), e.container_id.c_str());
    std::printf("%s\n", add_result(inv).dump().c_str());
    return 0;
  }
  if (e.command == "DEL") {  // idempotent: a pod never added, or DEL twice, is not an error
    AgentCall c;
    if (!c.connect(inv.bus_address()) || !c.done(sd_bus_call_method(c.bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "UnregisterEndpoint", &c.err,
                                                   &c.reply, "ss", e.container_id.c_str(), e.ifname.c_str()),
                                "UnregisterEndpoint"))
      std::fprintf(stderr, "netaccel: warning: %s\n", c.failure.c_str());
    if (gazelle)
      if (auto err = gazelle_del(inv, *gazelle)) return fail(inv.version, *err);
    return 0;
  }
  if (gazelle) {
    std::string dev;
    if (inv.config.contains("prevResult"))
      if (auto ep = endpoint_of(inv, is_bridge); auto* j = std::get_if<nlohmann::json>(&ep)) dev = host_dev(*j);
    if (auto err = gazelle_check(inv, *gazelle, dev)) return fail(inv.version, *err);
  }
  // CHECK: the agent holds the endpoint, and the services that run have its fast path.
  AgentCall c;
  const std::string id = e.container_id + "/" + e.ifname;
  if (!c.connect(inv.bus_address()) ||
      !c.done(sd_bus_call_method(c.bus, ag::kBusName, ag::kObjectPath, ag::kInterface, "CheckEndpoint", &c.err, &c.reply, "s", id.c_str()),
              "CheckEndpoint")) {
    if (!c.not_found()) return fail(inv.version, {CniCode::try_again_later, c.failure, id});
    bool unknown = c.failure.find("endpoint " + id) != std::string::npos;
    return fail(inv.version, {unknown ? CniCode::not_registered : CniCode::fastpath_missing, c.failure, id});
  }
  const char* warning = nullptr;
  if (sd_bus_message_enter_container(c.reply, 'a', "s") >= 0)
    while (sd_bus_message_read(c.reply, "s", &warning) > 0) std::fprintf(stderr, "netaccel: warning: %s\n", warning);
  return 0;
}

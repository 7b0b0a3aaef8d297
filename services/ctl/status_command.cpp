#include "status_command.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/dbus_api.h"
#include "fwd/dbus_api.h"
#include "iptables/dbus_api.h"
#include "policy/dbus_api.h"
#include "sockmap/dbus_api.h"

namespace netaccel::ctl {

namespace {

struct Service {
  const char *bus_name, *path, *iface;
};

struct Row {
  std::string service, state, accelerates;
};

// Reads one property; on failure `state` says why in the words an operator needs.
class Props {
 public:
  Props(sd_bus* bus, const Service& s) : bus_(bus), s_(s) {}
  std::optional<std::string> str(const char* prop, std::string* state) const {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    char* v = nullptr;
    int r = sd_bus_get_property_string(bus_, s_.bus_name, s_.path, s_.iface, prop, &err, &v);
    if (r < 0) return fail(r, err, state);
    std::string out = v;
    free(v);
    return out;
  }
  std::optional<uint32_t> u32(const char* prop, std::string* state) const {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    uint32_t v = 0;
    int r = sd_bus_get_property_trivial(bus_, s_.bus_name, s_.path, s_.iface, prop, &err, 'u', &v);
    if (r < 0) return fail<uint32_t>(r, err, state);
    return v;
  }
  std::optional<std::vector<std::string>> strv(const char* prop, std::string* state) const {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    char** v = nullptr;
    int r = sd_bus_get_property_strv(bus_, s_.bus_name, s_.path, s_.iface, prop, &err, &v);
    if (r < 0) return fail<std::vector<std::string>>(r, err, state);
    std::vector<std::string> out;
    for (char** p = v; p && *p; ++p) {
      out.emplace_back(*p);
      free(*p);
    }
    free(v);
    return out;
  }

 private:
  template <typename T = std::string>
  std::optional<T> fail(int r, sd_bus_error& err, std::string* state) const {
    if (sd_bus_error_has_name(&err, "org.freedesktop.DBus.Error.ServiceUnknown") ||
        sd_bus_error_has_name(&err, "org.freedesktop.DBus.Error.NameHasNoOwner"))
      *state = "not running";
    else
      *state = std::string("error: ") + (sd_bus_error_is_set(&err) ? err.message : strerror(-r));
    sd_bus_error_free(&err);
    return std::nullopt;
  }
  sd_bus* bus_;
  Service s_;
};

std::string plural(uint32_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

// A data-path daemon's row: its Version says it runs, `summary` reads what it does now.
using Summary = std::optional<std::string> (*)(const Props&, std::string* state);
Row daemon_row(sd_bus* bus, const char* name, const Service& s, const char* path, Summary summary) {
  Row row{name, "", path};
  Props p(bus, s);
  auto v = p.str("Version", &row.state);
  if (!v) return row;
  auto what = summary(p, &row.state);
  if (!what) return row;
  row.state = "running " + *v;
  row.accelerates += ": " + *what;
  return row;
}

std::optional<std::string> fwd_summary(const Props& p, std::string* state) {
  auto n = p.u32("AttachedCount", state);
  auto hook = n ? p.str("Mode", state) : std::nullopt;
  if (!hook) return std::nullopt;
  return plural(*n, "veth", "veths") + " attached (default hook " + *hook + ")";
}

std::optional<std::string> sockmap_summary(const Props& p, std::string* state) {
  auto n = p.u32("EnabledCount", state);
  if (!n) return std::nullopt;
  return plural(*n, "cgroup", "cgroups") + " enabled";
}

std::optional<std::string> iptables_summary(const Props& p, std::string* state) {
  auto rules = p.u32("RuleCount", state);
  auto chains = rules ? p.u32("ChainCount", state) : std::nullopt;
  if (!chains) return std::nullopt;
  return plural(*rules, "rule", "rules") + " in " + plural(*chains, "chain", "chains") + " (IPv4)";
}

std::optional<std::string> policy_summary(const Props& p, std::string* state) {
  auto policies = p.u32("PolicyCount", state);
  auto pods = policies ? p.u32("EndpointCount", state) : std::nullopt;
  auto ids = pods ? p.u32("IdentityCount", state) : std::nullopt;
  if (!ids) return std::nullopt;
  return plural(*policies, "policy", "policies") + " on " + plural(*pods, "pod", "pods") + ", " + plural(*ids, "identity", "identities");
}

// A call to the agent; the reply (or nullptr) is the caller's to unref.
sd_bus_message* agent_call(sd_bus* bus, const char* method, const char* id = nullptr) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = id ? sd_bus_call_method(bus, agent::kBusName, agent::kObjectPath, agent::kInterface, method, &err, &reply, "s", id)
             : sd_bus_call_method(bus, agent::kBusName, agent::kObjectPath, agent::kInterface, method, &err, &reply, "");
  sd_bus_error_free(&err);
  return r < 0 ? nullptr : reply;
}

// How many nodes have pods in the cluster view.
size_t cluster_nodes(sd_bus* bus) {
  std::set<std::string> nodes;
  sd_bus_message* reply = agent_call(bus, "ListClusterEndpoints");
  const char *node, *id, *json;
  if (reply && sd_bus_message_enter_container(reply, 'a', "(sss)") >= 0)
    while (sd_bus_message_read(reply, "(sss)", &node, &id, &json) > 0) nodes.insert(node);
  sd_bus_message_unref(reply);
  return nodes.size();
}

// This node's pods that have libgazelle's second address (GetEndpoint names it; ListEndpoints does not).
uint32_t gazelle_pods(sd_bus* bus) {
  std::vector<std::string> ids;
  sd_bus_message* list = agent_call(bus, "ListEndpoints");
  const char* f[7];
  if (list && sd_bus_message_enter_container(list, 'a', "(sssssss)") >= 0)
    while (sd_bus_message_read(list, "(sssssss)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]) > 0) ids.emplace_back(f[0]);
  sd_bus_message_unref(list);
  uint32_t n = 0;
  for (const auto& id : ids) {
    sd_bus_message* reply = agent_call(bus, "GetEndpoint", id.c_str());
    const char* text = nullptr;
    if (reply && sd_bus_message_read(reply, "s", &text) > 0) {
      auto ep = nlohmann::json::parse(text, nullptr, false);
      if (ep.is_object() && ep.contains("gazelle")) ++n;
    }
    sd_bus_message_unref(reply);
  }
  return n;
}

// The agent's row, and libgazelle's (a library, known by the agent's endpoints).
std::vector<Row> agent_rows(sd_bus* bus) {
  Row row{"netaccel-agent", "", "pods <-> runtime"};
  Row gazelle{"libgazelle", "library", "intra-pod"};
  Props p(bus, {agent::kBusName, agent::kObjectPath, agent::kInterface});
  auto v = p.str("Version", &row.state);
  auto objects = v ? p.u32("ObjectCount", &row.state) : std::nullopt;
  auto endpoints = objects ? p.u32("EndpointCount", &row.state) : std::nullopt;
  auto etcd = endpoints ? p.strv("EtcdEndpoints", &row.state) : std::nullopt;
  if (!etcd) {
    gazelle.accelerates += ": pods with a user-mode address unknown (agent " + row.state + ")";
    return {row, gazelle};
  }
  row.state = "running " + *v;
  row.accelerates += ": " + plural(*endpoints, "pod", "pods") + ", " + plural(*objects, "object", "objects");
  if (etcd->empty())
    row.accelerates += ", cluster mode off";
  else
    row.accelerates += ", cluster mode (" + plural(static_cast<uint32_t>(etcd->size()), "etcd member", "etcd members") + ", pods on " +
                       plural(static_cast<uint32_t>(cluster_nodes(bus)), "node", "nodes") + ")";
  gazelle.accelerates += ": " + plural(gazelle_pods(bus), "pod", "pods") + " with a user-mode address";
  return {row, gazelle};
}

}  // namespace

int node_status(sd_bus* bus) {
  std::vector<Row> rows{
      daemon_row(bus, "netaccel-fwd", {fwd::kBusName, fwd::kObjectPath, fwd::kInterface}, "pod to pod", fwd_summary),
      daemon_row(bus, "netaccel-sockmap", {sockmap::kBusName, sockmap::kObjectPath, sockmap::kInterface}, "sockets", sockmap_summary),
      daemon_row(bus, "netaccel-iptables", {ipt::kBusName, ipt::kObjectPath, ipt::kInterface}, "iptables", iptables_summary),
      daemon_row(bus, "netaccel-policy", {policy::kBusName, policy::kObjectPath, policy::kInterface}, "network policy", policy_summary)};
  for (auto& r : agent_rows(bus)) rows.push_back(std::move(r));
  size_t w0 = 7, w1 = 5;
  for (const auto& r : rows) {
    w0 = std::max(w0, r.service.size());
    w1 = std::max(w1, r.state.size());
  }
  std::printf("%-*s  %-*s  %s\n", static_cast<int>(w0), "SERVICE", static_cast<int>(w1), "STATE", "ACCELERATES");
  for (const auto& r : rows)
    std::printf("%-*s  %-*s  %s\n", static_cast<int>(w0), r.service.c_str(), static_cast<int>(w1), r.state.c_str(), r.accelerates.c_str());
  return 0;
}

}  // namespace netaccel::ctl

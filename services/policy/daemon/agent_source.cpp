#include "agent_source.h"

#include "agent/dbus_api.h"
#include "netaccel/core/bus.h"

namespace netaccel::policy {

AgentSource::~AgentSource() {
  for (auto* s : slots_) sd_bus_slot_unref(s);
}

Result<std::string> AgentSource::objects(const std::string& kind) {
  BusReply r;
  int rc = sd_bus_call_method(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "Get", &r.err, &r.reply, "sss", kind.c_str(), "", "");
  if (rc < 0) return bus_call_error(rc, &r.err, "netaccel-agent Get " + kind);
  const char* text = nullptr;
  if ((rc = sd_bus_message_read(r.reply, "s", &text)) < 0) return errno_error(rc, "netaccel-agent Get " + kind + ": reply");
  return std::string(text);
}

Result<std::vector<EndpointRecord>> AgentSource::local_endpoints() {
  BusReply list;
  int rc = sd_bus_call_method(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "ListEndpoints", &list.err, &list.reply, "");
  if (rc < 0) return bus_call_error(rc, &list.err, "netaccel-agent ListEndpoints");
  std::vector<std::string> ids;
  const char* f[7];
  rc = sd_bus_message_enter_container(list.reply, 'a', "(sssssss)");
  while (rc >= 0 && (rc = sd_bus_message_read(list.reply, "(sssssss)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6])) > 0) ids.emplace_back(f[0]);
  if (rc < 0) return errno_error(rc, "netaccel-agent ListEndpoints: reply");
  std::vector<EndpointRecord> out;
  for (const auto& id : ids) {
    BusReply one;
    rc = sd_bus_call_method(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "GetEndpoint", &one.err, &one.reply, "s", id.c_str());
    if (rc < 0) {
      auto e = bus_call_error(rc, &one.err, "netaccel-agent GetEndpoint " + id);
      if (e.code == make_error_code(Errc::not_found)) continue;  // removed meanwhile
      return e;
    }
    const char* json = nullptr;
    if ((rc = sd_bus_message_read(one.reply, "s", &json)) < 0) return errno_error(rc, "netaccel-agent GetEndpoint " + id + ": reply");
    auto ep = parse_endpoint_json(json);
    if (!ep) return ep.error();
    out.push_back(std::move(*ep));
  }
  return out;
}

Result<std::vector<EndpointRecord>> AgentSource::remote_endpoints() {
  BusReply r;
  int rc = sd_bus_call_method(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "ListClusterEndpoints", &r.err, &r.reply, "");
  if (rc < 0) return bus_call_error(rc, &r.err, "netaccel-agent ListClusterEndpoints");
  std::vector<EndpointRecord> out;
  const char *node, *id, *json;
  rc = sd_bus_message_enter_container(r.reply, 'a', "(sss)");
  while (rc >= 0 && (rc = sd_bus_message_read(r.reply, "(sss)", &node, &id, &json)) > 0) {
    auto ep = parse_endpoint_json(json);
    if (!ep) return ep.error();
    ep->host_veth.clear();  // another node's veth means nothing here
    out.push_back(std::move(*ep));
  }
  if (rc < 0) return errno_error(rc, "netaccel-agent ListClusterEndpoints: reply");
  return out;
}

Result<AgentSource::ClusterEtcd> AgentSource::cluster_etcd() {
  ClusterEtcd out;
  BusReply r;
  int rc = sd_bus_get_property(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "EtcdEndpoints", &r.err, &r.reply, "as");
  if (rc < 0) return bus_call_error(rc, &r.err, "netaccel-agent EtcdEndpoints");
  char** urls = nullptr;
  if ((rc = sd_bus_message_read_strv(r.reply, &urls)) < 0) return errno_error(rc, "netaccel-agent EtcdEndpoints: reply");
  for (char** u = urls; u && *u; ++u) {
    out.endpoints.emplace_back(*u);
    free(*u);
  }
  free(urls);
  if (out.endpoints.empty()) return out;
  BusReply p;
  char* prefix = nullptr;
  rc = sd_bus_get_property_string(bus_, agent::kBusName, agent::kObjectPath, agent::kInterface, "EtcdPrefix", &p.err, &prefix);
  if (rc < 0) return bus_call_error(rc, &p.err, "netaccel-agent EtcdPrefix");
  out.prefix = prefix;
  free(prefix);
  return out;
}

Status AgentSource::watch(std::function<void()> changed) {
  changed_ = std::move(changed);
  auto handler = [](sd_bus_message*, void* u, sd_bus_error*) -> int {
    static_cast<AgentSource*>(u)->changed_();
    return 0;
  };
  std::vector<std::string> rules;
  for (const char* member : {"ObjectChanged", "EndpointAdded", "EndpointChanged", "EndpointRemoved", "ClusterEndpointChanged"})
    rules.push_back(std::string("type='signal',sender='") + agent::kBusName + "',interface='" + agent::kInterface + "',member='" + member + "'");
  rules.push_back(std::string("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='") + agent::kBusName + "'");
  for (const auto& rule : rules) {
    sd_bus_slot* slot = nullptr;
    if (int r = sd_bus_add_match(bus_, &slot, rule.c_str(), handler, this); r < 0) return errno_error(r, "watch netaccel-agent (" + rule + ")");
    slots_.push_back(slot);
  }
  return {};
}

}  // namespace netaccel::policy

#include "agent_bus.h"

#include <cstring>

#include "netaccel/core/log.h"

#ifndef NETACCEL_VERSION
#define NETACCEL_VERSION "0"
#endif

namespace netaccel::agent {

namespace {
// a(ssss): what was done ("created", ...), kind, namespace, name, as kubectl prints it.
int reply_changes(sd_bus_message* m, sd_bus_error* e, const Result<std::vector<Change>>& r, const std::string& what) {
  if (!r) {
    log::notice(what + " refused: " + r.error().what());
    return bus_fail(e, r.error());
  }
  sd_bus_message* reply = nullptr;
  int rc = sd_bus_message_new_method_return(m, &reply);
  if (rc >= 0) rc = sd_bus_message_open_container(reply, 'a', "(ssss)");
  for (const auto& c : *r)
    if (rc >= 0) rc = sd_bus_message_append(reply, "(ssss)", change_name(c.what), c.key.kind.c_str(), c.key.ns.c_str(), c.key.name.c_str());
  return bus_finish_container_reply(reply, rc);
}

const char* endpoint_change_name(EndpointChange c) {
  switch (c) {
    case EndpointChange::added: return "added";
    case EndpointChange::changed: return "changed";
    case EndpointChange::unchanged: return "unchanged";
    case EndpointChange::removed: return "removed";
  }
  return "?";
}
}  // namespace

// a(ss): (source, yaml) per file; the whole array is one change.
int AgentBus::apply(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  std::vector<YamlSource> sources;
  int r = sd_bus_message_enter_container(m, 'a', "(ss)");
  const char *source = nullptr, *yaml = nullptr;
  while (r >= 0 && (r = sd_bus_message_read(m, "(ss)", &source, &yaml)) > 0) sources.push_back({*source ? source : "Apply", yaml});
  if (r >= 0) r = sd_bus_message_exit_container(m);
  if (r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  if (sources.empty()) return bus_fail(e, make_error(Errc::invalid_argument, "Apply: no files given"));
  return reply_changes(m, e, self->svc_.apply(sources), "Apply(" + sources.front().name + (sources.size() > 1 ? ", ..." : "") + ")");
}

int AgentBus::remove(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char *yaml = nullptr, *source = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &yaml, &source); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return reply_changes(m, e, self->svc_.remove(yaml, *source ? source : "Delete"), std::string("Delete(") + source + ")");
}

int AgentBus::remove_object(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char *kind = nullptr, *ns = nullptr, *name = nullptr;
  if (int r = sd_bus_message_read(m, "sss", &kind, &ns, &name); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return reply_changes(m, e, self->svc_.remove(kind, ns, name), std::string("DeleteObject(") + kind + " " + name + ")");
}

int AgentBus::get(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char *kind = nullptr, *ns = nullptr, *name = nullptr;
  if (int r = sd_bus_message_read(m, "sss", &kind, &ns, &name); r < 0) return r;
  auto yaml = self->svc_.get(kind, ns, name);
  if (!yaml) return bus_fail(e, yaml.error());
  return sd_bus_reply_method_return(m, "s", yaml->c_str());
}

int AgentBus::register_endpoint(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char* json = nullptr;
  if (int r = sd_bus_message_read(m, "s", &json); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  auto what = self->svc_.register_endpoint(json, "RegisterEndpoint");
  if (!what) {
    log::notice("RegisterEndpoint refused: " + what.error().what());
    return bus_fail(e, what.error());
  }
  return sd_bus_reply_method_return(m, "s", endpoint_change_name(*what));
}

int AgentBus::unregister_endpoint(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char *id = nullptr, *ifname = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &id, &ifname); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  auto removed = self->svc_.unregister_endpoint(id, ifname);
  if (!removed) {
    log::notice(std::string("UnregisterEndpoint(") + id + ") refused: " + removed.error().what());
    return bus_fail(e, removed.error());
  }
  return sd_bus_reply_method_return(m, "b", static_cast<int>(*removed));
}

int AgentBus::list_endpoints(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<AgentBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(sssssss)");
  for (const auto& ep : self->svc_.endpoints())
    if (r >= 0)
      r = sd_bus_message_append(reply, "(sssssss)", ep.id().c_str(), ep.netns.c_str(), ep.host_veth.c_str(), ep.ipv4.c_str(),
                                ep.ipv6.c_str(), ep.pod_namespace.c_str(), ep.pod_name.c_str());
  return bus_finish_container_reply(reply, r);
}

void AgentBus::set_cluster(ClusterSync* c) {
  cluster_ = c;
  c->on_endpoint([this](const char* change, const ClusterEndpoint& ep) {
    sd_bus_emit_signal(bus_.bus(), kObjectPath, kInterface, "ClusterEndpointChanged", "sss", change, ep.node.c_str(), ep.id.c_str());
  });
}

// a(sss): node, endpoint id, the endpoint's JSON; every node's pods as etcd has them.
int AgentBus::list_cluster_endpoints(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<AgentBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(sss)");
  if (self->cluster_)
    for (const auto& ep : self->cluster_->endpoints())
      if (r >= 0) r = sd_bus_message_append(reply, "(sss)", ep.node.c_str(), ep.id.c_str(), ep.json.c_str());
  return bus_finish_container_reply(reply, r);
}

int AgentBus::get_endpoint(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char* id = nullptr;
  if (int r = sd_bus_message_read(m, "s", &id); r < 0) return r;
  auto ep = self->svc_.endpoint(id);
  if (!ep) return bus_fail(e, make_error(Errc::not_found, std::string("endpoint ") + id + " not found"));
  return sd_bus_reply_method_return(m, "s", to_json(*ep).dump().c_str());
}

// as: the warnings (a service not running), or the named error CNI CHECK turns into its own.
int AgentBus::check_endpoint(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<AgentBus*>(u);
  const char* id = nullptr;
  if (int r = sd_bus_message_read(m, "s", &id); r < 0) return r;
  auto warnings = self->svc_.check_endpoint(id);
  if (!warnings) return bus_fail(e, warnings.error());
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "s");
  for (const auto& w : *warnings)
    if (r >= 0) r = sd_bus_message_append(reply, "s", w.c_str());
  return bus_finish_container_reply(reply, r);
}

int AgentBus::prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*) {
  auto* self = static_cast<AgentBus*>(u);
  if (std::strcmp(name, "Version") == 0) return sd_bus_message_append(reply, "s", NETACCEL_VERSION);
  if (std::strcmp(name, "ObjectCount") == 0) return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.object_count()));
  if (std::strcmp(name, "EndpointCount") == 0)
    return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.endpoints().size()));
  if (std::strcmp(name, "StateDirectory") == 0) return sd_bus_message_append(reply, "s", self->svc_.config().state_dir.c_str());
  if (std::strcmp(name, "EtcdEndpoints") == 0) {  // empty: cluster mode is off
    int r = sd_bus_message_open_container(reply, 'a', "s");
    for (const auto& e : self->svc_.config().etcd_endpoints)
      if (r >= 0) r = sd_bus_message_append(reply, "s", e.c_str());
    return r < 0 ? r : sd_bus_message_close_container(reply);
  }
  // Where the cluster's keys are: netaccel-policy keeps its identities beside them.
  if (std::strcmp(name, "EtcdPrefix") == 0) return sd_bus_message_append(reply, "s", self->svc_.config().etcd_prefix.c_str());
  return -ENOENT;
}

Status AgentBus::register_object() {
  static const sd_bus_vtable vtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD_WITH_NAMES("Apply", "a(ss)", SD_BUS_PARAM(files), "a(ssss)", SD_BUS_PARAM(changes), &AgentBus::apply,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Delete", "ss", SD_BUS_PARAM(yaml) SD_BUS_PARAM(source), "a(ssss)", SD_BUS_PARAM(changes), &AgentBus::remove,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("DeleteObject", "sss", SD_BUS_PARAM(kind) SD_BUS_PARAM(namespace) SD_BUS_PARAM(name), "a(ssss)",
                               SD_BUS_PARAM(changes), &AgentBus::remove_object, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Get", "sss", SD_BUS_PARAM(kind) SD_BUS_PARAM(namespace) SD_BUS_PARAM(name), "s", SD_BUS_PARAM(yaml),
                               &AgentBus::get, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("RegisterEndpoint", "s", SD_BUS_PARAM(endpoint), "s", SD_BUS_PARAM(change), &AgentBus::register_endpoint,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("UnregisterEndpoint", "ss", SD_BUS_PARAM(container_id) SD_BUS_PARAM(ifname), "b", SD_BUS_PARAM(removed),
                               &AgentBus::unregister_endpoint, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListEndpoints", "", , "a(sssssss)", SD_BUS_PARAM(endpoints), &AgentBus::list_endpoints,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetEndpoint", "s", SD_BUS_PARAM(id), "s", SD_BUS_PARAM(endpoint), &AgentBus::get_endpoint,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListClusterEndpoints", "", , "a(sss)", SD_BUS_PARAM(endpoints), &AgentBus::list_cluster_endpoints,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("CheckEndpoint", "s", SD_BUS_PARAM(id), "as", SD_BUS_PARAM(warnings), &AgentBus::check_endpoint,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_SIGNAL_WITH_NAMES("ObjectChanged", "ssss", SD_BUS_PARAM(change) SD_BUS_PARAM(kind) SD_BUS_PARAM(namespace) SD_BUS_PARAM(name), 0),
      SD_BUS_SIGNAL_WITH_NAMES("EndpointAdded", "s", SD_BUS_PARAM(id), 0),
      SD_BUS_SIGNAL_WITH_NAMES("EndpointChanged", "s", SD_BUS_PARAM(id), 0),
      SD_BUS_SIGNAL_WITH_NAMES("EndpointRemoved", "s", SD_BUS_PARAM(id), 0),
      SD_BUS_SIGNAL_WITH_NAMES("ClusterEndpointChanged", "sss", SD_BUS_PARAM(change) SD_BUS_PARAM(node) SD_BUS_PARAM(id), 0),
      SD_BUS_PROPERTY("Version", "s", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("StateDirectory", "s", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("EtcdEndpoints", "as", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("EtcdPrefix", "s", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("ObjectCount", "u", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("EndpointCount", "u", &AgentBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_VTABLE_END};
  if (auto st = bus_.add_object(kObjectPath, kInterface, vtable, this); !st) return st;
  svc_.on_object([this](const ObjectEvent& ev) {
    sd_bus_emit_signal(bus_.bus(), kObjectPath, kInterface, "ObjectChanged", "ssss", change_name(ev.what), ev.key.kind.c_str(),
                       ev.key.ns.c_str(), ev.key.name.c_str());
    bus_.properties_changed(kObjectPath, kInterface, {"ObjectCount"});
  });
  svc_.on_endpoint([this](const EndpointEvent& ev) {
    const char* member = ev.what == EndpointChange::added ? "EndpointAdded" : ev.what == EndpointChange::removed ? "EndpointRemoved" : "EndpointChanged";
    sd_bus_emit_signal(bus_.bus(), kObjectPath, kInterface, member, "s", ev.id.c_str());
    bus_.properties_changed(kObjectPath, kInterface, {"EndpointCount"});
  });
  return {};
}

}  // namespace netaccel::agent

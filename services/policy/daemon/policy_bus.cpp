#include "policy_bus.h"

#include <cstring>

#include "dbus_api.h"

#ifndef NETACCEL_VERSION
#define NETACCEL_VERSION "0"
#endif

namespace netaccel::policy {

int PolicyBus::list_endpoints(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<PolicyBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(ssusbb)");
  for (const auto& ep : self->svc_.endpoints())
    if (r >= 0)
      r = sd_bus_message_append(reply, "(ssusbb)", ep.pod.c_str(), ep.veth.c_str(), ep.identity, self->svc_.identity_name(ep.identity).c_str(),
                                ep.isolated_ingress, ep.isolated_egress);
  return bus_finish_container_reply(reply, r);
}

int PolicyBus::list_identities(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<PolicyBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(us)");
  for (const auto& [id, what] : self->svc_.identities())
    if (r >= 0) r = sd_bus_message_append(reply, "(us)", id, what.c_str());
  return bus_finish_container_reply(reply, r);
}

int PolicyBus::get_endpoint_policy(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<PolicyBus*>(u);
  const char* pod = nullptr;
  if (int r = sd_bus_message_read(m, "s", &pod); r < 0) return r;
  auto text = self->svc_.describe(pod);
  if (!text) return bus_fail(e, text.error());
  return sd_bus_reply_method_return(m, "s", text->c_str());
}

int PolicyBus::get_stats(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<PolicyBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(sstttt)");
  for (const auto& ep : self->svc_.endpoints())
    for (Direction d : {Direction::ingress, Direction::egress}) {
      auto c = self->enforcer_.counters(ep.slot, d);
      if (r >= 0)
        r = sd_bus_message_append(reply, "(sstttt)", ep.pod.c_str(), direction_name(d), c.allowed, c.established, c.denied, c.unrestricted);
    }
  return bus_finish_container_reply(reply, r);
}

int PolicyBus::resync(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<PolicyBus*>(u);
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  auto st = self->svc_.resync();
  if (st) self->changed();
  return bus_reply_status(m, e, st, "Resync");
}

int PolicyBus::add_endpoint(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<PolicyBus*>(u);
  const char* json = nullptr;
  if (int r = sd_bus_message_read(m, "s", &json); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  auto st = self->svc_.add_endpoint(json);
  if (st) self->changed();
  return bus_reply_status(m, e, st, "AddEndpoint");
}

int PolicyBus::prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*) {
  auto* self = static_cast<PolicyBus*>(u);
  if (std::strcmp(name, "Version") == 0) return sd_bus_message_append(reply, "s", NETACCEL_VERSION);
  if (std::strcmp(name, "EndpointCount") == 0) return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.endpoints().size()));
  if (std::strcmp(name, "IdentityCount") == 0) return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.identity_count()));
  if (std::strcmp(name, "PolicyCount") == 0) return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.policy_count()));
  if (std::strcmp(name, "Generation") == 0) return sd_bus_message_append(reply, "t", self->enforcer_.generation());
  if (std::strcmp(name, "ClusterIdentities") == 0) return sd_bus_message_append(reply, "b", self->svc_.cluster_identities() ? 1 : 0);
  if (std::strcmp(name, "LastError") == 0) return sd_bus_message_append(reply, "s", self->svc_.last_error().c_str());
  return -ENOENT;
}

Status PolicyBus::register_object() {
  static const sd_bus_vtable vtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD_WITH_NAMES("ListEndpoints", "", , "a(ssusbb)", SD_BUS_PARAM(endpoints), &PolicyBus::list_endpoints, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListIdentities", "", , "a(us)", SD_BUS_PARAM(identities), &PolicyBus::list_identities, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetEndpointPolicy", "s", SD_BUS_PARAM(pod), "s", SD_BUS_PARAM(text), &PolicyBus::get_endpoint_policy,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetStats", "", , "a(sstttt)", SD_BUS_PARAM(counters), &PolicyBus::get_stats, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD("Resync", "", "", &PolicyBus::resync, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("AddEndpoint", "s", SD_BUS_PARAM(endpoint), "", , &PolicyBus::add_endpoint, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_SIGNAL_WITH_NAMES("Dropped", "ssssssqas",
                               SD_BUS_PARAM(pod) SD_BUS_PARAM(direction) SD_BUS_PARAM(peer) SD_BUS_PARAM(source) SD_BUS_PARAM(destination)
                                   SD_BUS_PARAM(protocol) SD_BUS_PARAM(port) SD_BUS_PARAM(policies),
                               0),
      SD_BUS_PROPERTY("Version", "s", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("EndpointCount", "u", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("IdentityCount", "u", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("PolicyCount", "u", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("Generation", "t", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("LastError", "s", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_PROPERTY("ClusterIdentities", "b", &PolicyBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_VTABLE_END};
  return bus_.add_object(kObjectPath, kInterface, vtable, this);
}

void PolicyBus::changed() {
  bus_.properties_changed(kObjectPath, kInterface, {"EndpointCount", "IdentityCount", "PolicyCount", "Generation", "LastError", "ClusterIdentities"});
}

void PolicyBus::dropped(const std::string& pod, const std::string& direction, const std::string& peer, const std::string& src,
                        const std::string& dst, const std::string& proto, uint16_t port, const std::vector<std::string>& policies) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_signal(bus_.bus(), &m, kObjectPath, kInterface, "Dropped");
  if (r >= 0) r = sd_bus_message_append(m, "ssssssq", pod.c_str(), direction.c_str(), peer.c_str(), src.c_str(), dst.c_str(), proto.c_str(), port);
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "s");
  for (const auto& p : policies)
    if (r >= 0) r = sd_bus_message_append(m, "s", p.c_str());
  if (r >= 0) r = sd_bus_message_close_container(m);
  if (r >= 0) sd_bus_send(bus_.bus(), m, nullptr);
  sd_bus_message_unref(m);
}

}  // namespace netaccel::policy

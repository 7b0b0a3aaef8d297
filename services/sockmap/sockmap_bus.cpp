#include "sockmap_bus.h"

#include <cstring>

#include "netaccel/core/log.h"

#ifndef NETACCEL_VERSION
#define NETACCEL_VERSION "0"
#endif

namespace netaccel::sockmap {
namespace {
int change(sd_bus_message* m, sd_bus_error* e, const char* name, const std::function<Status(const std::string&)>& fn) {
  const char* path = nullptr;
  if (int r = sd_bus_message_read(m, "s", &path); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return bus_reply_status(m, e, fn(path), std::string(name) + "(" + path + ")");
}
}  // namespace

int SockmapBus::enable(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<SockmapBus*>(u);
  return change(m, e, "Enable", [&](const std::string& p) { return self->svc_.enable(p); });
}

int SockmapBus::disable(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<SockmapBus*>(u);
  return change(m, e, "Disable", [&](const std::string& p) { return self->svc_.disable(p); });
}

namespace {
int reply_strv(sd_bus_message* m, std::vector<std::string> paths) {
  std::vector<char*> strv;
  for (auto& p : paths) strv.push_back(p.data());
  strv.push_back(nullptr);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_append_strv(reply, strv.data());
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}
}  // namespace

int SockmapBus::list(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<SockmapBus*>(u);
  std::vector<std::string> paths;
  for (const auto& cg : self->svc_.list()) paths.push_back(cg.path);
  return reply_strv(m, paths);
}

int SockmapBus::list_pods(sd_bus_message* m, void* u, sd_bus_error*) {
  return reply_strv(m, static_cast<SockmapBus*>(u)->svc_.sidecar_pods());
}

int SockmapBus::add_pod(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<SockmapBus*>(u);
  const char *ip = nullptr, *ns = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &ip, &ns); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return bus_reply_status(m, e, self->svc_.add_sidecar_pod(ip, ns), std::string("AddSidecarPod(") + ip + ")");
}

int SockmapBus::remove_pod(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<SockmapBus*>(u);
  return change(m, e, "RemoveSidecarPod", [&](const std::string& ip) { return self->svc_.remove_sidecar_pod(ip); });
}

int SockmapBus::get_stats(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<SockmapBus*>(u);
  auto s = self->svc_.stats();
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "{st}");
  if (r >= 0) r = sd_bus_message_append(reply, "{st}", "sockets_in_map", self->svc_.sockets());
  for (size_t i = 0; i < s.size() && r >= 0; ++i) r = sd_bus_message_append(reply, "{st}", stat_names()[i], s[i]);
  return bus_finish_container_reply(reply, r);
}

int SockmapBus::prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*) {
  auto* self = static_cast<SockmapBus*>(u);
  if (std::strcmp(name, "Version") == 0) return sd_bus_message_append(reply, "s", NETACCEL_VERSION);
  if (std::strcmp(name, "SidecarMode") == 0) return sd_bus_message_append(reply, "b", self->svc_.config().sidecar.enabled);
  if (std::strcmp(name, "SidecarOutboundPort") == 0)
    return sd_bus_message_append(reply, "q", self->svc_.config().sidecar.outbound_port);
  if (std::strcmp(name, "ProxyUid") == 0) return sd_bus_message_append(reply, "u", self->svc_.config().sidecar.proxy_uid);
  if (std::strcmp(name, "EnabledCount") == 0)
    return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->svc_.list().size()));
  if (std::strcmp(name, "LocalPrefixes") == 0) {
    std::vector<std::string> s;
    for (const auto& p : self->svc_.config().local_prefixes) s.push_back(to_string(p));
    std::vector<char*> v;
    for (auto& x : s) v.push_back(x.data());
    v.push_back(nullptr);
    return sd_bus_message_append_strv(reply, v.data());
  }
  return -ENOENT;
}

Status SockmapBus::register_object() {
  static const sd_bus_vtable vtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD_WITH_NAMES("Enable", "s", SD_BUS_PARAM(cgroup), "", , &SockmapBus::enable, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Disable", "s", SD_BUS_PARAM(cgroup), "", , &SockmapBus::disable, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListCgroups", "", , "as", SD_BUS_PARAM(cgroups), &SockmapBus::list, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetStats", "", , "a{st}", SD_BUS_PARAM(counters), &SockmapBus::get_stats,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("AddSidecarPod", "ss", SD_BUS_PARAM(ip) SD_BUS_PARAM(netns), "", , &SockmapBus::add_pod,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("RemoveSidecarPod", "s", SD_BUS_PARAM(ip), "", , &SockmapBus::remove_pod,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListSidecarPods", "", , "as", SD_BUS_PARAM(pods), &SockmapBus::list_pods,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_PROPERTY("Version", "s", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("SidecarMode", "b", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("SidecarOutboundPort", "q", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("ProxyUid", "u", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("LocalPrefixes", "as", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("EnabledCount", "u", &SockmapBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_VTABLE_END};
  if (auto st = bus_.add_object(kObjectPath, kInterface, vtable, this); !st) return st;
  svc_.on_changed([this] { bus_.properties_changed(kObjectPath, kInterface, {"EnabledCount"}); });
  return {};
}

}  // namespace netaccel::sockmap

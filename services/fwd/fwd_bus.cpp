#include "fwd_bus.h"

#include <cstring>

#include "netaccel/core/log.h"

#ifndef NETACCEL_VERSION
#define NETACCEL_VERSION "0"
#endif

namespace netaccel::fwd {
int FwdBus::attach(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<FwdBus*>(u);
  const char *ifname = nullptr, *mode = nullptr;
  if (int r = sd_bus_message_read(m, "ss", &ifname, &mode); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return bus_reply_status(m, e, self->fwd_.attach(ifname, mode), std::string("Attach(") + ifname + ", " + mode + ")");
}

int FwdBus::detach(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<FwdBus*>(u);
  const char* ifname = nullptr;
  if (int r = sd_bus_message_read(m, "s", &ifname); r < 0) return r;
  if (auto st = authorize_change(m); !st) return bus_fail(e, st.error());
  return bus_reply_status(m, e, self->fwd_.detach(ifname), std::string("Detach(") + ifname + ")");
}

int FwdBus::list(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<FwdBus*>(u);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  r = sd_bus_message_open_container(reply, 'a', "(sisssb)");
  for (const auto& a : self->fwd_.list()) {
    if (r < 0) break;
    r = sd_bus_message_append(reply, "(sisssb)", a.name.c_str(), a.ifindex, to_string(a.spec.mode).c_str(),
                              to_string(a.spec.hook).c_str(), a.bridge.c_str(), a.automatic);
  }
  return bus_finish_container_reply(reply, r);
}

int FwdBus::get_stats(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<FwdBus*>(u);
  const char* ifname = nullptr;
  if (int r = sd_bus_message_read(m, "s", &ifname); r < 0) return r;
  auto s = self->fwd_.stats(ifname);
  if (!s) return bus_fail(e, s.error());
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  r = sd_bus_message_open_container(reply, 'a', "{st}");
  const auto& names = stat_names();
  for (size_t i = 0; i < names.size() && r >= 0; ++i)
    r = sd_bus_message_append(reply, "{st}", std::string(names[i]).c_str(), s->packets[i]);
  if (r >= 0) r = sd_bus_message_append(reply, "{st}", "forwarded_bytes", s->forwarded_bytes);
  return bus_finish_container_reply(reply, r);
}

int FwdBus::prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*) {
  auto* self = static_cast<FwdBus*>(u);
  const auto& cfg = self->fwd_.config();
  if (std::strcmp(name, "Mode") == 0) return sd_bus_message_append(reply, "s", to_string(cfg.default_hook).c_str());
  if (std::strcmp(name, "Version") == 0) return sd_bus_message_append(reply, "s", NETACCEL_VERSION);
  if (std::strcmp(name, "AutoAttach") == 0) return sd_bus_message_append(reply, "b", cfg.auto_attach);
  if (std::strcmp(name, "AttachedCount") == 0)
    return sd_bus_message_append(reply, "u", static_cast<uint32_t>(self->fwd_.list().size()));
  return -ENOENT;
}

Status FwdBus::register_object() {
  static const sd_bus_vtable vtable[] = {
      SD_BUS_VTABLE_START(0),
      SD_BUS_METHOD_WITH_NAMES("Attach", "ss", SD_BUS_PARAM(ifname) SD_BUS_PARAM(mode), "", , &FwdBus::attach,
                               SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("Detach", "s", SD_BUS_PARAM(ifname), "", , &FwdBus::detach, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("ListInterfaces", "", , "a(sisssb)",
                               SD_BUS_PARAM(interfaces), &FwdBus::list, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_METHOD_WITH_NAMES("GetStats", "s", SD_BUS_PARAM(ifname), "a{st}", SD_BUS_PARAM(counters),
                               &FwdBus::get_stats, SD_BUS_VTABLE_UNPRIVILEGED),
      SD_BUS_PROPERTY("Mode", "s", &FwdBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("Version", "s", &FwdBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("AutoAttach", "b", &FwdBus::prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
      SD_BUS_PROPERTY("AttachedCount", "u", &FwdBus::prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
      SD_BUS_VTABLE_END};
  if (auto st = bus_.add_object(kObjectPath, kInterface, vtable, this); !st) return st;
  fwd_.on_changed([this] { bus_.properties_changed(kObjectPath, kInterface, {"AttachedCount"}); });
  return {};
}

}  // namespace netaccel::fwd

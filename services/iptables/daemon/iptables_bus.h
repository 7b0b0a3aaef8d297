// org.openeuler.NetAccel1.Iptables on the bus: marshalling only.
#pragma once

#include "iptables/dbus_api.h"
#include "iptables_service.h"
#include "netaccel/core/bus.h"

namespace netaccel::ipt {

class IptablesBus {
 public:
  // One object per family, the same interface: kObjectPath (iptables), kObjectPath6 (ip6tables).
  IptablesBus(BusService& bus, IptablesService& svc)
      : bus_(bus), svc_(svc), path_(svc.family() == Family::v4 ? kObjectPath : kObjectPath6) {}
  Status register_object();

 private:
  static int restore(sd_bus_message* m, void* u, sd_bus_error* e);
  static int save(sd_bus_message* m, void* u, sd_bus_error* e);
  static int command(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_counters(sd_bus_message* m, void* u, sd_bus_error* e);
  static int prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*);

  BusService& bus_;
  IptablesService& svc_;
  const char* path_;
  uint32_t last_change_us_ = 0;  // the daemon's own time for the last change (LastChangeMicros)
};

}  // namespace netaccel::ipt

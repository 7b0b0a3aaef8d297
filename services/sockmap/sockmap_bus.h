// org.openeuler.NetAccel1.Sockmap on the bus: marshalling only.
#pragma once

#include "sockmap/dbus_api.h"
#include "netaccel/core/bus.h"
#include "sockmap_service.h"

namespace netaccel::sockmap {

class SockmapBus {
 public:
  SockmapBus(BusService& bus, SockmapService& svc) : bus_(bus), svc_(svc) {}
  Status register_object();

 private:
  static int enable(sd_bus_message* m, void* u, sd_bus_error* e);
  static int disable(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_stats(sd_bus_message* m, void* u, sd_bus_error* e);
  static int add_pod(sd_bus_message* m, void* u, sd_bus_error* e);
  static int remove_pod(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list_pods(sd_bus_message* m, void* u, sd_bus_error* e);
  static int prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*);

  BusService& bus_;
  SockmapService& svc_;
};

}  // namespace netaccel::sockmap

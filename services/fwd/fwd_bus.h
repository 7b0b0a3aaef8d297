// org.openeuler.NetAccel1.Fwd on the bus: marshalling only. Validation and state live in
// Forwarder; authorisation is the shared core rule.
#pragma once

#include "fwd/dbus_api.h"
#include "forwarder.h"
#include "netaccel/core/bus.h"

namespace netaccel::fwd {

class FwdBus {
 public:
  FwdBus(BusService& bus, Forwarder& fwd) : bus_(bus), fwd_(fwd) {}
  Status register_object();

 private:
  static int attach(sd_bus_message* m, void* u, sd_bus_error* e);
  static int detach(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_stats(sd_bus_message* m, void* u, sd_bus_error* e);
  static int prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*);

  BusService& bus_;
  Forwarder& fwd_;
};

}  // namespace netaccel::fwd

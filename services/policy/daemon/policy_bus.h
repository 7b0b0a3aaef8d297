// netaccel-policy's D-Bus object: marshalling only; PolicyService and the Enforcer answer.
#pragma once

#include <systemd/sd-bus.h>

#include "enforcer.h"
#include "netaccel/core/bus.h"
#include "policy_service.h"

namespace netaccel::policy {

class PolicyBus {
 public:
  PolicyBus(BusService& bus, PolicyService& svc, const Enforcer& enforcer) : bus_(bus), svc_(svc), enforcer_(enforcer) {}
  Status register_object();
  // After a resync: counts and generation changed.
  void changed();
  // One denied packet, already in words (netaccelctl policy monitor listens).
  void dropped(const std::string& pod, const std::string& direction, const std::string& peer, const std::string& src, const std::string& dst,
               const std::string& proto, uint16_t port, const std::vector<std::string>& policies);

 private:
  static int list_endpoints(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list_identities(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_endpoint_policy(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_stats(sd_bus_message* m, void* u, sd_bus_error* e);
  static int resync(sd_bus_message* m, void* u, sd_bus_error* e);
  static int add_endpoint(sd_bus_message* m, void* u, sd_bus_error* e);
  static int prop(sd_bus* b, const char* path, const char* iface, const char* name, sd_bus_message* reply, void* u, sd_bus_error* e);

  BusService& bus_;
  PolicyService& svc_;
  const Enforcer& enforcer_;
};

}  // namespace netaccel::policy

// org.openeuler.NetAccel1.Agent on the bus: marshalling and signals only.
#pragma once

#include "agent/dbus_api.h"
#include "agent_service.h"
#include "cluster_sync.h"
#include "netaccel/core/bus.h"

namespace netaccel::agent {

class AgentBus {
 public:
  AgentBus(BusService& bus, AgentService& svc) : bus_(bus), svc_(svc) {}
  Status register_object();
  // Cluster mode: ListClusterEndpoints answers from it (empty without one) and its changes
  // become ClusterEndpointChanged signals.
  void set_cluster(ClusterSync* c);

 private:
  static int apply(sd_bus_message* m, void* u, sd_bus_error* e);
  static int remove(sd_bus_message* m, void* u, sd_bus_error* e);
  static int remove_object(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get(sd_bus_message* m, void* u, sd_bus_error* e);
  static int register_endpoint(sd_bus_message* m, void* u, sd_bus_error* e);
  static int unregister_endpoint(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list_endpoints(sd_bus_message* m, void* u, sd_bus_error* e);
  static int get_endpoint(sd_bus_message* m, void* u, sd_bus_error* e);
  static int check_endpoint(sd_bus_message* m, void* u, sd_bus_error* e);
  static int list_cluster_endpoints(sd_bus_message* m, void* u, sd_bus_error* e);
  static int prop(sd_bus*, const char*, const char*, const char* name, sd_bus_message* reply, void* u, sd_bus_error*);

  BusService& bus_;
  AgentService& svc_;
  const ClusterSync* cluster_ = nullptr;
};

}  // namespace netaccel::agent

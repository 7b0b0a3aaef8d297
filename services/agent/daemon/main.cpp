// netaccel-agent: the node's view of the cluster (Kubernetes objects) and of its own pods
// (endpoints registered by the CNI plugin), for the other netaccel services to follow.
#include <sys/stat.h>

#include <filesystem>

#include "agent_bus.h"
#include "dataplanes_bus.h"
#include "fwd/dbus_api.h"
#include "sockmap/dbus_api.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"

using namespace netaccel;

int main(int argc, char** argv) {
  auto start = start_daemon<agent::AgentConfig>(argc, argv, "agent", "netaccel-agent: cluster objects and this node's endpoints",
                                                agent::parse_agent_config, [](const agent::AgentConfig& c) -> Status {
                                                  // Uninstall: the agent has no data path, only its state.
                                                  std::error_code ec;
                                                  std::filesystem::remove_all(c.state_dir, ec);
                                                  if (ec) return errno_error(ec.value(), "remove " + c.state_dir);
                                                  log::info("purged " + c.state_dir);
                                                  return {};
                                                });
  if (auto* code = std::get_if<int>(&start)) return *code;
  auto* cfg = &std::get<agent::AgentConfig>(start);

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  umask(077);  // state files hold the cluster's objects
  auto svc = agent::AgentService::open(*cfg);
  if (!svc) return fail_with(svc.error());
  auto bus = BusService::connect(loop->get(), agent::kBusName);
  if (!bus) return fail_with(bus.error());
  agent::AgentBus abus(**bus, *svc);
  // Cluster mode: etcd's objects replace the local ones before anything is served.
  std::unique_ptr<agent::ClusterSync> cluster;
  if (cfg->cluster_mode()) {
    cluster = std::make_unique<agent::ClusterSync>(*cfg, *svc);
    if (auto st = cluster->start(*loop); !st) return fail_with(st.error());
    abus.set_cluster(cluster.get());
  }
  if (auto st = abus.register_object(); !st) return fail_with(st.error());
  // Pods whose runtime died without CNI DEL leave endpoints behind: their netns is gone.
  auto gc = [&] {
    auto n = svc->collect_garbage();
    if (!n) log::error("endpoint garbage collection: " + n.error().what());
    else if (*n) log::info("dropped " + std::to_string(*n) + " endpoints whose netns is gone");
  };
  gc();
  // The fast path: pods get it as they register; a data-path service that (re)starts gets
  // every pod again, so one that was down at ADD catches up without a new ADD.
  agent::BusDataplanes dataplanes((*bus)->bus());
  std::vector<sd_bus_slot*> matches;
  if (cfg->wire_fastpath) {
    svc->set_dataplanes(&dataplanes);
    auto on_owner = [](sd_bus_message* m, void* u, sd_bus_error*) -> int {
      const char *name = nullptr, *old_owner = nullptr, *new_owner = nullptr;
      if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !*new_owner) return 0;
      log::info(std::string(name) + " appeared: giving it this node's endpoints");
      if (auto st = static_cast<agent::AgentService*>(u)->reconcile(); !st) log::error("reconcile: " + st.error().what());
      return 0;
    };
    for (const char* name : {fwd::kBusName, sockmap::kBusName}) {
      std::string rule = std::string("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='") + name + "'";
      sd_bus_slot* slot = nullptr;
      if (int r = sd_bus_add_match((*bus)->bus(), &slot, rule.c_str(), on_owner, &*svc); r < 0)
        return fail_with(errno_error(r, "watch " + std::string(name)));
      matches.push_back(slot);
    }
    if (auto st = svc->reconcile(); !st) log::error("reconcile: " + st.error().what());
    auto scan = [&] {
      if (!svc->cgroups_missing()) return;
      if (auto n = svc->discover_cgroups(); !n) log::error("cgroup discovery: " + n.error().what());
    };
    if (auto st = loop->every(uint64_t{cfg->cgroup_scan_ms} * 1000, scan); !st) return fail_with(st.error());
  }
  if (auto st = loop->every(uint64_t{cfg->gc_interval_s} * 1000000, gc); !st) return fail_with(st.error());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(svc->object_count()) + " objects, " + std::to_string(svc->endpoints().size()) + " endpoints";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  for (auto* slot : matches) sd_bus_slot_unref(slot);
  return r < 0 ? 1 : 0;
}

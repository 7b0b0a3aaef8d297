// netaccel-agent: the node's view of the cluster (Kubernetes objects) and of its own pods
// (endpoints registered by the CNI plugin), for the other netaccel services to follow.
#include <sys/stat.h>

#include <filesystem>

#include "agent_bus.h"
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
  if (auto st = abus.register_object(); !st) return fail_with(st.error());
  // Pods whose runtime died without CNI DEL leave endpoints behind: their netns is gone.
  auto gc = [&] {
    auto n = svc->collect_garbage();
    if (!n) log::error("endpoint garbage collection: " + n.error().what());
    else if (*n) log::info("dropped " + std::to_string(*n) + " endpoints whose netns is gone");
  };
  gc();
  if (auto st = loop->every(uint64_t{cfg->gc_interval_s} * 1000000, gc); !st) return fail_with(st.error());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(svc->object_count()) + " objects, " + std::to_string(svc->endpoints().size()) + " endpoints";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  return r < 0 ? 1 : 0;
}

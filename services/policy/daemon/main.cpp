// netaccel-policy: Kubernetes NetworkPolicy by workload identity on this node's pod veths.
#include <systemd/sd-event.h>

#include "agent_source.h"
#include "bpf_enforcer.h"
#include "dbus_api.h"
#include "drop_monitor.h"
#include "etcd_identity.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "policy_bus.h"
#include "policy_service.h"

using namespace netaccel;

namespace {

// Changes arrive in bursts (a file of policies is one signal per object): compile once the
// burst settles.
class Settle {
 public:
  Settle(sd_event* ev, unsigned ms, std::function<void()> fn) : ev_(ev), usec_(uint64_t{ms} * 1000), fn_(std::move(fn)) {}
  ~Settle() { sd_event_source_unref(src_); }
  void poke() {
    if (src_) return;  // one pending run covers every change before it
    sd_event_add_time_relative(ev_, &src_, CLOCK_MONOTONIC, usec_, 0, &Settle::fire, this);
  }

 private:
  static int fire(sd_event_source*, uint64_t, void* u) {
    auto* self = static_cast<Settle*>(u);
    sd_event_source_unref(self->src_);
    self->src_ = nullptr;
    self->fn_();
    return 0;
  }
  sd_event* ev_;
  uint64_t usec_;
  std::function<void()> fn_;
  sd_event_source* src_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  auto start = start_daemon<policy::PolicyConfig>(argc, argv, "policy", "netaccel-policy: NetworkPolicy by workload identity in eBPF",
                                                  policy::parse_policy_config, [](const policy::PolicyConfig& c) -> Status {
                                                    if (auto st = policy::BpfEnforcer::purge(c.pin_root); !st) return st;
                                                    log::info("purged " + c.pin_root + "/policy");
                                                    return {};
                                                  });
  if (auto* code = std::get_if<int>(&start)) return *code;
  auto* cfg = &std::get<policy::PolicyConfig>(start);

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  auto enforcer = policy::BpfEnforcer::open(*cfg);
  if (!enforcer) return fail_with(enforcer.error());
  auto bus = BusService::connect(loop->get(), policy::kBusName);
  if (!bus) return fail_with(bus.error());
  policy::AgentSource source((*bus)->bus());
  policy::PolicyService svc(source, **enforcer, *cfg);
  policy::PolicyBus pbus(**bus, svc, **enforcer);
  if (auto st = pbus.register_object(); !st) return fail_with(st.error());
  // In cluster mode identities are the cluster's (etcd, beside the agent's keys): asked for
  // at every resync until the agent answers, so a policy daemon started first follows.
  auto follow_cluster_identities = [&] {
    if (svc.cluster_identities()) return;
    auto etcd = source.cluster_etcd();
    if (!etcd || etcd->endpoints.empty()) return;
    auto ids = std::make_unique<policy::EtcdIdentityAllocator>(etcd->endpoints, etcd->prefix);
    if (auto st = ids->load(); !st) {
      log::warn("policy: cluster identities: " + st.error().what() + " (numbered on this node meanwhile)");
      return;
    }
    log::info("policy: identities are the cluster's (etcd " + etcd->prefix + "/identities, " + std::to_string(ids->known()) + " known)");
    svc.use_identities(std::move(ids), true);
  };
  auto resync = [&] {
    follow_cluster_identities();
    if (auto st = svc.resync(); !st) log::error("policy: " + st.error().what() + " (the data path keeps the last good state)");
    pbus.changed();
  };
  Settle settle(loop->get(), cfg->settle_ms, resync);
  if (auto st = source.watch([&] { settle.poke(); }); !st) return fail_with(st.error());
  policy::DropMonitor monitor(svc, pbus, cfg->drop_events_per_s);
  if (auto st = monitor.start(*loop, (*enforcer)->drops_fd()); !st) return fail_with(st.error());
  // Once the loop is idle again (the answer to AddEndpoint sent), the next pods' slots get
  // their policy maps, so that a CNI ADD never waits for a grace period.
  sd_event_source* prepare = nullptr;
  auto prepare_cb = [](sd_event_source*, void* u) -> int {
    if (auto st = static_cast<policy::PolicyService*>(u)->prepare_for_adds(); !st) log::warn("policy: readying slots: " + st.error().what());
    return 0;
  };
  if (int r = sd_event_add_post(loop->get(), &prepare, prepare_cb, &svc); r < 0) return fail_with(errno_error(r, "sd_event_add_post"));
  // The agent may not be up yet: then every pinned veth keeps its last state until it is.
  follow_cluster_identities();
  if (auto st = svc.resync(); !st) log::warn("policy: first sync: " + st.error().what());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(svc.policy_count()) + " policies, " + std::to_string(svc.endpoints().size()) + " endpoints";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  log::info("stopping; the pods' policies stay enforced");
  return r < 0 ? 1 : 0;
}

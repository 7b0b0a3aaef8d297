// netaccel-iptables: iptables' filter and nat tables on an eBPF data path, driven over D-Bus
// by netaccel-iptables-restore/-save/netaccel-iptables.
#include <time.h>

#include <cstdio>
#include <filesystem>

#include "bpf_iptables.h"
#include "conntrack_sweep.h"
#include "iptables_bus.h"
#include "iptables_config.h"
#include "iptables_service.h"
#include "log_reader.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "netaccel/core/netlink.h"

using namespace netaccel;
using namespace netaccel::ipt;

namespace {

// One family's data path, ruleset service, LOG reader and bus object.
struct Instance {
  std::unique_ptr<BpfIptables> dp;
  std::unique_ptr<IptablesService> svc;
  std::unique_ptr<IptablesBus> bus;
  std::unique_ptr<LogReader> log;
};

Result<std::unique_ptr<Instance>> start_instance(Family f, const IptablesConfig& cfg, EventLoop& loop) {
  auto inst = std::make_unique<Instance>();
  auto dp = BpfIptables::open(cfg.pin_root, f);
  if (!dp) return dp.error();
  inst->dp = std::move(*dp);
  const std::string& state = f == Family::v4 ? cfg.state_file : cfg.state_file6;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(state).parent_path(), ec);
  inst->svc = std::make_unique<IptablesService>(*inst->dp, state, f);
  if (auto st = inst->svc->start(); !st) return st.error();
  auto log = LogReader::start(inst->dp->log_map_fd(), *inst->svc, loop);
  if (!log) return log.error();
  inst->log = std::move(*log);
  return inst;
}

}  // namespace

int main(int argc, char** argv) {
  auto start = start_daemon<IptablesConfig>(argc, argv, "iptables", "netaccel-iptables: iptables and ip6tables filter and nat tables on eBPF",
                                            parse_iptables_config, [](const IptablesConfig& c) -> Status {
                                              for (Family f : {Family::v4, Family::v6}) {
                                                if (auto st = BpfIptables::purge(c.pin_root, f); !st) return st;
                                                log::info("purged " + c.pin_root + "/" + BpfIptables::pin_dir(f));
                                              }
                                              return {};
                                            });
  if (auto* code = std::get_if<int>(&start)) return *code;
  auto* cfg = &std::get<IptablesConfig>(start);

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  auto nl = Netlink::open();
  if (!nl) return fail_with(nl.error());
  std::vector<std::unique_ptr<Instance>> instances;
  for (Family f : {Family::v4, Family::v6}) {
    if (f == Family::v6 && !cfg->ipv6) {
      // Turned off: an IPv6 data path pinned by an earlier run must not keep filtering.
      if (auto st = BpfIptables::purge(cfg->pin_root, f); !st) log::warn(st.error().what());
      continue;
    }
    auto inst = start_instance(f, *cfg, *loop);
    if (!inst) return fail_with(inst.error());
    instances.push_back(std::move(*inst));
  }
  // Interfaces: the configured ones now, and new ones as they appear.
  for (const auto& l : (*nl)->links())
    if (cfg->wants(l.name))
      for (auto& in : instances)
        if (auto st = in->dp->attach(l.name); !st) log::warn(st.error().what());
  (*nl)->on_link([&](NlEvent ev, const LinkInfo& l) {
    for (auto& in : instances) {
      if (ev == NlEvent::added && cfg->wants(l.name))
        if (auto st = in->dp->attach(l.name); !st) log::warn(st.error().what());
      if (ev == NlEvent::removed) (void)in->dp->detach(l.name);
      (void)in->dp->refresh_host();
    }
  });
  if (auto st = loop->watch_fd((*nl)->fd(), [&] { (void)(*nl)->process(); }); !st) return fail_with(st.error());

  // Connections idle beyond Linux's timeouts are forgotten, as the kernel's conntrack does.
  if (auto st = loop->every(uint64_t{cfg->ct_sweep_interval} * 1000000, [&] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
        for (auto& in : instances) {
          auto r = sweep_conntrack(in->dp->conns_map_fd(), in->dp->ct_map_fd(), cfg->timeouts, now);
          if (!r) log::warn("conntrack sweep: " + r.error().message);
          else if (r->expired) log::debug("conntrack sweep: " + std::to_string(r->expired) + " of " + std::to_string(r->connections) + " connections expired");
        }
      });
      !st)
    return fail_with(st.error());

  auto bus = BusService::connect(loop->get(), kBusName);
  if (!bus) return fail_with(bus.error());
  for (auto& in : instances) {
    in->bus = std::make_unique<IptablesBus>(**bus, *in->svc);
    if (auto st = in->bus->register_object(); !st) return fail_with(st.error());
  }
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(instances[0]->svc->rule_count()) + " rules";
  if (instances.size() > 1) status += " (+" + std::to_string(instances[1]->svc->rule_count()) + " IPv6)";
  status += " on " + std::to_string(instances[0]->dp->attached().size()) + " interfaces";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  for (auto& in : instances)
    if (auto st = in->svc->persist_now(); !st) log::warn(st.error().what());
  log::info("stopping; the data path and connection tracking stay in place");
  return r < 0 ? 1 : 0;
}

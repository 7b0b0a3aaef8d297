// netaccel-iptables: iptables' filter and nat tables on an eBPF data path, driven over D-Bus
// by netaccel-iptables-restore/-save/netaccel-iptables.
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "bpf_iptables.h"
#include "conntrack_sweep.h"
#include "iptables_bus.h"
#include "iptables_config.h"
#include "iptables_service.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "netaccel/core/netlink.h"

using namespace netaccel;
using namespace netaccel::ipt;

namespace {

struct LogContext {
  IptablesService* svc;
};

std::string ifname(uint32_t idx) {
  char buf[IF_NAMESIZE] = "";
  return idx && if_indextoname(idx, buf) ? buf : "";
}

std::string ip(uint32_t be) {
  char buf[INET_ADDRSTRLEN];
  in_addr a{be};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// -j LOG: one journal line per packet, in the kernel LOG target's words.
int on_log_event(void* ctx, void* data, size_t size) {
  if (size < sizeof(ipt_log_event)) return 0;
  auto* e = static_cast<const ipt_log_event*>(data);
  auto* lc = static_cast<LogContext*>(ctx);
  auto target = lc->svc->log_target(e->rule);
  std::string line = (target ? target->prefix : std::string()) + "IN=" + ifname(e->in_ifindex) + " OUT=" + ifname(e->out_ifindex) +
                     " SRC=" + ip(e->src) + " DST=" + ip(e->dst) + " LEN=" + std::to_string(e->len) +
                     " PROTO=" + (e->proto == 6 ? "TCP" : e->proto == 17 ? "UDP" : e->proto == 1 ? "ICMP" : std::to_string(e->proto));
  if (e->proto == 6 || e->proto == 17) line += " SPT=" + std::to_string(e->sport) + " DPT=" + std::to_string(e->dport);
  log::write(target ? target->level : 4, line);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-iptables: iptables filter and nat tables on eBPF"};
  DaemonArgs args;
  add_daemon_options(app, args, "iptables");
  CLI11_PARSE(app, argc, argv);
  log::set_identifier("netaccel-iptables");

  auto ini = IniConfig::load(args.config_path);
  if (!ini) return fail_with(ini.error());
  auto cfg = parse_iptables_config(*ini);
  if (!cfg) return fail_with(cfg.error());
  if (!args.pin_root.empty()) cfg->pin_root = args.pin_root;
  if (args.check) return 0;
  if (args.purge) {
    if (auto st = BpfIptables::purge(cfg->pin_root); !st) return fail_with(st.error());
    log::info("purged " + cfg->pin_root + "/iptables");
    return 0;
  }

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  auto nl = Netlink::open();
  if (!nl) return fail_with(nl.error());
  auto dp = BpfIptables::open(cfg->pin_root);
  if (!dp) return fail_with(dp.error());
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(cfg->state_file).parent_path(), ec);
  IptablesService svc(**dp, cfg->state_file);
  if (auto st = svc.start(); !st) return fail_with(st.error());
  // Interfaces: the configured ones now, and new ones as they appear.
  for (const auto& l : (*nl)->links())
    if (cfg->wants(l.name))
      if (auto st = (*dp)->attach(l.name); !st) log::warn(st.error().what());
  (*nl)->on_link([&](NlEvent ev, const LinkInfo& l) {
    if (ev == NlEvent::added && cfg->wants(l.name))
      if (auto st = (*dp)->attach(l.name); !st) log::warn(st.error().what());
    if (ev == NlEvent::removed) (void)(*dp)->detach(l.name);
    (void)(*dp)->refresh_host();
  });
  if (auto st = loop->watch_fd((*nl)->fd(), [&] { (void)(*nl)->process(); }); !st) return fail_with(st.error());
  LogContext lc{&svc};
  ring_buffer* rb = ring_buffer__new((*dp)->log_map_fd(), on_log_event, &lc, nullptr);
  if (!rb) return fail_with(errno_error(errno, "LOG ring buffer"));
  if (auto st = loop->watch_fd(ring_buffer__epoll_fd(rb), [&] { ring_buffer__consume(rb); }); !st) return fail_with(st.error());

  // Connections idle beyond Linux's timeouts are forgotten, as the kernel's conntrack does.
  if (auto st = loop->every(uint64_t{cfg->ct_sweep_interval} * 1000000, [&] {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        auto r = sweep_conntrack((*dp)->conns_map_fd(), (*dp)->ct_map_fd(), cfg->timeouts,
                                 static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec));
        if (!r) log::warn("conntrack sweep: " + r.error().message);
        else if (r->expired) log::debug("conntrack sweep: " + std::to_string(r->expired) + " of " + std::to_string(r->connections) + " connections expired");
      });
      !st)
    return fail_with(st.error());

  auto bus = BusService::connect(loop->get(), kBusName);
  if (!bus) return fail_with(bus.error());
  IptablesBus ibus(**bus, svc);
  if (auto st = ibus.register_object(); !st) return fail_with(st.error());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(svc.rule_count()) + " rules on " + std::to_string((*dp)->attached().size()) + " interfaces";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  if (auto st = svc.persist_now(); !st) log::warn(st.error().what());
  ring_buffer__free(rb);
  log::info("stopping; the data path and connection tracking stay in place");
  return r < 0 ? 1 : 0;
}

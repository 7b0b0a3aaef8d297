// netaccel-sockmap: same-node socket acceleration daemon.
#include "bpf_sockmap.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "sockmap_bus.h"
#include "sockmap_service.h"

using namespace netaccel;

int main(int argc, char** argv) {
  auto start = start_daemon<sockmap::SockmapConfig>(argc, argv, "sockmap", "netaccel-sockmap: sockops/sk_msg redirect between same-node TCP sockets",
                                                    sockmap::parse_sockmap_config, [](const sockmap::SockmapConfig& c) -> Status {
                                                      if (auto st = sockmap::BpfSockmap::purge(c.pin_root); !st) return st;
                                                      log::info("purged " + c.pin_root + "/sockmap");
                                                      return {};
                                                    });
  if (auto* code = std::get_if<int>(&start)) return *code;
  auto* cfg = &std::get<sockmap::SockmapConfig>(start);

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  const bool pti = sockmap::kernel_isolates_page_tables();
  const uint64_t bulk = sockmap::bulk_threshold(cfg->bulk, pti);
  log::info(bulk ? "bulk bypass: a socket goes back to TCP after " + std::to_string(bulk) + " bytes unanswered" +
                       (cfg->bulk.mode == sockmap::BulkBypass::automatic ? " (auto: page-table isolation is on)" : "")
                 : std::string("bulk bypass: off") + (cfg->bulk.mode == sockmap::BulkBypass::automatic ? " (auto: no page-table isolation)" : ""));
  auto dp = sockmap::BpfSockmap::open(cfg->pin_root, cfg->sidecar, bulk);
  if (!dp) return fail_with(dp.error());
  sockmap::RealCgroupFs fs;
  sockmap::SockmapService svc(**dp, fs, *cfg);
  auto bus = BusService::connect(loop->get(), sockmap::kBusName);
  if (!bus) return fail_with(bus.error());
  sockmap::SockmapBus sbus(**bus, svc);
  if (auto st = sbus.register_object(); !st) return fail_with(st.error());
  if (auto st = svc.start(); !st) return fail_with(st.error());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(svc.list().size()) + " cgroups enabled";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  log::info("stopping; accelerated connections stay accelerated");
  return r < 0 ? 1 : 0;
}

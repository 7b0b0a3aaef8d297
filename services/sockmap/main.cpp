// netaccel-sockmap: same-node socket acceleration daemon.
#include <CLI/CLI.hpp>

#include "bpf_sockmap.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "sockmap_bus.h"
#include "sockmap_service.h"

using namespace netaccel;

int main(int argc, char** argv) {
  CLI::App app{"netaccel-sockmap: sockops/sk_msg redirect between same-node TCP sockets"};
  DaemonArgs args;
  add_daemon_options(app, args, "sockmap");
  CLI11_PARSE(app, argc, argv);
  log::set_identifier("netaccel-sockmap");

  auto ini = IniConfig::load(args.config_path);
  if (!ini) return fail_with(ini.error());
  auto cfg = sockmap::parse_sockmap_config(*ini);
  if (!cfg) return fail_with(cfg.error());
  if (!args.pin_root.empty()) cfg->pin_root = args.pin_root;
  if (args.check) return 0;
  if (args.purge) {
    if (auto st = sockmap::BpfSockmap::purge(cfg->pin_root); !st) return fail_with(st.error());
    log::info("purged " + cfg->pin_root + "/sockmap");
    return 0;
  }

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  auto dp = sockmap::BpfSockmap::open(cfg->pin_root, cfg->sidecar);
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

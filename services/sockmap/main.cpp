// netaccel-sockmap: same-node socket acceleration daemon.
#include <CLI/CLI.hpp>

#include "bpf_sockmap.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "sockmap_bus.h"
#include "sockmap_service.h"

using namespace netaccel;

namespace {
int fail(const Error& e) {
  log::error(e.what());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-sockmap: sockops/sk_msg redirect between same-node TCP sockets"};
  std::string config_path = "/etc/netaccel/sockmap.conf", pin_root;
  bool purge = false, check = false;
  app.add_option("-c,--config", config_path, "configuration file");
  app.add_option("--pin-root", pin_root, "bpffs directory for pins (overrides the config)");
  app.add_flag("--purge", purge, "detach everything a stopped netaccel-sockmap left attached, remove its pins, exit");
  app.add_flag("--check-config", check, "validate the configuration and exit");
  CLI11_PARSE(app, argc, argv);
  log::set_identifier("netaccel-sockmap");

  auto ini = IniConfig::load(config_path);
  if (!ini) return fail(ini.error());
  auto cfg = sockmap::parse_sockmap_config(*ini);
  if (!cfg) return fail(cfg.error());
  if (!pin_root.empty()) cfg->pin_root = pin_root;
  if (check) return 0;
  if (purge) {
    if (auto st = sockmap::BpfSockmap::purge(cfg->pin_root); !st) return fail(st.error());
    log::info("purged " + cfg->pin_root + "/sockmap");
    return 0;
  }

  auto loop = EventLoop::create();
  if (!loop) return fail(loop.error());
  auto dp = sockmap::BpfSockmap::open(cfg->pin_root);
  if (!dp) return fail(dp.error());
  sockmap::RealCgroupFs fs;
  sockmap::SockmapService svc(**dp, fs, *cfg);
  auto bus = BusService::connect(loop->get(), sockmap::kBusName);
  if (!bus) return fail(bus.error());
  sockmap::SockmapBus sbus(**bus, svc);
  if (auto st = sbus.register_object(); !st) return fail(st.error());
  if (auto st = svc.start(); !st) return fail(st.error());
  if (auto st = (*bus)->publish(); !st) return fail(st.error());

  std::string status = std::to_string(svc.list().size()) + " cgroups enabled";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  log::info("stopping; accelerated connections stay accelerated");
  return r < 0 ? 1 : 0;
}

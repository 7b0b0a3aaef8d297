// netaccel-fwd: the veth fast path daemon. Wires config, netlink, the BPF data path and D-Bus.
#include "bpf_dataplane.h"
#include "forwarder.h"
#include "fwd_bus.h"
#include "netaccel/core/daemon_args.h"
#include "netaccel/core/event_loop.h"
#include "netaccel/core/log.h"
#include "netaccel/core/netlink.h"

namespace {
using namespace netaccel;

class NetlinkLinks final : public fwd::LinkSource {
 public:
  explicit NetlinkLinks(const Netlink& nl) : nl_(nl) {}
  std::optional<LinkInfo> link(const std::string& n) const override { return nl_.link(n); }
  std::optional<LinkInfo> link(int i) const override { return nl_.link(i); }
  std::vector<LinkInfo> links() const override { return nl_.links(); }
  std::vector<FdbEntry> fdb(int b) const override { return nl_.fdb(b); }

 private:
  const Netlink& nl_;
};

}  // namespace

int main(int argc, char** argv) {
  auto start = start_daemon<fwd::FwdConfig>(argc, argv, "fwd", "netaccel-fwd: XDP/TC fast path for pod veths", fwd::parse_fwd_config,
                                            [](const fwd::FwdConfig& c) -> Status {
                                              if (auto st = fwd::BpfDataplane::purge(c.pin_root); !st) return st;
                                              log::info("purged " + c.pin_root + "/fwd");
                                              return {};
                                            });
  if (auto* code = std::get_if<int>(&start)) return *code;
  auto* cfg = &std::get<fwd::FwdConfig>(start);

  auto loop = EventLoop::create();
  if (!loop) return fail_with(loop.error());
  auto nl = Netlink::open();
  if (!nl) return fail_with(nl.error());
  auto dp = fwd::BpfDataplane::open(cfg->pin_root, cfg->ipv6);
  if (!dp) return fail_with(dp.error());
  NetlinkLinks links(**nl);
  fwd::Forwarder forwarder(**dp, links, *cfg);
  auto bus = BusService::connect(loop->get(), fwd::kBusName);
  if (!bus) return fail_with(bus.error());
  fwd::FwdBus fwd_bus(**bus, forwarder);
  if (auto st = fwd_bus.register_object(); !st) return fail_with(st.error());

  (*nl)->on_link([&](NlEvent ev, const LinkInfo& l) { forwarder.on_link(ev, l); });
  (*nl)->on_fdb([&](NlEvent ev, const FdbEntry& e) { forwarder.on_fdb(ev, e); });
  if (auto st = loop->watch_fd((*nl)->fd(), [&] {
        if (auto s = (*nl)->process(); !s) log::warn(s.error().what());
      });
      !st)
    return fail_with(st.error());
  if (auto st = forwarder.start(); !st) return fail_with(st.error());
  if (auto st = (*bus)->publish(); !st) return fail_with(st.error());

  std::string status = std::to_string(forwarder.list().size()) + " interfaces attached";
  EventLoop::notify_ready(status);
  log::info("ready: " + status);
  int r = loop->run();
  EventLoop::notify_stopping();
  // Pinned links keep forwarding while we are gone; 'netaccel-fwd --purge' removes them.
  log::info("stopping; the data path stays attached");
  return r < 0 ? 1 : 0;
}

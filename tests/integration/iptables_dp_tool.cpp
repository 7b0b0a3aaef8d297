// Test driver for the netaccel-iptables data path until the daemon owns it: loads the BPF
// object in the current network namespace, attaches it (TCX) to the named interfaces,
// restores a ruleset file, and keeps everything up until stdin closes or SIGTERM. SIGHUP
// restores the file again (an atomic swap to the other slot). Prints "ready" when attached.
// -6: the IPv6 instance with an ip6tables ruleset.
//   iptables_dp_tool [-6] RULES_FILE IFACE...
#include <bpf/bpf.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "compiler.h"
#include "host_state.h"
#include "iptables_skeleton.h"
#include "netaccel/core/link.h"
#include "restore.h"

using namespace netaccel;
using namespace netaccel::ipt;

namespace {
volatile sig_atomic_t g_stop = 0, g_reload = 0;
void on_term(int) { g_stop = 1; }
void on_hup(int) { g_reload = 1; }

int fail(const std::string& m) {
  fprintf(stderr, "iptables_dp_tool: %s\n", m.c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  const Family family = argc > 1 && std::string(argv[1]) == "-6" ? Family::v6 : Family::v4;
  if (family == Family::v6) ++argv, --argc;
  if (argc < 3) return fail("usage: iptables_dp_tool [-6] RULES_FILE IFACE...");
  auto skel = Skeleton<iptables>::open("iptables");
  if (!skel) return fail(skel.error().what());
  (*skel)->rodata->ipt_family = family == Family::v4 ? IPT_FAMILY_V4 : IPT_FAMILY_V6;
  if (auto st = skel->load(); !st) return fail(st.error().what());
  ClassifierMaps maps = classifier_maps(skel->get());
  ipt_config cfg{};
  for (auto& slot : cfg.hook_chain)
    for (auto& c : slot) c = IPT_NONE;
  uint32_t zero = 0;
  bpf_map_update_elem(maps.config, &zero, &cfg, BPF_ANY);
  MapLoader loader(maps);
  uint32_t slot = 1;
  auto apply = [&]() -> Status {
    std::ifstream f(argv[1]);
    std::stringstream ss;
    ss << f.rdbuf();
    auto rs = restore(empty_ruleset(family), ss.str(), {});
    if (!rs) return rs.error();
    auto c = compile(*rs);
    if (!c) return c.error();
    auto host = read_host_state(family);
    if (!host) return host.error();
    if (auto st = write_host_state(*host, bpf_map__fd((*skel)->maps.ipt_local_addrs), bpf_map__fd((*skel)->maps.ipt_iface_addrs)); !st) return st;
    slot ^= 1;
    if (auto st = loader.load(*c, slot); !st) return st;
    if (auto st = loader.set_interfaces(*c, host->ifindex); !st) return st;
    if (auto st = loader.activate(slot, *c); !st) return st;
    return loader.clear(slot ^ 1);
  };
  if (auto st = apply(); !st) return fail(st.error().what());
  std::vector<Link> links;
  for (int i = 2; i < argc; ++i) {
    int idx = static_cast<int>(if_nametoindex(argv[i]));
    if (!idx) return fail(std::string("no interface ") + argv[i]);
    auto in = Link::create(bpf_program__fd((*skel)->progs.ipt_tc_ingress), idx, kAttachTcxIngress);
    if (!in) return fail(in.error().what());
    auto out = Link::create(bpf_program__fd((*skel)->progs.ipt_tc_egress), idx, kAttachTcxEgress);
    if (!out) return fail(out.error().what());
    links.push_back(std::move(*in));
    links.push_back(std::move(*out));
  }
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGHUP, on_hup);
  printf("ready\n");
  fflush(stdout);
  while (!g_stop) {
    pause();
    if (g_reload) {
      g_reload = 0;
      auto st = apply();
      printf("%s\n", st ? "reloaded" : ("reload failed: " + st.error().what()).c_str());
      fflush(stdout);
    }
  }
  return 0;
}

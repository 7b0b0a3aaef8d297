// netaccelctl: the human CLI over netaccel's D-Bus API (the same calls busctl can make).
#include <systemd/sd-bus.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "agent_commands.h"
#include "policy_commands.h"
#include "status_command.h"
#include "fwd/dbus_api.h"
#include "sockmap/dbus_api.h"

namespace {
using netaccel::fwd::kBusName;
using netaccel::fwd::kInterface;
using netaccel::fwd::kObjectPath;

struct Bus {
  sd_bus* b = nullptr;
  ~Bus() { sd_bus_flush_close_unref(b); }
};

int report(int r, sd_bus_error& err, const std::string& what) {
  std::fprintf(stderr, "netaccelctl: %s: %s\n", what.c_str(),
               sd_bus_error_is_set(&err) ? err.message : strerror(-r));
  if (sd_bus_error_is_set(&err)) std::fprintf(stderr, "  (%s)\n", err.name);
  sd_bus_error_free(&err);
  return 1;
}

int print_list(sd_bus* bus) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, kBusName, kObjectPath, kInterface, "ListInterfaces", &err, &reply, "");
  if (r < 0) return report(r, err, "ListInterfaces");
  std::printf("%-16s %7s %-7s %-4s %-12s %s\n", "INTERFACE", "IFINDEX", "MODE", "HOOK", "BRIDGE", "AUTO");
  r = sd_bus_message_enter_container(reply, 'a', "(sisssb)");
  const char *name, *mode, *hook, *bridge;
  int ifindex, automatic;
  while (r >= 0 && sd_bus_message_read(reply, "(sisssb)", &name, &ifindex, &mode, &hook, &bridge, &automatic) > 0)
    std::printf("%-16s %7d %-7s %-4s %-12s %s\n", name, ifindex, mode, hook, *bridge ? bridge : "-", automatic ? "yes" : "no");
  sd_bus_message_unref(reply);
  return 0;
}

int print_status(sd_bus* bus) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  char *version = nullptr, *mode = nullptr;
  uint32_t count = 0;
  int r = sd_bus_get_property_string(bus, kBusName, kObjectPath, kInterface, "Version", &err, &version);
  if (r < 0) return report(r, err, "read Version");
  r = sd_bus_get_property_string(bus, kBusName, kObjectPath, kInterface, "Mode", &err, &mode);
  if (r < 0) return report(r, err, "read Mode");
  r = sd_bus_get_property_trivial(bus, kBusName, kObjectPath, kInterface, "AttachedCount", &err, 'u', &count);
  if (r < 0) return report(r, err, "read AttachedCount");
  std::printf("netaccel-fwd %s, default hook %s, %u interfaces attached\n\n", version, mode, count);
  free(version);
  free(mode);
  return print_list(bus);
}

int print_stats(sd_bus* bus, const std::string& ifname, bool all) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, kBusName, kObjectPath, kInterface, "GetStats", &err, &reply, "s", ifname.c_str());
  if (r < 0) return report(r, err, "GetStats " + ifname);
  std::printf("%-24s %16s\n", "COUNTER", ifname.c_str());
  r = sd_bus_message_enter_container(reply, 'a', "{st}");
  const char* name;
  uint64_t v;
  while (r >= 0 && sd_bus_message_read(reply, "{st}", &name, &v) > 0)
    if (all || v) std::printf("%-24s %16llu\n", name, static_cast<unsigned long long>(v));
  sd_bus_message_unref(reply);
  return 0;
}

int call_method(sd_bus* bus, const char* method, const std::vector<std::string>& args) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = args.size() == 2
              ? sd_bus_call_method(bus, kBusName, kObjectPath, kInterface, method, &err, nullptr, "ss", args[0].c_str(), args[1].c_str())
              : sd_bus_call_method(bus, kBusName, kObjectPath, kInterface, method, &err, nullptr, "s", args[0].c_str());
  if (r < 0) return report(r, err, method);
  return 0;
}
namespace sm = netaccel::sockmap;

int sockmap_stats(sd_bus* bus) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(bus, sm::kBusName, sm::kObjectPath, sm::kInterface, "GetStats", &err, &reply, "");
  if (r < 0) return report(r, err, "GetStats");
  std::printf("%-24s %16s\n", "COUNTER", "VALUE");
  r = sd_bus_message_enter_container(reply, 'a', "{st}");
  const char* name;
  uint64_t v;
  while (r >= 0 && sd_bus_message_read(reply, "{st}", &name, &v) > 0)
    std::printf("%-24s %16llu\n", name, static_cast<unsigned long long>(v));
  sd_bus_message_unref(reply);
  return 0;
}

int sockmap_status(sd_bus* bus) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  char* version = nullptr;
  int r = sd_bus_get_property_string(bus, sm::kBusName, sm::kObjectPath, sm::kInterface, "Version", &err, &version);
  if (r < 0) return report(r, err, "read Version");
  sd_bus_message* reply = nullptr;
  r = sd_bus_call_method(bus, sm::kBusName, sm::kObjectPath, sm::kInterface, "ListCgroups", &err, &reply, "");
  if (r < 0) {
    free(version);
    return report(r, err, "ListCgroups");
  }
  char** cgroups = nullptr;
  sd_bus_message_read_strv(reply, &cgroups);
  std::printf("netaccel-sockmap %s\n\nENABLED CGROUPS\n", version);
  for (char** c = cgroups; c && *c; ++c) {
    std::printf("%s\n", *c);
    free(*c);
  }
  free(cgroups);
  free(version);
  sd_bus_message_unref(reply);
  std::printf("\n");
  return sockmap_stats(bus);
}

int sockmap_add_pod(sd_bus* bus, const std::string& ip, const std::string& netns) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = sd_bus_call_method(bus, sm::kBusName, sm::kObjectPath, sm::kInterface, "AddSidecarPod", &err, nullptr, "ss",
                             ip.c_str(), netns.c_str());
  if (r < 0) return report(r, err, "AddSidecarPod");
  return 0;
}

int sockmap_call(sd_bus* bus, const char* method, const std::string& cgroup) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = sd_bus_call_method(bus, sm::kBusName, sm::kObjectPath, sm::kInterface, method, &err, nullptr, "s", cgroup.c_str());
  if (r < 0) return report(r, err, method);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccelctl: administer netaccel services over D-Bus"};
  app.require_subcommand(1);
  auto* node = app.add_subcommand("status", "every netaccel service on this node: running or not, what it accelerates");
  auto* fwd = app.add_subcommand("fwd", "veth fast path (netaccel-fwd)");
  fwd->require_subcommand(1);
  auto* status = fwd->add_subcommand("status", "version, default hook and attached interfaces");
  auto* list = fwd->add_subcommand("list", "attached interfaces");
  std::string ifname, mode;
  bool all = false;
  auto* stats = fwd->add_subcommand("stats", "per-interface counters (non-zero unless --all)");
  stats->add_option("interface", ifname)->required();
  stats->add_flag("-a,--all", all);
  auto* attach = fwd->add_subcommand("attach", "attach to a veth");
  attach->add_option("interface", ifname)->required();
  attach->add_option("mode", mode, "router|bridge[:tc|:xdp]")->required();
  auto* detach = fwd->add_subcommand("detach", "detach from a veth");
  detach->add_option("interface", ifname)->required();
  auto* smap = app.add_subcommand("sockmap", "same-node socket acceleration (netaccel-sockmap)");
  smap->require_subcommand(1);
  std::string cgroup;
  auto* sm_status = smap->add_subcommand("status", "version, enabled cgroups, counters");
  auto* sm_stats = smap->add_subcommand("stats", "counters");
  auto* sm_enable = smap->add_subcommand("enable", "accelerate the TCP sockets of a cgroup v2");
  sm_enable->add_option("cgroup", cgroup)->required();
  auto* sm_disable = smap->add_subcommand("disable", "stop accelerating new sockets of a cgroup");
  sm_disable->add_option("cgroup", cgroup)->required();
  std::string pod_ip, pod_netns;
  auto* sm_add_pod = smap->add_subcommand("add-sidecar-pod", "sidecar mode: a same-node pod with its own sidecar");
  sm_add_pod->add_option("ip", pod_ip)->required();
  sm_add_pod->add_option("netns", pod_netns, "its network namespace, e.g. /run/netns/cni-...")->required();
  auto* sm_del_pod = smap->add_subcommand("remove-sidecar-pod", "sidecar mode: forget a sidecar pod");
  sm_del_pod->add_option("ip", pod_ip)->required();

  auto* pol = app.add_subcommand("policy", "NetworkPolicy enforcement (netaccel-policy)");
  pol->require_subcommand(1);
  std::string pol_pod;
  unsigned drops = 0;
  auto* pol_eps = pol->add_subcommand("endpoints", "this node's pods: identity, isolated directions");
  auto* pol_ids = pol->add_subcommand("identities", "every identity in use and what it is");
  auto* pol_get = pol->add_subcommand("get", "a pod's computed policy in words");
  pol_get->add_option("pod", pol_pod, "NAMESPACE/NAME")->required();
  auto* pol_stats = pol->add_subcommand("stats", "per pod and direction: allowed, established, denied, unrestricted");
  auto* pol_mon = pol->add_subcommand("monitor", "print every denied packet as it happens");
  pol_mon->add_option("-c,--count", drops, "stop after this many");

  // kubectl's verbs over netaccel-agent's copy of the cluster objects.
  std::vector<std::string> files;
  std::string kind, name, ns, output;
  bool all_ns = false;
  auto* apply = app.add_subcommand("apply", "apply Kubernetes objects (netaccel-agent)");
  apply->add_option("-f,--filename", files, "file, directory or - (stdin)")->required();
  auto* del = app.add_subcommand("delete", "delete objects: -f FILE, or KIND NAME");
  del->add_option("-f,--filename", files, "file, directory or - (stdin)");
  del->add_option("kind", kind);
  del->add_option("name", name);
  del->add_option("-n,--namespace", ns);
  auto* get = app.add_subcommand("get", "show objects: KIND [NAME], or endpoints (this node's pods)");
  get->add_option("kind", kind)->required();
  get->add_option("name", name);
  get->add_option("-n,--namespace", ns);
  get->add_flag("-A,--all-namespaces", all_ns);
  get->add_option("-o,--output", output, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  CLI11_PARSE(app, argc, argv);
  if (*del && files.empty() == (kind.empty() || name.empty())) {
    std::fprintf(stderr, "netaccelctl delete: give -f FILE, or KIND and NAME\n");
    return 2;
  }

  Bus bus;
  if (int r = sd_bus_open_system(&bus.b); r < 0) {
    std::fprintf(stderr, "netaccelctl: connect to the system bus: %s\n", strerror(-r));
    return 1;
  }
  if (*node) return netaccel::ctl::node_status(bus.b);
  if (*status) return print_status(bus.b);
  if (*list) return print_list(bus.b);
  if (*stats) return print_stats(bus.b, ifname, all);
  if (*attach) return call_method(bus.b, "Attach", {ifname, mode});
  if (*detach) return call_method(bus.b, "Detach", {ifname});
  if (*sm_status) return sockmap_status(bus.b);
  if (*sm_stats) return sockmap_stats(bus.b);
  if (*sm_enable) return sockmap_call(bus.b, "Enable", cgroup);
  if (*sm_disable) return sockmap_call(bus.b, "Disable", cgroup);
  if (*sm_add_pod) return sockmap_add_pod(bus.b, pod_ip, pod_netns);
  if (*sm_del_pod) return sockmap_call(bus.b, "RemoveSidecarPod", pod_ip);
  namespace ctl = netaccel::ctl;
  if (*pol_eps) return ctl::policy_endpoints(bus.b);
  if (*pol_ids) return ctl::policy_identities(bus.b);
  if (*pol_get) return ctl::policy_get(bus.b, pol_pod);
  if (*pol_stats) return ctl::policy_stats(bus.b);
  if (*pol_mon) return ctl::policy_monitor(bus.b, drops);
  if (*apply) return ctl::agent_apply(bus.b, files);
  if (*del) return files.empty() ? ctl::agent_delete(bus.b, kind, ns, name) : ctl::agent_delete_files(bus.b, files);
  if (*get && (kind == "endpoints" || kind == "endpoint" || kind == "ep"))
    return ctl::agent_get_endpoints(bus.b, output);
  if (*get) return ctl::agent_get(bus.b, kind, name, ns, all_ns, output);
  return 1;
}

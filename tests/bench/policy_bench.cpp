// netaccel-policy against the per-address translation IP-based enforcers write into iptables
// (one rule per selected pod, kube-router style), on one router namespace between a client
// and a server pod (tests/integration/iptables/topology.sh), run inside that namespace.
// For 10 ... 10,000 pods selected by label (beyond the two real pods they exist as addresses,
// with the real client's rule last in the iptables chain): 64-byte UDP pps and TCP
// request/response latency through an allowed policy, the time to apply the policy and to add
// one pod, and the data-path entries each needs; against no policy at all in the same run.
// Prints a table naming the machine; asserts nothing; a figure it could not measure is n/a
// with the reason, and the run fails.
#include <CLI/CLI.hpp>
#include <bpf/bpf.h>
#include <net/if.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bpf_policy_tables.h"
#include "netaccel/core/tc_stage.h"
#include "policy_compiler.h"
#include "policy_skeleton.h"
#include "report.h"
#include "traffic.h"

using namespace netaccel;
using namespace netaccel::bench;
using namespace netaccel::policy;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

double seconds_of(const std::function<bool()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  bool ok = fn();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ok ? s : -1;
}

std::string other_client(int i) { return "10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1); }

const char* kPolicy =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: server, namespace: bench}\n"
    "spec: {podSelector: {matchLabels: {role: server}}, ingress: [{from: [{podSelector: {matchLabels: {role: client}}}], "
    "ports: [{protocol: UDP}, {protocol: TCP, port: 7007}]}]}";

// n pods labelled role=client (the real client and n-1 addresses) and the server.
ClusterView view(int n, bool with_policy, int extra = 0) {
  ClusterView v;
  v.namespaces["bench"] = {"bench", {{"kubernetes.io/metadata.name", "bench"}}};
  v.pods.push_back({"bench", "client", {{"role", "client"}}, {*parse_prefix("10.61.1.2")}, {}});
  for (int i = 0; i < n - 1 + extra; ++i) v.pods.push_back({"bench", "c" + std::to_string(i), {{"role", "client"}}, {*parse_prefix(other_client(i))}, {}});
  v.pods.push_back({"bench", "server", {{"role", "server"}}, {*parse_prefix("10.61.2.2")}, {}});
  if (with_policy) v.policies.push_back(*parse_network_policy(YAML::Load(kPolicy)));
  return v;
}

// The same policy as IP-based enforcers write it: one rule per selected pod and port, the
// real client last (every packet of an unreplied flow walks the chain).
std::string iptables_translation(int n, int extra = 0) {
  std::string r = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NP-SERVER - [0:0]\n"
                  "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -d 10.61.2.2/32 -j NP-SERVER\n";
  auto allow = [&](const std::string& ip) {
    r += "-A NP-SERVER -s " + ip + "/32 -p udp -j ACCEPT\n-A NP-SERVER -s " + ip + "/32 -p tcp -m tcp --dport 7007 -j ACCEPT\n";
  };
  for (int i = 0; i < n - 1 + extra; ++i) allow(other_client(i));
  allow("10.61.1.2");
  return r + "-A NP-SERVER -j DROP\nCOMMIT\n";
}

struct Row {
  std::string engine;
  int pods = 0;
  Figure pps, p50, p99, apply_ms, add_ms, keys, addresses;
};

struct Setup {
  Pod client, server;
  std::string router_mac;
  double seconds = 2;
};

void traffic(const Setup& s, Row& r) {
  auto pps = udp64_pps(s.client, s.server, s.router_mac, s.seconds);
  r.pps = pps ? Figure::of(pps->pps) : Figure::missing(pps.error().what());
  auto rr = tcp_rr(s.client, s.server, 2000, 1, 64, 7007);
  r.p50 = rr ? Figure::of(rr->p50_us) : Figure::missing(rr.error().what());
  r.p99 = rr ? Figure::of(rr->p99_us) : Figure::missing(rr.error().what());
}

// netaccel-policy's own path: compile, lower, install (two slots, flip, grace period).
// keys: the endpoints' policy-map keys (what "policy map full" is about); addresses: the
// ipcache and ipBlock ranges, one per pod however the policies look.
struct Entries {
  size_t keys = 0, addresses = 0;
};
Result<double> install_ms(BpfPolicyTables& t, const ClusterView& v, const std::map<std::string, LocalEndpoint>& local, Entries* entries) {
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto t0 = std::chrono::steady_clock::now();
  auto c = compile(v, ids, cidrs);
  if (!c) return c.error();
  auto tables = lower(*c, local);
  if (auto st = t.install(tables); !st) return st.error();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (entries) {
    entries->addresses = tables.ipcache.size() + tables.cidrs.size();
    for (const auto& [_, keys] : tables.rules) entries->keys += keys.size();
  }
  return ms;
}

Row netaccel_row(const Setup& s, int n, Skeleton<struct ::policy>& skel) {
  Row r{"netaccel-policy", n};
  BpfPolicyTables tables(map_fds(skel.get()));
  const uint32_t rc0 = if_nametoindex("rc0"), rs0 = if_nametoindex("rs0");
  const std::map<std::string, LocalEndpoint> local{{"bench/client", {rc0, 1}}, {"bench/server", {rs0, 2}}};
  std::vector<Link> links;
  for (uint32_t ifindex : {rc0, rs0}) {
    for (bool ingress : {true, false}) {
      auto l = attach_tc_stage(bpf_program__fd(ingress ? skel->progs.pol_from_pod_tc : skel->progs.pol_to_pod_tc), static_cast<int>(ifindex), ingress,
                               TcStage::policy);
      if (!l) {
        r.pps = r.p50 = r.p99 = r.apply_ms = r.add_ms = r.keys = r.addresses = Figure::missing(l.error().what());
        return r;
      }
      links.push_back(std::move(*l));
    }
  }
  // The pods first (as a node has them), then the policy: what applying it costs.
  auto pods_only = install_ms(tables, view(n, false), local, nullptr);
  Entries entries;
  auto apply = pods_only ? install_ms(tables, view(n, true), local, &entries) : Result<double>(pods_only.error());
  r.apply_ms = apply ? Figure::of(*apply) : Figure::missing(apply.error().what());
  r.keys = apply ? Figure::of(static_cast<double>(entries.keys)) : Figure::missing(apply.error().what());
  r.addresses = apply ? Figure::of(static_cast<double>(entries.addresses)) : Figure::missing(apply.error().what());
  traffic(s, r);
  auto add = install_ms(tables, view(n, true, 1), local, nullptr);
  r.add_ms = add ? Figure::of(*add) : Figure::missing(add.error().what());
  (void)tables.install(PolicyTables{});
  return r;  // links close here: the programs come off
}

Row iptables_row(const Setup& s, int n, const std::string& backend) {
  Row r{"iptables-" + backend, n};
  const std::string file = "/tmp/netaccel-policy-bench-" + std::to_string(getpid()) + ".rules";
  std::ofstream(file) << iptables_translation(n);
  double restore = seconds_of([&] { return system(("iptables-" + backend + "-restore < " + file).c_str()) == 0; });
  r.apply_ms = restore >= 0 ? Figure::of(restore * 1000) : Figure::missing("iptables-" + backend + "-restore failed");
  r.keys = Figure::of(2.0 * n + 3);  // the rules are its policy
  r.addresses = Figure::missing("none: the addresses are in the rules");
  traffic(s, r);
  double add = seconds_of([&] {
    return system(("iptables-" + backend + " -I NP-SERVER 1 -s 10.201.0.1/32 -p udp -j ACCEPT").c_str()) == 0;
  });
  r.add_ms = add >= 0 ? Figure::of(add * 1000) : Figure::missing("iptables-" + backend + " -I failed");
  (void)system(("iptables-" + backend + " -F && iptables-" + backend + " -X 2>/dev/null").c_str());
  std::remove(file.c_str());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-policy benchmark (run inside the router namespace of tests/integration/iptables/topology.sh)"};
  std::string prefix, out_dir = "bench";
  std::vector<int> sizes{10, 100, 1000, 10000};
  Setup s;
  app.add_option("--prefix", prefix, "the topology's prefix")->required();
  app.add_option("--out", out_dir);
  app.add_option("--sizes", sizes, "pods selected by label")->delimiter(',');
  app.add_option("--seconds", s.seconds, "per pps figure");
  CLI11_PARSE(app, argc, argv);
  auto mac = [&](const std::string& ns, const std::string& dev) {
    return run("ip -n " + ns + " -o link show " + dev + " | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2");
  };
  s.client = Pod{prefix + "-c", "10.61.1.2", mac(prefix + "-c", "eth0")};
  s.server = Pod{prefix + "-s", "10.61.2.2", mac(prefix + "-s", "eth0")};
  s.router_mac = run("ip -o link show rc0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2");
  const std::string machine = machine_description();
  std::printf("machine: %s\n", machine.c_str());
  if (s.router_mac.empty()) {
    std::printf("n/a (no rc0 here: run inside the topology's router namespace)\n");
    return 1;
  }
  auto skel = Skeleton<struct ::policy>::open("policy");
  if (!skel || !skel->load()) {
    std::printf("n/a (cannot load policy.bpf.o)\n");
    return 1;
  }
  Row base{"no policy", 0};
  traffic(s, base);
  std::vector<Row> rows{base};
  bool have_legacy = system("command -v iptables-legacy-restore >/dev/null") == 0;
  for (int n : sizes) {
    std::fprintf(stderr, "policy_bench: %d pods\n", n);
    rows.push_back(netaccel_row(s, n, *skel));
    if (have_legacy) rows.push_back(iptables_row(s, n, "legacy"));
  }
  Missing missing;
  nlohmann::json results = nlohmann::json::array();
  std::printf("one allowed policy for N pods selected by label (server ingress from role=client), router between two pods\n");
  std::printf("%-16s %6s %10s %7s %8s %8s %7s %10s %9s %9s %9s\n", "engine", "pods", "64B pps", "x none", "rr p50us", "rr p99us", "x none",
              "apply ms", "add-1 ms", "policy", "addrs");
  for (const auto& r : rows) {
    // x none: against no policy at all; for latency none's p50 / this p50 (above 1: faster).
    Figure xp = r.pods ? ratio(r.pps, base.pps) : Figure::of(1), xl = r.pods ? ratio(r.p50, base.p50, true) : Figure::of(1);
    const bool ipt = r.engine.rfind("iptables", 0) == 0;
    std::printf("%-16s %6d %10s %7s %8s %8s %7s %10s %9s %9s %9s\n", r.engine.c_str(), r.pods, cell(r.pps, 10, 0).c_str(), cell(xp, 7, 2).c_str(),
                cell(r.p50, 8, 1).c_str(), cell(r.p99, 8, 1).c_str(), cell(xl, 7, 2).c_str(), r.pods ? cell(r.apply_ms, 10, 2).c_str() : "-",
                r.pods ? cell(r.add_ms, 9, 2).c_str() : "-", r.pods ? cell(r.keys, 9, 0).c_str() : "-",
                r.pods && !ipt ? cell(r.addresses, 9, 0).c_str() : "-");
    const std::string c = r.engine + (r.pods ? " " + std::to_string(r.pods) + " pods" : "");
    for (const auto& [what, f] : std::vector<std::pair<std::string, Figure>>{{"pps", r.pps}, {"rr p50", r.p50}, {"rr p99", r.p99}}) missing.note(c + " " + what, f);
    results.push_back(figure_json(c, "udp64_pps", r.pps, xp));
    results.push_back(figure_json(c, "rr_p50_us", r.p50, xl));
    results.push_back(figure_json(c, "rr_p99_us", r.p99, Figure::missing("not a ratio")));
    if (r.pods) {
      for (const auto& [what, f] : std::vector<std::pair<std::string, Figure>>{{"apply", r.apply_ms}, {"add one pod", r.add_ms}}) missing.note(c + " " + what, f);
      results.push_back(figure_json(c, "apply_ms", r.apply_ms, Figure::missing("see the table")));
      results.push_back(figure_json(c, "add_pod_ms", r.add_ms, Figure::missing("see the table")));
      results.push_back(figure_json(c, "policy_entries", r.keys, Figure::missing("see the table")));
    }
  }
  std::printf("(x none: against no policy in the same run, latency as none's p50 / this p50; policy: netaccel's policy-map keys,\n"
              " iptables' rules; addrs: netaccel's address entries (one per pod, whatever the policies); apply/add-1: netaccel\n"
              " compile + two-slot install with its grace period, iptables-restore / one iptables -I)\n");
  if (!have_legacy) std::printf("iptables-legacy: n/a (iptables-legacy-restore not installed)\n");
  missing.print();
  nlohmann::json doc = {{"benchmark", "policy"}, {"machine", machine}, {"results", results}};
  std::ofstream(out_dir + "/policy.json") << doc.dump(2);
  std::printf("wrote %s/policy.json\n", out_dir.c_str());
  return missing.any() || !have_legacy ? 1 : 0;
}

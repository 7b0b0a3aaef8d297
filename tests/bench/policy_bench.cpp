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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bpf_enforcer.h"
#include "policy_compiler.h"
#include "policy_service.h"
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

// p policies isolate the server, policy k allowing UDP and TCP 7007 from the clients of group
// g<k>: client i (an address) is in g<i % p>, the real client in the last group.
std::string client_group(int i, int p) { return "g" + std::to_string(i % p); }
std::string real_client_group(int p) { return "g" + std::to_string(p - 1); }

std::string policies_yaml(int p) {
  std::string out;
  for (int k = 0; k < p; ++k)
    out += "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: server-g" + std::to_string(k) +
           ", namespace: bench}\nspec: {podSelector: {matchLabels: {role: server}}, ingress: [{from: [{podSelector: {matchLabels: "
           "{role: client, group: g" + std::to_string(k) + "}}}], ports: [{protocol: UDP}, {protocol: TCP, port: 7007}]}]}\n";
  return out;
}

// n pods labelled role=client (the real client and n-1 addresses) and the server.
ClusterView view(int n, int p, bool with_policy) {
  ClusterView v;
  v.namespaces["bench"] = {"bench", {{"kubernetes.io/metadata.name", "bench"}}};
  v.pods.push_back({"bench", "client", {{"role", "client"}, {"group", real_client_group(p)}}, {*parse_prefix("10.61.1.2")}, {}});
  for (int i = 0; i < n - 1; ++i)
    v.pods.push_back({"bench", "c" + std::to_string(i), {{"role", "client"}, {"group", client_group(i, p)}}, {*parse_prefix(other_client(i))}, {}});
  v.pods.push_back({"bench", "server", {{"role", "server"}}, {*parse_prefix("10.61.2.2")}, {}});
  if (with_policy)
    for (const auto& doc : YAML::LoadAll(policies_yaml(p))) v.policies.push_back(*parse_network_policy(doc));
  return v;
}

// The same policies as IP-based enforcers write them: one rule per selected pod and port,
// policy after policy, the real client last (every packet of an unreplied flow walks the chain).
std::string iptables_translation(int n, int p) {
  std::string r = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:NP-SERVER - [0:0]\n"
                  "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -d 10.61.2.2/32 -j NP-SERVER\n";
  auto allow = [&](const std::string& ip) {
    r += "-A NP-SERVER -s " + ip + "/32 -p udp -j ACCEPT\n-A NP-SERVER -s " + ip + "/32 -p tcp -m tcp --dport 7007 -j ACCEPT\n";
  };
  for (int k = 0; k < p; ++k)
    for (int i = k; i < n - 1; i += p) allow(other_client(i));
  allow("10.61.1.2");
  return r + "-A NP-SERVER -j DROP\nCOMMIT\n";
}

struct Row {
  std::string engine;
  int pods = 0, policies = 1;
  Figure pps, p50, p99, apply_ms, add_ms, keys, addresses;
  Figure add_state_ms = Figure::missing("rules rewritten: no separate state");  // add_ms less the veth's attach
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

// The cluster as the agent would serve it: namespace bench, the server and the real client
// on this node's veths, n-1 more clients as other nodes' pods (addresses with labels).
struct BenchAgent : ClusterSource {
  int n = 0, p = 1;
  bool with_policy = false;
  Result<std::string> objects(const std::string& kind) override {
    if (kind == "Namespace") return std::string("apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n");
    if (kind == "NetworkPolicy" && with_policy) return policies_yaml(p);
    return std::string();
  }
  Result<std::vector<EndpointRecord>> local_endpoints() override {
    return std::vector<EndpointRecord>{
        {"c/eth0", "bench", "client", {{"role", "client"}, {"group", real_client_group(p)}}, {*parse_prefix("10.61.1.2")}, "rc0"},
        {"s/eth0", "bench", "server", {{"role", "server"}}, {*parse_prefix("10.61.2.2")}, "rs0"}};
  }
  Result<std::vector<EndpointRecord>> remote_endpoints() override {
    std::vector<EndpointRecord> out;
    for (int i = 0; i < n - 1; ++i)
      out.push_back({"o/eth0", "bench", "c" + std::to_string(i), {{"role", "client"}, {"group", client_group(i, p)}}, {*parse_prefix(other_client(i))}, ""});
    return out;
  }
};

// keys: the endpoints' policy-map keys (what "policy map full" is about); addresses: the
// ipcache and ipBlock ranges, one per pod however the policies look. The compiler's own
// output for the bench's cluster, counted.
struct Entries {
  size_t keys = 0, addresses = 0;
};
Result<Entries> entries_of(int n, int p) {
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto c = compile(view(n, p, true), ids, cidrs);
  if (!c) return c.error();
  auto tables = lower(*c, {{"bench/client", {1, 1}}, {"bench/server", {2, 2}}});
  Entries e{0, tables.ipcache.size() + tables.cidrs.size()};
  for (const auto& [_, keys] : tables.rules) e.keys += keys.size();
  return e;
}

template <typename F>
double ms_of(F&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The daemon's enforcer, timing its attach(): a new veth's two TCX links, each of which the
// kernel commits with an RCU grace period, the same for 10 pods as for 10,000. What is left of
// an add is the policy state's own cost.
struct TimedEnforcer : Enforcer {
  explicit TimedEnforcer(Enforcer& e) : real(e) {}
  Enforcer& real;
  double attach_ms = 0;
  Status install(const PolicyTables& t) override { return real.install(t); }
  Status add_pod(const PodEntries& p) override { return real.add_pod(p); }
  Status prepare_slots(const std::set<uint32_t>& s) override { return real.prepare_slots(s); }
  Status attach(uint32_t ifindex) override {
    Status st;
    attach_ms += ms_of([&] { st = real.attach(ifindex); });
    return st;
  }
  Status detach(uint32_t ifindex) override { return real.detach(ifindex); }
  std::set<uint32_t> attached() const override { return real.attached(); }
  std::map<uint32_t, uint32_t> previous_slots() const override { return real.previous_slots(); }
  DirectionCounters counters(uint32_t slot, Direction d) const override { return real.counters(slot, d); }
  uint64_t generation() const override { return real.generation(); }
};

// The pods a node starts with CNI ADD during the run: veths rn0..rn<kAdds-1> (the script
// makes them), each a role=client pod whose identity is in use.
constexpr int kAdds = 5;

// netaccel-policy as the daemon runs it, less the bus: PolicyService over the BpfEnforcer
// (pinned maps, TCX links on the veths). apply: a resync that finds the policy (read, compile,
// two-slot install with its grace period); add-1: AddEndpoint, what the agent calls before
// its CNI ADD returns (median of kAdds).
Row netaccel_row(const Setup& s, int n, int p, const std::string& pin_root) {
  Row r{"netaccel-policy", n, p};
  auto fail_all = [&](const std::string& why) {
    r.pps = r.p50 = r.p99 = r.apply_ms = r.add_ms = r.add_state_ms = r.keys = r.addresses = Figure::missing(why);
    return r;
  };
  PolicyConfig cfg;
  cfg.pin_root = pin_root;
  {
    auto enforcer = BpfEnforcer::open(cfg);
    if (!enforcer) return fail_all(enforcer.error().what());
    BenchAgent agent;
    agent.n = n;
    agent.p = p;
    TimedEnforcer timed(**enforcer);
    PolicyService svc(agent, timed, cfg);
    if (auto st = svc.resync(); !st) return fail_all(st.error().what());
    agent.with_policy = true;
    Status applied;
    double apply = ms_of([&] { applied = svc.resync(); });
    r.apply_ms = applied ? Figure::of(apply) : Figure::missing(applied.error().what());
    auto entries = entries_of(n, p);
    r.keys = entries ? Figure::of(static_cast<double>(entries->keys)) : Figure::missing(entries.error().what());
    r.addresses = entries ? Figure::of(static_cast<double>(entries->addresses)) : Figure::missing(entries.error().what());
    traffic(s, r);
    std::vector<double> adds, states;
    std::string why;
    for (int i = 0; i < kAdds && why.empty(); ++i) {
      const std::string json = R"({"containerId":"new)" + std::to_string(i) + R"(","ifname":"eth0","hostVeth":"rn)" + std::to_string(i) +
                               R"(","ipv4":"10.201.0.)" + std::to_string(i + 1) +
                               R"(","podNamespace":"bench","podName":"new)" + std::to_string(i) + R"(","labels":{"role":"client","group":")" +
                               client_group(0, p) + R"("}})";
      // What the daemon does once idle after each change, before the next CNI ADD comes.
      if (auto st = svc.prepare_for_adds(); !st) {
        why = st.error().what();
        break;
      }
      const uint64_t before = (*enforcer)->generation();
      timed.attach_ms = 0;
      Status st;
      double ms = ms_of([&] { st = svc.add_endpoint(json); });
      if (!st) why = st.error().what();
      else if ((*enforcer)->generation() != before + 1) why = "the add was not one change";
      else {
        adds.push_back(ms);
        states.push_back(ms - timed.attach_ms);
      }
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return Figure::of(v[v.size() / 2]);
    };
    r.add_ms = why.empty() ? median(adds) : Figure::missing(why);
    r.add_state_ms = why.empty() ? median(states) : Figure::missing(why);
  }
  // The enforcer is gone; its pinned links and maps go now (the programs come off).
  if (auto st = BpfEnforcer::purge(pin_root); !st) std::fprintf(stderr, "policy_bench: purge %s: %s\n", pin_root.c_str(), st.error().what().c_str());
  return r;
}

// One iptables back end: its restore command and its iptables command, run in this namespace.
struct Iptables {
  std::string engine, restore, command;
};

Row iptables_row(const Setup& s, int n, int p, const Iptables& b) {
  Row r{b.engine, n, p};
  const std::string file = "/tmp/netaccel-policy-bench-" + std::to_string(getpid()) + ".rules";
  std::ofstream(file) << iptables_translation(n, p);
  double restore = seconds_of([&] { return system((b.restore + " < " + file).c_str()) == 0; });
  r.apply_ms = restore >= 0 ? Figure::of(restore * 1000) : Figure::missing(b.restore + " failed");
  r.keys = Figure::of(2.0 * n + 3);  // the rules are its policy
  r.addresses = Figure::missing("none: the addresses are in the rules");
  traffic(s, r);
  double add = seconds_of([&] { return system((b.command + " -I NP-SERVER 1 -s 10.201.0.1/32 -p udp -j ACCEPT").c_str()) == 0; });
  r.add_ms = add >= 0 ? Figure::of(add * 1000) : Figure::missing(b.command + " -I failed");
  (void)system((b.command + " -F && " + b.command + " -X 2>/dev/null").c_str());
  std::remove(file.c_str());
  return r;
}

// netaccel-iptablesd for one row: started on the bus the script made (its config names rc0
// and rs0), ready when `netaccel-iptables -S` answers; stopped and purged afterwards so that
// the next netaccel-policy row runs alone on the veths.
class IptablesDaemon {
 public:
  IptablesDaemon(const std::string& bin, const std::string& conf) : bin_(bin), conf_(conf) {
    pid_ = fork();
    if (pid_ == 0) {
      setenv("NETACCEL_LOG", "stderr", 1);
      execl((bin + "/services/iptables/netaccel-iptablesd").c_str(), "netaccel-iptablesd", "-c", conf.c_str(), nullptr);
      _exit(127);
    }
    // The daemon answers once its bus name is taken; bounded, and a failure is a reason.
    for (int i = 0; i < 150 && pid_ > 0; ++i) {
      if (system((bin + "/services/iptables/netaccel-iptables -S >/dev/null 2>&1").c_str()) == 0) {
        ready_ = true;
        break;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      usleep(200000);
    }
  }
  ~IptablesDaemon() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    (void)system((bin_ + "/services/iptables/netaccel-iptablesd --purge -c " + conf_ + " >/dev/null 2>&1").c_str());
  }
  bool ready() const { return ready_; }

 private:
  std::string bin_, conf_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

Row netaccel_iptables_row(const Setup& s, int n, int p, const std::string& bin, const std::string& conf) {
  IptablesDaemon daemon(bin, conf);
  if (!daemon.ready()) {
    Row r{"netaccel-iptables", n, p};
    r.pps = r.p50 = r.p99 = r.apply_ms = r.add_ms = r.keys = r.addresses = Figure::missing("netaccel-iptablesd did not start");
    return r;
  }
  return iptables_row(s, n, p, {"netaccel-iptables", bin + "/services/iptables/netaccel-iptables-restore", bin + "/services/iptables/netaccel-iptables"});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-policy benchmark (run inside the router namespace of tests/integration/iptables/topology.sh)"};
  std::string prefix, out_dir = "bench";
  std::vector<int> sizes{10, 100, 1000, 10000}, policy_counts{10, 100};
  int policy_pods = 1000;
  Setup s;
  app.add_option("--prefix", prefix, "the topology's prefix")->required();
  app.add_option("--out", out_dir);
  app.add_option("--sizes", sizes, "pods selected by label")->delimiter(',');
  app.add_option("--seconds", s.seconds, "per pps figure");
  app.add_option("--policies", policy_counts, "policies over --policy-pods pods, one row each (besides the single policy)")->delimiter(',');
  app.add_option("--policy-pods", policy_pods);
  std::string pin_root = "/sys/fs/bpf/netaccel-policy-bench-" + std::to_string(getpid()), bin, iptables_conf;
  app.add_option("--pin-root", pin_root, "where netaccel-policy pins (purged after each row)");
  app.add_option("--bin", bin, "the build directory, for netaccel-iptablesd");
  app.add_option("--iptables-conf", iptables_conf, "netaccel-iptablesd's config (the script writes it)");
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
  Row base{"no policy", 0};
  traffic(s, base);
  std::vector<Row> rows{base};
  bool have_legacy = system("command -v iptables-legacy-restore >/dev/null") == 0;
  std::vector<std::pair<int, int>> shapes;  // (pods, policies)
  for (int n : sizes) shapes.emplace_back(n, 1);
  for (int p : policy_counts) shapes.emplace_back(policy_pods, p);
  for (const auto& [n, p] : shapes) {
    std::fprintf(stderr, "policy_bench: %d pods, %d policies\n", n, p);
    rows.push_back(netaccel_row(s, n, p, pin_root));
    if (have_legacy) rows.push_back(iptables_row(s, n, p, {"iptables-legacy", "iptables-legacy-restore", "iptables-legacy"}));
    if (!bin.empty()) rows.push_back(netaccel_iptables_row(s, n, p, bin, iptables_conf));
  }
  Missing missing;
  nlohmann::json results = nlohmann::json::array();
  std::printf("P policies isolating the server, each allowing UDP and TCP 7007 from one group of N client pods (the real client's\n"
              "group last), router between two pods\n");
  std::printf("%-17s %6s %5s %10s %7s %8s %8s %7s %10s %9s %9s %9s %9s\n", "engine", "pods", "pols", "64B pps", "x none", "rr p50us", "rr p99us", "x none",
              "apply ms", "add-1 ms", "state ms", "policy", "addrs");
  for (const auto& r : rows) {
    // x none: against no policy at all; for latency none's p50 / this p50 (above 1: faster).
    Figure xp = r.pods ? ratio(r.pps, base.pps) : Figure::of(1), xl = r.pods ? ratio(r.p50, base.p50, true) : Figure::of(1);
    const bool ipt = r.engine.find("iptables") != std::string::npos;
    std::printf("%-17s %6d %5d %10s %7s %8s %8s %7s %10s %9s %9s %9s %9s\n", r.engine.c_str(), r.pods, r.pods ? r.policies : 0, cell(r.pps, 10, 0).c_str(), cell(xp, 7, 2).c_str(),
                cell(r.p50, 8, 1).c_str(), cell(r.p99, 8, 1).c_str(), cell(xl, 7, 2).c_str(), r.pods ? cell(r.apply_ms, 10, 2).c_str() : "-",
                r.pods ? cell(r.add_ms, 9, 2).c_str() : "-", r.pods && !ipt ? cell(r.add_state_ms, 9, 3).c_str() : "-",
                r.pods ? cell(r.keys, 9, 0).c_str() : "-",
                r.pods && !ipt ? cell(r.addresses, 9, 0).c_str() : "-");
    const std::string c = r.engine + (r.pods ? " " + std::to_string(r.pods) + " pods" : "") +
                          (r.policies > 1 ? " " + std::to_string(r.policies) + " policies" : "");
    for (const auto& [what, f] : std::vector<std::pair<std::string, Figure>>{{"pps", r.pps}, {"rr p50", r.p50}, {"rr p99", r.p99}}) missing.note(c + " " + what, f);
    results.push_back(figure_json(c, "udp64_pps", r.pps, xp));
    results.push_back(figure_json(c, "rr_p50_us", r.p50, xl));
    results.push_back(figure_json(c, "rr_p99_us", r.p99, Figure::missing("not a ratio")));
    if (r.pods) {
      for (const auto& [what, f] : std::vector<std::pair<std::string, Figure>>{{"apply", r.apply_ms}, {"add one pod", r.add_ms}}) missing.note(c + " " + what, f);
      results.push_back(figure_json(c, "apply_ms", r.apply_ms, Figure::missing("see the table")));
      results.push_back(figure_json(c, "add_pod_ms", r.add_ms, Figure::missing("see the table")));
      if (!ipt) {
        missing.note(c + " add one pod, state", r.add_state_ms);
        results.push_back(figure_json(c, "add_pod_state_ms", r.add_state_ms, Figure::missing("see the table")));
      }
      results.push_back(figure_json(c, "policy_entries", r.keys, Figure::missing("see the table")));
    }
  }
  std::printf("(x none: against no policy in the same run, latency as none's p50 / this p50; policy: netaccel's policy-map keys,\n"
              " iptables' rules; addrs: netaccel's address entries (one per pod, whatever the policies); apply: netaccel-policy's\n"
              " resync (read, compile, two-slot install with its grace period), *-restore; add-1: AddEndpoint of a pod of a known\n"
              " identity as the agent calls it at CNI ADD (median of 5), one iptables -I; state: add-1 less attaching the pod\n"
              " veth's two TCX links, which the kernel commits with an RCU grace period each, whatever the number of pods)\n");
  // The issue's targets, as ratios of this run's figures (printed, never asserted).
  auto find = [&](const std::string& engine, int pods, int policies = 1) -> const Row* {
    for (const auto& r : rows)
      if (r.engine == engine && r.pods == pods && r.policies == policies) return &r;
    return nullptr;
  };
  const int lo = sizes.empty() ? 0 : *std::min_element(sizes.begin(), sizes.end()), hi = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  if (const Row *a = find("netaccel-policy", lo), *b = find("netaccel-policy", hi); a && b && lo != hi)
    std::printf("targets: pps at %d pods / at %d: %s (target >= 0.9); add-1 state at %d pods: %s ms (target <= 1)\n", hi, lo,
                cell(ratio(b->pps, a->pps), 0, 2).c_str(), hi, cell(b->add_state_ms, 0, 3).c_str());
  if (!policy_counts.empty())
    if (const Row *a = find("netaccel-policy", policy_pods), *b = find("netaccel-policy", policy_pods, policy_counts.back()); a && b)
      std::printf("targets: pps with %d policies / with 1, at %d pods: %s (flat: about 1)\n", policy_counts.back(), policy_pods,
                  cell(ratio(b->pps, a->pps), 0, 2).c_str());
  // The ipcache holds one address per pod whatever the policies (O(pods + policies) against
  // the per-IP translation's O(pods x policies)): both ratios are printed.
  if (const Row *a = find("netaccel-policy", 1000), *b = find("iptables-legacy", 1000); a && b && a->keys.value && a->addresses.value)
    std::printf("targets: at 1000 pods, per-IP rules / netaccel policy-map keys: %s (target >= 20); / keys + ipcache addresses: %s\n",
                cell(ratio(b->keys, a->keys), 0, 1).c_str(), cell(ratio(b->keys, Figure::of(*a->keys.value + *a->addresses.value)), 0, 1).c_str());
  if (!have_legacy) std::printf("iptables-legacy: n/a (iptables-legacy-restore not installed)\n");
  if (bin.empty()) std::printf("netaccel-iptables: n/a (no --bin: run through run_policy_bench.sh)\n");
  missing.print();
  nlohmann::json doc = {{"benchmark", "policy"}, {"machine", machine}, {"results", results}};
  std::ofstream(out_dir + "/policy.json") << doc.dump(2);
  std::printf("wrote %s/policy.json\n", out_dir.c_str());
  return missing.any() || !have_legacy || bin.empty() ? 1 : 0;
}

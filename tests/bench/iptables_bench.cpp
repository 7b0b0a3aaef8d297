// netaccel-iptables benchmark, one back end per invocation (run_iptables_bench.sh runs
// iptables-legacy, iptables-nft and netaccel in one go, then `report`):
// - FORWARD chains of 10 .. 50,000 rules: 64-byte UDP frames per second delivered through the
//   router (BPF live-frame generator) with all traffic matching the last rule, and spread
//   evenly over every rule; TCP request/response latency; time to restore each ruleset; time
//   to add one rule.
// - kube-proxy rulesets of 1,000 .. 25,000 services: time to restore, time to add one service
//   (the minimal --noflush update, and the sync kube-proxy really writes: its top-level chains
//   re-declared and rewritten in full), connect + request/response latency to the first and
//   the last service (only a connection's first packet walks the nat table).
// `report` prints both tables with ratios and writes iptables.json and iptables.svg (pps
// against rule count, log scale). Asserts nothing.
#include <arpa/inet.h>
#include <net/if.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kube_proxy_rules.h"
#include "report.h"
#include "traffic.h"

namespace {
using namespace netaccel;
using namespace netaccel::bench;
using netaccel::test::Endpoint;
using netaccel::test::kube_proxy_add_service;
using netaccel::test::kube_proxy_sync;
using netaccel::test::kube_proxy_ruleset;
using netaccel::test::service_ip;
using json = nlohmann::json;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  pclose(p);
  return out;
}

double timed(const std::string& cmd) {
  auto t0 = std::chrono::steady_clock::now();
  int rc = system(cmd.c_str());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rc == 0 ? s : -1;
}

// A row's figure: "key" when measured, "key_na" (the reason) when not; never 0 for missing.
void put(json& row, const std::string& key, const Figure& f) {
  if (f.ok()) row[key] = *f.value;
  else row[key + "_na"] = f.why;
}
Figure fig(const json& row, const std::string& key) {
  if (row.contains(key) && row[key].is_number()) return Figure::of(row[key].get<double>());
  return Figure::missing(row.value(key + "_na", std::string("not measured")));
}
bool any_missing(const json& rows) {
  for (const auto& r : rows)
    for (const auto& [k, v] : r.items())
      if (k.size() > 3 && k.compare(k.size() - 3, 3, "_na") == 0) return true;
  return false;
}

std::string mac_of(const std::string& ns, const std::string& dev) {
  std::string m = run("ip -n " + ns + " -o link show " + dev + " | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2");
  while (!m.empty() && m.back() == '\n') m.pop_back();
  return m;
}

// Rule i < n - 2 of the FORWARD benchmark matches exactly this flow (to 10.61.2.2).
std::string filler_source(int i) { return "10.99." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1); }
uint16_t filler_port(int i) { return static_cast<uint16_t>(1000 + i % 60000); }

// FORWARD with n rules; the test flows (10.61.1.2 <-> 10.61.2.2) match the last two.
std::string ruleset(int n) {
  std::string s = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < n - 2; ++i)
    s += "-A FORWARD -s " + filler_source(i) + "/32 -d 10.61.2.2/32 -p udp -m udp --dport " + std::to_string(filler_port(i)) +
         " -j ACCEPT\n";
  s += "-A FORWARD -s 10.61.2.2/32 -d 10.61.1.2/32 -j ACCEPT\n-A FORWARD -s 10.61.1.2/32 -d 10.61.2.2/32 -j ACCEPT\nCOMMIT\n";
  return s;
}

// One flow per rule of ruleset(n), the client's own for the last one: traffic spread evenly.
std::vector<gen_flow> spread_flows(int n, const std::string& client_ip) {
  std::vector<gen_flow> flows;
  auto flow = [](const std::string& ip, uint16_t port) {
    gen_flow f{};
    inet_pton(AF_INET, ip.c_str(), &f.saddr);
    f.dport = htons(port);
    return f;
  };
  for (int i = 0; i < n - 2 && flows.size() + 1 < GEN_MAX_FLOWS; ++i) flows.push_back(flow(filler_source(i), filler_port(i)));
  flows.push_back(flow(client_ip, 9));
  return flows;
}

struct Backend {
  std::string restore, command;  // run inside the router's namespace
};

Backend backend(const std::string& name, const std::string& ns, const std::string& bin) {
  if (name == "netaccel")
    return {bin + "/services/iptables/netaccel-iptables-restore", bin + "/services/iptables/netaccel-iptables"};
  return {"ip netns exec " + ns + " iptables-" + name + "-restore", "ip netns exec " + ns + " iptables-" + name};
}

void svg(const json& rows, const std::string& path) {
  // One line per back end and traffic pattern: solid for "last rule", dashed for "spread".
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  double ymax = 1;
  for (const auto& r : rows) {
    const std::string b = r["backend"];
    for (const auto& [key, name] : {std::pair<std::string, std::string>{"pps", b}, {"pps_spread", b + " spread"}})
      if (auto f = fig(r, key); f.ok()) {  // an unmeasured point is left out, not drawn at 0
        series[name].push_back({r["rules"].get<double>(), *f.value});
        ymax = std::max(ymax, *f.value);
      }
  }
  const double W = 680, H = 400, L = 70, B = 50, T = 30, R = 190;
  auto x = [&](double n) { return L + (std::log10(n) - 1) / (std::log10(50000.0) - 1) * (W - L - R); };
  auto y = [&](double v) { return H - B - v / ymax * (H - B - T); };
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' font-family='sans-serif' font-size='12'>\n"
    << "<rect width='100%' height='100%' fill='white'/>\n<text x='" << L << "' y='18'>64-byte UDP through the router vs FORWARD rules (log scale)</text>\n"
    << "<line x1='" << L << "' y1='" << H - B << "' x2='" << W - R << "' y2='" << H - B << "' stroke='black'/>\n"
    << "<line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << H - B << "' stroke='black'/>\n";
  for (double n : {10.0, 100.0, 1000.0, 10000.0, 50000.0})
    o << "<text x='" << x(n) - 10 << "' y='" << H - B + 18 << "'>" << n << "</text>\n";
  for (int i = 0; i <= 4; ++i)
    o << "<text x='5' y='" << y(ymax * i / 4) + 4 << "'>" << static_cast<long>(ymax * i / 4 / 1000) << "k</text>\n";
  const std::map<std::string, const char*> colors = {{"legacy", "#d62728"}, {"nft", "#1f77b4"}, {"netaccel", "#2ca02c"}};
  int c = 0;
  for (auto& [name, pts] : series) {
    std::sort(pts.begin(), pts.end());
    bool spread = name.find(" spread") != std::string::npos;
    auto col = colors.find(name.substr(0, name.find(' ')));
    const char* color = col == colors.end() ? "#9467bd" : col->second;
    o << "<polyline fill='none' stroke='" << color << "' stroke-width='2'" << (spread ? " stroke-dasharray='6,4'" : "") << " points='";
    for (const auto& [n, v] : pts) o << x(n) << "," << y(v) << " ";
    o << "'/>\n<text x='" << W - R + 10 << "' y='" << T + 20 * c << "' fill='" << color << "'>" << name << (spread ? "" : " (last rule)")
      << "</text>\n";
    ++c;
  }
  o << "<text x='" << (W - R) / 2 - 60 << "' y='" << H - 10 << "'>rules in FORWARD</text>\n</svg>\n";
  std::ofstream(path) << o.str();
}

json read_rows(const std::string& out_dir, const std::string& suffix) {
  json rows = json::array();
  for (const char* b : {"legacy", "nft", "netaccel"}) {
    std::ifstream f(out_dir + "/iptables-" + std::string(b) + suffix + ".json");
    if (!f) continue;
    json part = json::parse(f, nullptr, false);
    if (part.is_array())
      for (auto& r : part) rows.push_back(r);
  }
  return rows;
}

std::string ms_or_dash(double ms) {
  if (ms <= 0) return "-";
  char b[32];
  snprintf(b, sizeof(b), "%.3f", ms);
  return b;
}

void forward_table(json& rows) {
  std::map<int, json> legacy;
  std::map<std::string, Figure> at10;
  for (const auto& r : rows) {
    if (r["backend"] == "legacy") legacy[r["rules"].get<int>()] = r;
    if (r["rules"].get<int>() == 10) at10[r["backend"]] = fig(r, "pps");
  }
  printf("FORWARD rules, 64-byte UDP through the router (last: all traffic matches the last rule; spread: one flow per rule)\n");
  printf("%-9s %6s %10s %8s %8s %10s %8s %9s %9s %10s %10s %10s\n", "backend", "rules", "last pps", "x legacy", "x 10rul", "spread pps",
         "x legacy", "rr p50us", "rr p99us", "restore s", "add-1 ms", "in daemon");
  Missing missing;
  std::set<std::string> generators;
  for (auto& r : rows) {
    int n = r["rules"];
    const std::string who = r["backend"].get<std::string>() + " " + std::to_string(n) + " rules ";
    Figure pps = fig(r, "pps"), spread = fig(r, "pps_spread");
    Figure none = Figure::missing("no legacy row");
    Figure xl = legacy.count(n) ? ratio(pps, fig(legacy[n], "pps")) : none;
    Figure xls = legacy.count(n) ? ratio(spread, fig(legacy[n], "pps_spread")) : none;
    Figure x10 = at10.count(r["backend"]) ? ratio(pps, at10[r["backend"]]) : none;
    put(r, "x_legacy", xl);
    put(r, "x_legacy_spread", xls);
    put(r, "x_10_rules", x10);
    missing.note(who + "pps", pps);
    missing.note(who + "spread pps", spread);
    missing.note(who + "rr", fig(r, "rr_p50_us"));
    if (r.contains("generator")) generators.insert(r["generator"].get<std::string>());
    printf("%-9s %6d %s %s %s %s %s %s %s %10.3f %10.2f %10s\n", r["backend"].get<std::string>().c_str(), n, cell(pps, 10, 0).c_str(),
           cell(xl, 8, 2).c_str(), cell(x10, 8, 2).c_str(), cell(spread, 10, 0).c_str(), cell(xls, 8, 2).c_str(),
           cell(fig(r, "rr_p50_us"), 9, 1).c_str(), cell(fig(r, "rr_p99_us"), 9, 1).c_str(), r["restore_s"].get<double>(),
           r["add_one_ms"].get<double>(), ms_or_dash(r.value("add_one_daemon_ms", 0.0)).c_str());
  }
  for (const auto& g : generators) printf("(frames sent by: %s)\n", g.c_str());
  missing.print();
}

void kube_table(json& rows) {
  std::map<int, json> legacy;
  for (const auto& r : rows)
    if (r["backend"] == "legacy") legacy[r["services"].get<int>()] = r;
  printf("\nkube-proxy services (5 rules, 2 chains each); latency: connect + 64-byte request/response, a new connection each\n");
  printf("%-9s %8s %10s %11s %10s %10s %10s %10s %10s %10s %10s %9s %7s\n", "backend", "services", "restore s", "add-svc ms", "in daemon",
         "sync ms", "in daemon", "first p50", "first p99", "last p50", "last p99", "x legacy", "new ok");
  Missing missing;
  for (auto& r : rows) {
    int n = r["services"];
    Figure last = fig(r, "last_p50_us");
    Figure xl = legacy.count(n) ? ratio(last, fig(legacy[n], "last_p50_us"), true) : Figure::missing("no legacy row");
    put(r, "x_legacy_last_latency", xl);
    const std::string who = r["backend"].get<std::string>() + " " + std::to_string(n) + " services ";
    missing.note(who + "first service latency", fig(r, "first_p50_us"));
    missing.note(who + "last service latency", last);
    printf("%-9s %8d %10.3f %11.2f %10s %10.1f %10s %s %s %s %s %s %7s\n", r["backend"].get<std::string>().c_str(), n,
           r["restore_s"].get<double>(), r["add_service_ms"].get<double>(), ms_or_dash(r.value("add_service_daemon_ms", 0.0)).c_str(),
           r.value("kube_sync_ms", 0.0), ms_or_dash(r.value("kube_sync_daemon_ms", 0.0)).c_str(), cell(fig(r, "first_p50_us"), 10, 1).c_str(),
           cell(fig(r, "first_p99_us"), 10, 1).c_str(), cell(last, 10, 1).c_str(), cell(fig(r, "last_p99_us"), 10, 1).c_str(),
           cell(xl, 9, 2).c_str(), r["new_service_answers"].get<bool>() ? "yes" : "NO");
  }
  printf("(add-svc: the minimal --noflush input; sync: the input kube-proxy writes for the same service, its top-level\n"
         " chains re-declared and rewritten in full in Go's map order. x legacy: legacy's last-service p50 over this one's)\n");
  missing.print();
}

int report(const std::string& out_dir) {
  json rows = read_rows(out_dir, ""), kube = read_rows(out_dir, "-kube");
  const std::string machine = machine_description();
  printf("machine: %s\n", machine.c_str());
  forward_table(rows);
  if (!kube.empty()) kube_table(kube);
  std::ofstream(out_dir + "/iptables.json") << json{{"benchmark", "iptables"}, {"machine", machine}, {"rows", rows}, {"kube_proxy", kube}}.dump(2);
  svg(rows, out_dir + "/iptables.svg");
  printf("wrote %s/iptables.json and %s/iptables.svg\n", out_dir.c_str(), out_dir.c_str());
  return any_missing(rows) || any_missing(kube) ? 1 : 0;  // a figure that is n/a fails the benchmark
}

double daemon_last_change_ms(const std::string& backend_name) {
  if (backend_name != "netaccel") return 0;
  std::string v = run("busctl get-property org.openeuler.NetAccel1.Iptables /org/openeuler/NetAccel1/Iptables "
                      "org.openeuler.NetAccel1.Iptables LastChangeMicros");
  return v.rfind("u ", 0) == 0 ? std::stod(v.substr(2)) / 1000.0 : 0;
}

struct Setup {
  Pod client, server;
  std::string router_mac, out_dir, backend_name;
  Backend be;
  double seconds = 2;
};

int forward_rules(const Setup& s, const std::vector<int>& sizes) {
  json rows = json::array();
  for (int n : sizes) {
    std::string file = s.out_dir + "/iptables-rules-" + std::to_string(n);
    std::ofstream(file) << ruleset(n);
    double restore_s = timed(s.be.restore + " < " + file);
    if (restore_s < 0) {
      fprintf(stderr, "%s: restore of %d rules failed\n", s.backend_name.c_str(), n);
      return 1;
    }
    auto pps = udp64_pps(s.client, s.server, s.router_mac, s.seconds);
    auto spread = udp64_pps(s.client, s.server, s.router_mac, s.seconds, spread_flows(n, s.client.ip));
    auto rr = tcp_rr(s.client, s.server, 2000, 1, 64, 7007);

    // One more rule at the top of a chain that already has n (kube-proxy adds services so).
    double add_ms = timed(s.be.command + " -I FORWARD 1 -s 10.98.0.1/32 -p tcp -m tcp --dport 9 -j ACCEPT >/dev/null") * 1000;
    // The daemon's own time for that insert (the tool's time includes starting a process).
    json row = {{"backend", s.backend_name}, {"rules", n}, {"restore_s", restore_s},
                {"add_one_ms", add_ms}, {"add_one_daemon_ms", daemon_last_change_ms(s.backend_name)}};
    put(row, "pps", pps ? Figure::of(pps->pps) : Figure::missing(pps.error().what()));
    put(row, "pps_spread", spread ? Figure::of(spread->pps) : Figure::missing(spread.error().what()));
    if (pps) row["generator"] = pps->generator;
    put(row, "rr_p50_us", rr ? Figure::of(rr->p50_us) : Figure::missing(rr.error().what()));
    put(row, "rr_p99_us", rr ? Figure::of(rr->p99_us) : Figure::missing(rr.error().what()));
    fprintf(stderr, "iptables_bench: %s, %zu rules measured\n", s.backend_name.c_str(), static_cast<size_t>(n));
    rows.push_back(row);
  }
  std::ofstream(s.out_dir + "/iptables-" + s.backend_name + ".json") << rows.dump(2);
  return 0;
}

int kube_services(const Setup& s, const std::vector<int>& sizes, int connections) {
  json rows = json::array();
  const Endpoint ep{s.server.ip, 7008};
  const Pod server_ns{s.server.netns, s.server.ip, s.server.mac};
  for (int n : sizes) {
    std::string file = s.out_dir + "/iptables-rules-kube-" + std::to_string(n);
    std::ofstream(file) << kube_proxy_ruleset(n, ep);
    double restore_s = timed(s.be.restore + " < " + file);
    if (restore_s < 0) {
      fprintf(stderr, "%s: restore of %d services failed\n", s.backend_name.c_str(), n);
      return 1;
    }
    auto first = tcp_connect_rr(s.client, server_ns, service_ip(0), 80, ep.port, connections);
    auto last = tcp_connect_rr(s.client, server_ns, service_ip(n - 1), 80, ep.port, connections);
    std::string add = s.out_dir + "/iptables-rules-kube-add";
    std::ofstream(add) << kube_proxy_add_service(n, ep);
    double add_ms = timed(s.be.restore + " --noflush < " + add) * 1000;
    double add_daemon_ms = daemon_last_change_ms(s.backend_name);
    auto added = tcp_connect_rr(s.client, server_ns, service_ip(n), 80, ep.port, 10);
    // The same service as kube-proxy writes it: every top-level chain flushed and rewritten.
    std::string sync = s.out_dir + "/iptables-rules-kube-sync";
    std::ofstream(sync) << kube_proxy_sync(n + 1, ep, static_cast<unsigned>(n));
    double sync_ms = timed(s.be.restore + " --noflush < " + sync) * 1000;
    double sync_daemon_ms = daemon_last_change_ms(s.backend_name);
    auto synced = tcp_connect_rr(s.client, server_ns, service_ip(n), 80, ep.port, 10);
    json row = {{"backend", s.backend_name},
                {"services", n},
                {"restore_s", restore_s},
                {"add_service_ms", add_ms},
                {"add_service_daemon_ms", add_daemon_ms},
                {"new_service_answers", static_cast<bool>(added) && static_cast<bool>(synced)},
                {"kube_sync_ms", sync_ms},
                {"kube_sync_daemon_ms", sync_daemon_ms}};
    auto figure = [](const Result<Latency>& l, double Latency::*m) { return l ? Figure::of((*l).*m) : Figure::missing(l.error().what()); };
    put(row, "first_p50_us", figure(first, &Latency::p50_us));
    put(row, "first_p99_us", figure(first, &Latency::p99_us));
    put(row, "last_p50_us", figure(last, &Latency::p50_us));
    put(row, "last_p99_us", figure(last, &Latency::p99_us));
    fprintf(stderr, "iptables_bench: %s, %zu kube-proxy services measured\n", s.backend_name.c_str(), static_cast<size_t>(n));
    rows.push_back(row);
  }
  std::ofstream(s.out_dir + "/iptables-" + s.backend_name + "-kube.json") << rows.dump(2);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-iptables benchmark"};
  std::string prefix, backend_name, out_dir = "bench", bin = ".";
  std::vector<int> sizes = {10, 1000, 10000, 20000, 50000};
  std::vector<int> services = {1000, 10000, 25000};
  double seconds = 2;
  int connections = 500;
  bool report_only = false;
  app.add_option("--prefix", prefix, "topology prefix (tests/integration/iptables/topology.sh)");
  app.add_option("--backend", backend_name, "legacy, nft or netaccel");
  app.add_option("--sizes", sizes, "FORWARD rule counts")->delimiter(',');
  app.add_option("--services", services, "kube-proxy service counts (empty: skip)")->delimiter(',');
  app.add_option("--connections", connections, "connections timed per service latency");
  app.add_option("--seconds", seconds);
  app.add_option("--out", out_dir);
  app.add_option("--bin", bin, "build directory");
  app.add_flag("--report", report_only, "print the tables of earlier runs and write json and svg");
  CLI11_PARSE(app, argc, argv);
  if (report_only) return report(out_dir);

  Setup s;
  s.client = Pod{prefix + "-c", "10.61.1.2", mac_of(prefix + "-c", "eth0")};
  s.server = Pod{prefix + "-s", "10.61.2.2", mac_of(prefix + "-s", "eth0")};
  s.router_mac = mac_of(prefix + "-r", "rc0");
  s.out_dir = out_dir;
  s.backend_name = backend_name;
  s.be = backend(backend_name, prefix + "-r", bin);
  s.seconds = seconds;
  if (int rc = forward_rules(s, sizes); rc) return rc;
  return kube_services(s, services, connections);
}

// netaccel-iptables benchmark, one back end per invocation (run_iptables_bench.sh runs
// iptables-legacy, iptables-nft and netaccel in one go, then `report`):
// FORWARD chains of 10 .. 50,000 rules with the test traffic matching the last rule; 64-byte
// UDP frames per second delivered through the router (BPF live-frame generator), TCP
// request/response latency through it, time to restore each ruleset, time to add one rule.
// `report` prints the table with ratios and writes iptables.json and iptables.svg (pps against
// rule count, log scale). Asserts nothing.
#include <net/if.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "traffic.h"

namespace {
using namespace netaccel;
using namespace netaccel::bench;
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

std::string mac_of(const std::string& ns, const std::string& dev) {
  std::string m = run("ip -n " + ns + " -o link show " + dev + " | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2");
  while (!m.empty() && m.back() == '\n') m.pop_back();
  return m;
}

// FORWARD with n rules; the test flows (10.61.1.2 <-> 10.61.2.2) match the last two.
std::string ruleset(int n) {
  std::string s = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < n - 2; ++i)
    s += "-A FORWARD -s 10.99." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
         "/32 -d 10.61.2.2/32 -p udp -m udp --dport " + std::to_string(1000 + i % 60000) + " -j ACCEPT\n";
  s += "-A FORWARD -s 10.61.2.2/32 -d 10.61.1.2/32 -j ACCEPT\n-A FORWARD -s 10.61.1.2/32 -d 10.61.2.2/32 -j ACCEPT\nCOMMIT\n";
  return s;
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
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  double ymax = 1;
  for (const auto& r : rows) {
    series[r["backend"]].push_back({r["rules"].get<double>(), r["pps"].get<double>()});
    ymax = std::max(ymax, r["pps"].get<double>());
  }
  const double W = 640, H = 400, L = 70, B = 50, T = 30, R = 150;
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
  const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};
  int c = 0;
  for (auto& [name, pts] : series) {
    std::sort(pts.begin(), pts.end());
    o << "<polyline fill='none' stroke='" << colors[c % 4] << "' stroke-width='2' points='";
    for (const auto& [n, v] : pts) o << x(n) << "," << y(v) << " ";
    o << "'/>\n<text x='" << W - R + 10 << "' y='" << T + 20 * c << "' fill='" << colors[c % 4] << "'>" << name << "</text>\n";
    ++c;
  }
  o << "<text x='" << (W - R) / 2 << "' y='" << H - 10 << "'>rules in FORWARD (traffic matches the last)</text>\n</svg>\n";
  std::ofstream(path) << o.str();
}

int report(const std::string& out_dir) {
  json rows = json::array();
  for (const char* b : {"legacy", "nft", "netaccel"}) {
    std::ifstream f(out_dir + "/iptables-" + std::string(b) + ".json");
    if (!f) continue;
    json part = json::parse(f, nullptr, false);
    if (part.is_array())
      for (auto& r : part) rows.push_back(r);
  }
  std::map<int, json> legacy;
  std::map<std::string, double> at10;
  for (const auto& r : rows) {
    if (r["backend"] == "legacy") legacy[r["rules"].get<int>()] = r;
    if (r["rules"].get<int>() == 10) at10[r["backend"]] = r["pps"];
  }
  printf("%-9s %6s %10s %8s %8s %9s %9s %10s %10s %10s\n", "backend", "rules", "64B pps", "x legacy", "x 10rul", "rr p50us", "rr p99us",
         "restore s", "add-1 ms", "in daemon");
  for (auto& r : rows) {
    int n = r["rules"];
    double pps = r["pps"];
    double xl = legacy.count(n) ? pps / legacy[n]["pps"].get<double>() : 0;
    double x10 = at10.count(r["backend"]) ? pps / at10[r["backend"]] : 0;
    r["x_legacy"] = xl;
    r["x_10_rules"] = x10;
    double in_daemon = r.value("add_one_daemon_ms", 0.0);
    printf("%-9s %6d %10.0f %8.2f %8.2f %9.1f %9.1f %10.3f %10.2f %10s\n", r["backend"].get<std::string>().c_str(), n, pps, xl, x10,
           r["rr_p50_us"].get<double>(), r["rr_p99_us"].get<double>(), r["restore_s"].get<double>(), r["add_one_ms"].get<double>(),
           in_daemon > 0 ? std::to_string(in_daemon).substr(0, 5).c_str() : "-");
  }
  std::ofstream(out_dir + "/iptables.json") << json{{"benchmark", "iptables"}, {"rows", rows}}.dump(2);
  svg(rows, out_dir + "/iptables.svg");
  printf("wrote %s/iptables.json and %s/iptables.svg\n", out_dir.c_str(), out_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-iptables benchmark"};
  std::string prefix, backend_name, out_dir = "bench", bin = ".";
  std::vector<int> sizes = {10, 1000, 10000, 50000};
  double seconds = 2;
  bool report_only = false;
  app.add_option("--prefix", prefix, "topology prefix (tests/integration/iptables/topology.sh)");
  app.add_option("--backend", backend_name, "legacy, nft or netaccel");
  app.add_option("--sizes", sizes)->delimiter(',');
  app.add_option("--seconds", seconds);
  app.add_option("--out", out_dir);
  app.add_option("--bin", bin, "build directory");
  app.add_flag("--report", report_only, "print the table of earlier runs and write json and svg");
  CLI11_PARSE(app, argc, argv);
  if (report_only) return report(out_dir);

  const std::string r_ns = prefix + "-r";
  Pod client{prefix + "-c", "10.61.1.2", mac_of(prefix + "-c", "eth0")};
  Pod server{prefix + "-s", "10.61.2.2", mac_of(prefix + "-s", "eth0")};
  const std::string router_mac = mac_of(r_ns, "rc0");
  Backend be = backend(backend_name, r_ns, bin);
  json rows = json::array();
  for (int n : sizes) {
    std::string file = out_dir + "/iptables-rules-" + std::to_string(n);
    std::ofstream(file) << ruleset(n);
    double restore_s = timed(be.restore + " < " + file);
    if (restore_s < 0) {
      fprintf(stderr, "%s: restore of %d rules failed\n", backend_name.c_str(), n);
      return 1;
    }
    auto pps = udp64_pps(client, server, router_mac, seconds);
    auto rr = tcp_rr(client, server, 2000, 1, 64, 7007);
    // One more rule at the top of a chain that already has n (kube-proxy adds services so).
    double add_ms = timed(be.command + " -I FORWARD 1 -s 10.98.0.1/32 -p tcp -m tcp --dport 9 -j ACCEPT >/dev/null") * 1000;
    // The daemon's own time for that insert (the tool's time includes starting a process).
    double daemon_ms = 0;
    if (backend_name == "netaccel") {
      std::string v = run("busctl get-property org.openeuler.NetAccel1.Iptables /org/openeuler/NetAccel1/Iptables "
                          "org.openeuler.NetAccel1.Iptables LastChangeMicros");
      if (v.rfind("u ", 0) == 0) daemon_ms = std::stod(v.substr(2)) / 1000.0;
    }
    json row = {{"backend", backend_name}, {"rules", n}, {"pps", pps ? *pps : 0.0}, {"rr_p50_us", rr ? rr->p50_us : 0.0},
                {"rr_p99_us", rr ? rr->p99_us : 0.0}, {"restore_s", restore_s}, {"add_one_ms", add_ms},
                {"add_one_daemon_ms", daemon_ms}};
    fprintf(stderr, "%s\n", row.dump().c_str());
    rows.push_back(row);
  }
  std::ofstream(out_dir + "/iptables-" + backend_name + ".json") << rows.dump(2);
  return 0;
}

// netaccel-fwd benchmark: on one lab topology (tests/lib/topology.sh) and in one run, the
// kernel router, the Linux bridge and netaccel-fwd (router/bridge, TC/XDP hooks), each measured
// for 64-byte UDP packets/s, TCP request/response latency and TCP stream, then again with
// iptables FORWARD rules loaded. Prints a table and writes <out>/fwd.json. Asserts nothing.
// Expects the lab and a running netaccel-fwd (auto_attach = no) on the system bus
// (DBUS_SYSTEM_BUS_ADDRESS may point to a private one); see run_fwd_bench.sh.
#include <systemd/sd-bus.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "report.h"
#include "traffic.h"

namespace {
using namespace netaccel;
using namespace netaccel::bench;

struct Variant {
  std::string name;      // table row
  std::string baseline;  // row its ratios are relative to
  std::string mode;      // Attach mode, "" = netaccel detached (kernel path)
  bool bridged;
};

const std::vector<Variant> kVariants = {
    {"kernel router", "kernel router", "", false},
    {"netaccel router tc", "kernel router", "router:tc", false},
    {"netaccel router xdp", "kernel router", "router:xdp", false},
    {"linux bridge", "linux bridge", "", true},
    {"netaccel bridge tc", "linux bridge", "bridge:tc", true},
    {"netaccel bridge xdp", "linux bridge", "bridge:xdp", true},
};

int sh(const std::string& cmd) { return std::system(cmd.c_str()); }

Status bus_call(sd_bus* bus, const char* method, const std::string& ifname, const std::string& mode = "") {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = mode.empty() ? sd_bus_call_method(bus, "org.openeuler.NetAccel1.Fwd", "/org/openeuler/NetAccel1/Fwd",
                                            "org.openeuler.NetAccel1.Fwd", method, &err, nullptr, "s", ifname.c_str())
                       : sd_bus_call_method(bus, "org.openeuler.NetAccel1.Fwd", "/org/openeuler/NetAccel1/Fwd",
                                            "org.openeuler.NetAccel1.Fwd", method, &err, nullptr, "ss", ifname.c_str(),
                                            mode.c_str());
  if (r < 0) {
    Error e = errno_error(r, std::string(method) + " " + ifname + ": " + (err.message ? err.message : ""));
    sd_bus_error_free(&err);
    return e;
  }
  return {};
}

struct Row {
  std::string variant;
  int rules;
  Figure pps = Figure::missing("not run"), p50 = pps, p99 = pps, gbps = pps;
};

// The ceiling every forwarding path is bounded by: the same generator and receiver on a
// direct veth pair between two pods (no router, no bridge), measured in the same run.
const std::string kCeiling = "direct veth (ceiling)";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-fwd benchmark"};
  std::string prefix, out_dir = "bench";
  double pps_seconds = 2, stream_seconds = 3;
  int rr_count = 10000, rules = 10000;
  app.add_option("--prefix", prefix, "lab prefix (topology.sh)")->required();
  app.add_option("--out", out_dir, "directory for fwd.json");
  app.add_option("--pps-seconds", pps_seconds);
  app.add_option("--stream-seconds", stream_seconds);
  app.add_option("--rr-count", rr_count);
  app.add_option("--rules", rules, "iptables FORWARD rules for the second round (0: skip)");
  CLI11_PARSE(app, argc, argv);

  sd_bus* bus = nullptr;
  if (int r = sd_bus_open_system(&bus); r < 0) {
    std::fprintf(stderr, "fwd_bench: system bus: %s\n", std::strerror(-r));
    return 1;
  }
  auto ns = [&](const std::string& p) { return prefix + "-" + p; };
  Pod r1{ns("r1"), "10.78.1.2", "02:78:00:00:02:01"}, r2{ns("r2"), "10.78.2.2", "02:78:00:00:02:02"};
  Pod b1{ns("b1"), "10.77.0.11", "02:77:00:00:00:01"}, b2{ns("b2"), "10.77.0.12", "02:77:00:00:00:02"};
  const std::string vr1_mac = "02:78:00:00:01:01";
  const std::string node = "ip netns exec " + ns("node") + " ";
  // The receiving pods drop everything while counting: no ARP, so neighbours are permanent.
  sh(node + "ip neigh replace 10.78.2.2 lladdr " + r2.mac + " dev vr2 nud permanent");
  sh(node + "bridge fdb replace " + b2.mac + " dev vb2 master static");
  sh("ip netns exec " + r1.netns + " ip neigh replace 10.78.1.1 lladdr " + vr1_mac + " dev eth0 nud permanent");
  // A veth accepts XDP_TX frames from its peer only with XDP or GRO on: the generator needs it.
  sh(node + "ethtool -K vr1 gro on >/dev/null; " + node + "ethtool -K vb1 gro on >/dev/null");

  std::vector<Row> rows;
  std::set<std::string> generators;
  {
    Row row{kCeiling, 0};
    sh(std::string(NETACCEL_TOPOLOGY) + " add-direct " + prefix + " >/dev/null");
    Pod d1{ns("d1"), "10.79.0.1", "02:79:00:00:00:01"}, d2{ns("d2"), "10.79.0.2", "02:79:00:00:00:02"};
    sh("ip netns exec " + d1.netns + " ethtool -K eth0 gro on >/dev/null");
    sh("ip netns exec " + d2.netns + " ethtool -K eth0 gro on >/dev/null");
    std::fprintf(stderr, "fwd_bench: %s...\n", kCeiling.c_str());
    auto pps = udp64_pps(d1, d2, d2.mac, pps_seconds);
    row.pps = pps ? Figure::of(pps->pps) : Figure::missing(pps.error().what());
    if (pps) generators.insert(pps->generator);
    auto lat = tcp_rr(d1, d2, rr_count, 1);
    row.p50 = Figure::of(lat, +[](const Latency& l) { return l.p50_us; });
    row.p99 = Figure::of(lat, +[](const Latency& l) { return l.p99_us; });
    row.gbps = Figure::of(tcp_stream_gbps(d1, d2, stream_seconds));
    rows.push_back(row);
  }
  std::vector<int> rounds = {0};
  if (rules > 0) rounds.push_back(rules);
  for (int nrules : rounds) {
    if (nrules > 0) {
      // Rules that do not match the benchmark traffic, evaluated for every forwarded packet.
      std::string f = "/tmp/netaccel-bench-rules-" + prefix;
      std::ofstream rf(f);
      rf << "*filter\n:FORWARD ACCEPT [0:0]\n";
      for (int i = 0; i < nrules; ++i)
        rf << "-A FORWARD -s 198.18." << (i / 250) << "." << (i % 250 + 1) << "/32 -p udp --dport 1234 -j DROP\n";
      rf << "COMMIT\n";
      rf.close();
      sh(node + "iptables-restore < " + f);
      std::remove(f.c_str());
    }
    for (const auto& v : kVariants) {
      const Pod& a = v.bridged ? b1 : r1;
      const Pod& b = v.bridged ? b2 : r2;
      std::vector<std::string> ifs = v.bridged ? std::vector<std::string>{"vb1", "vb2"} : std::vector<std::string>{"vr1", "vr2"};
      for (const auto& i : ifs) (void)bus_call(bus, "Detach", i);
      bool attached = true;
      if (!v.mode.empty())
        for (const auto& i : ifs)
          if (auto st = bus_call(bus, "Attach", i, v.mode); !st) {
            std::fprintf(stderr, "fwd_bench: %s\n", st.error().what().c_str());
            attached = false;
          }
      Row row{v.name, nrules};
      if (attached) {
        std::fprintf(stderr, "fwd_bench: %s, %d rules...\n", v.name.c_str(), nrules);
        auto pps = udp64_pps(a, b, v.bridged ? b.mac : vr1_mac, pps_seconds);
        row.pps = pps ? Figure::of(pps->pps) : Figure::missing(pps.error().what());
        if (pps) generators.insert(pps->generator);
        auto lat = tcp_rr(a, b, rr_count, 1);
        row.p50 = Figure::of(lat, +[](const Latency& l) { return l.p50_us; });
        row.p99 = Figure::of(lat, +[](const Latency& l) { return l.p99_us; });
        row.gbps = Figure::of(tcp_stream_gbps(a, b, stream_seconds));
      } else {
        row.pps = row.p50 = row.p99 = row.gbps = Figure::missing("Attach " + v.mode + " failed");
      }
      for (const auto& i : ifs) (void)bus_call(bus, "Detach", i);
      rows.push_back(row);
    }
    if (nrules > 0) sh(node + "iptables -F FORWARD");
  }
  sd_bus_flush_close_unref(bus);

  auto base = [&](const Row& r) -> const Row& {
    for (const auto& v : kVariants)
      if (v.name == r.variant)
        for (const auto& b : rows)
          if (b.variant == v.baseline && b.rules == r.rules) return b;
    return r;
  };
  const Row& ceiling = rows.front();
  const std::string machine = machine_description();
  nlohmann::json out = {{"benchmark", "fwd"}, {"machine", machine}, {"generators", generators}, {"results", nlohmann::json::array()}};
  Missing missing;
  std::printf("\nmachine: %s\n", machine.c_str());
  std::printf("%-22s %6s %12s %7s %7s %9s %9s %7s %9s %7s\n", "path", "rules", "64B pps", "x base", "x ceil", "rr p50us", "rr p99us",
              "x base", "TCP Gb/s", "x base");
  for (const auto& r : rows) {
    const Row& b = base(r);
    Figure xp = ratio(r.pps, b.pps), xc = ratio(r.pps, ceiling.pps), xl = ratio(r.p50, b.p50, true), xg = ratio(r.gbps, b.gbps);
    std::printf("%-22s %6d %s %s %s %s %s %s %s %s\n", r.variant.c_str(), r.rules, cell(r.pps, 12, 0).c_str(), cell(xp, 7, 2).c_str(),
                cell(xc, 7, 2).c_str(), cell(r.p50, 9, 1).c_str(), cell(r.p99, 9, 1).c_str(), cell(xl, 7, 2).c_str(),
                cell(r.gbps, 9, 2).c_str(), cell(xg, 7, 2).c_str());
    std::string c = r.variant + (r.rules ? " +" + std::to_string(r.rules) + " rules" : "");
    for (const auto& [metric, f] : {std::pair<std::string, const Figure*>{"udp64_pps", &r.pps}, {"tcp_rr_p50_us", &r.p50},
                                    {"tcp_rr_p99_us", &r.p99}, {"tcp_stream_gbps", &r.gbps}})
      missing.note(c + " " + metric, *f);
    out["results"].push_back(figure_json(c, "udp64_pps", r.pps, xp));
    out["results"].push_back(figure_json(c, "udp64_pps_of_ceiling", xc, Figure::missing("")));
    out["results"].push_back(figure_json(c, "tcp_rr_p50_us", r.p50, xl));
    out["results"].push_back(figure_json(c, "tcp_rr_p99_us", r.p99, ratio(r.p99, b.p99, true)));
    out["results"].push_back(figure_json(c, "tcp_stream_gbps", r.gbps, xg));
  }
  std::printf("(x base: netaccel rows against the kernel router or Linux bridge of the same round; x ceil: 64-byte pps as a\n"
              " fraction of the direct veth pair; for latency, base p50 / this p50, so above 1 is faster)\n");
  for (const auto& g : generators) std::printf("(frames sent by: %s)\n", g.c_str());
  missing.print();
  sh("mkdir -p " + out_dir);
  std::ofstream(out_dir + "/fwd.json") << out.dump(2) << "\n";
  std::printf("wrote %s/fwd.json\n", out_dir.c_str());
  return missing.any() ? 1 : 0;  // a figure that could not be measured fails the benchmark
}

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
#include <string>
#include <vector>

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
  double pps = 0, p50 = 0, p99 = 0, gbps = 0;
};

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
        if (pps) row.pps = *pps; else std::fprintf(stderr, "  pps: %s\n", pps.error().what().c_str());
        auto lat = tcp_rr(a, b, rr_count, 1);
        if (lat) row.p50 = lat->p50_us, row.p99 = lat->p99_us; else std::fprintf(stderr, "  rr: %s\n", lat.error().what().c_str());
        auto gbps = tcp_stream_gbps(a, b, stream_seconds);
        if (gbps) row.gbps = *gbps; else std::fprintf(stderr, "  stream: %s\n", gbps.error().what().c_str());
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
  auto ratio = [](double x, double b) { return b > 0 ? x / b : 0.0; };
  nlohmann::json out = nlohmann::json::array();
  std::printf("\n%-22s %6s %12s %7s %9s %9s %7s %9s %7s\n", "path", "rules", "64B pps", "x base", "rr p50us", "rr p99us",
              "x base", "TCP Gb/s", "x base");
  for (const auto& r : rows) {
    const Row& b = base(r);
    std::printf("%-22s %6d %12.0f %7.2f %9.1f %9.1f %7.2f %9.2f %7.2f\n", r.variant.c_str(), r.rules, r.pps,
                ratio(r.pps, b.pps), r.p50, r.p99, ratio(b.p50, r.p50), r.gbps, ratio(r.gbps, b.gbps));
    std::string c = r.variant + (r.rules ? " +" + std::to_string(r.rules) + " rules" : "");
    out.push_back({{"case", c}, {"metric", "udp64_pps"}, {"value", r.pps}, {"ratio", ratio(r.pps, b.pps)}});
    out.push_back({{"case", c}, {"metric", "tcp_rr_p50_us"}, {"value", r.p50}, {"ratio", ratio(b.p50, r.p50)}});
    out.push_back({{"case", c}, {"metric", "tcp_rr_p99_us"}, {"value", r.p99}, {"ratio", ratio(b.p99, r.p99)}});
    out.push_back({{"case", c}, {"metric", "tcp_stream_gbps"}, {"value", r.gbps}, {"ratio", ratio(r.gbps, b.gbps)}});
  }
  std::printf("(x base: netaccel rows against the kernel router or Linux bridge of the same round; for latency,\n"
              " base p50 / this p50, so above 1 is faster)\n");
  sh("mkdir -p " + out_dir);
  std::ofstream(out_dir + "/fwd.json") << out.dump(2) << "\n";
  std::printf("wrote %s/fwd.json\n", out_dir.c_str());
  return 0;
}

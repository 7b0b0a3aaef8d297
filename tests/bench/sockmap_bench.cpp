// netaccel-sockmap benchmark: with and without the service in one run, for (a) loopback,
// (b) pod to pod across two namespaces on this node, (c) client -> sidecar proxy (socat) ->
// server, with the proxy on the client's CPU and on the other one: TCP request/response p50/p99 at 64 B, 1 KiB, 16 KiB, CPU per request (whole node),
// and stream throughput. Prints a table, writes <out>/sockmap.json; asserts nothing.
// Expects netaccel-sockmap on the bus with `cgroup` enabled; see run_sockmap_bench.sh.
#include <signal.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "report.h"
#include "traffic.h"

namespace {
using namespace netaccel;
using namespace netaccel::bench;

uint64_t busy_jiffies() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  uint64_t v[8] = {};
  f >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
  return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // all but idle and iowait
}

bool set_enabled(sd_bus* bus, const std::string& cgroup, bool on) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = sd_bus_call_method(bus, "org.openeuler.NetAccel1.Sockmap", "/org/openeuler/NetAccel1/Sockmap",
                             "org.openeuler.NetAccel1.Sockmap", on ? "Enable" : "Disable", &err, nullptr, "s", cgroup.c_str());
  bool ok = r >= 0 || (err.name && std::string(err.name).find(on ? "AlreadyExists" : "NotFound") != std::string::npos);
  sd_bus_error_free(&err);
  return ok;
}

struct Scenario {
  std::string name;
  Pod client, server;
  int connect_port, listen_port;  // differ when a proxy sits between
};

struct Row {
  std::string scenario, mode;
  size_t size = 0;
  Figure p50 = Figure::missing("not run"), p99 = p50, cpu_us = p50;
};
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-sockmap benchmark"};
  std::string cgroup, ns_a, ns_b, out_dir = "bench";
  int count = 20000;
  double stream_seconds = 2;
  app.add_option("--cgroup", cgroup)->required();
  app.add_option("--ns-a", ns_a)->required();
  app.add_option("--ns-b", ns_b)->required();
  app.add_option("--out", out_dir);
  app.add_option("--count", count);
  app.add_option("--stream-seconds", stream_seconds);
  std::string only, label = "sockmap", json_name = "sockmap.json";
  bool streams_only = false;
  app.add_option("--only", only, "run one scenario by name");
  // The daemon's bulk bypass is fixed when it loads, so run_sockmap_bench.sh runs the streams a
  // second time against a daemon started with it on, under another label.
  app.add_option("--path-label", label, "name of the accelerated rows");
  app.add_option("--json", json_name, "file name under --out");
  app.add_flag("--streams-only", streams_only, "skip request/response");
  CLI11_PARSE(app, argc, argv);

  // This process and its children (the proxy) are the accelerated workload.
  std::ofstream(cgroup + "/cgroup.procs") << getpid() << std::endl;
  sd_bus* bus = nullptr;
  if (sd_bus_open_system(&bus) < 0) return 1;
  // Two sidecar proxies (socat, nodelay on both legs as a proxy sets it; without it Nagle and
  // delayed ACKs stall 16 KiB request/response): one on the CPU the client and server run on,
  // one on the other CPU. Where the scheduler puts an unpinned proxy decides more than
  // sockmap does (a cross-CPU wake-up costs ~50 us here), so both are measured.
  auto start_proxy = [](const char* cpu, const char* listen, const char* upstream) {
    pid_t pid = fork();
    if (pid == 0) {
      execlp("taskset", "taskset", "-c", cpu, "socat", listen, upstream, nullptr);
      _exit(127);
    }
    return pid;
  };
  pid_t proxies[] = {start_proxy("1", "TCP-LISTEN:15001,reuseaddr,fork,nodelay", "TCP:127.0.0.1:7012,nodelay"),
                     start_proxy("0", "TCP-LISTEN:15002,reuseaddr,fork,nodelay", "TCP:127.0.0.1:7013,nodelay")};
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const Pod lo{"", "127.0.0.1", ""};
  std::vector<Scenario> all = {
      {"loopback", lo, lo, 7010, 7010},
      {"pod-to-pod", Pod{ns_b, "", ""}, Pod{ns_a, "10.80.0.1", ""}, 7011, 7011},
      {"sidecar, same CPU", lo, lo, 15001, 7012},
      {"sidecar, cross CPU", lo, lo, 15002, 7013},
  };
  std::vector<Scenario> scenarios;
  for (const auto& sc : all)
    if (only.empty() || sc.name == only) scenarios.push_back(sc);
  std::vector<Row> rows;
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::tuple<std::string, std::string, Figure>> streams;
  for (const auto& sc : scenarios) {
    for (const std::string& mode : {std::string("kernel"), label}) {
      bool on = mode != "kernel";
      if (!set_enabled(bus, cgroup, on)) std::fprintf(stderr, "sockmap_bench: cannot %s %s\n", on ? "enable" : "disable", cgroup.c_str());
      for (size_t size : {size_t{64}, size_t{1024}, size_t{16384}}) {
        if (streams_only) break;
        std::fprintf(stderr, "sockmap_bench: %s, %s, %zu B\n", sc.name.c_str(), mode.c_str(), size);
        uint64_t j0 = busy_jiffies();
        auto lat = tcp_rr(sc.client, sc.server, count, 1, size, sc.connect_port, sc.listen_port);
        uint64_t j1 = busy_jiffies();
        Row r{sc.name, mode, size};
        if (lat) {
          r.p50 = Figure::of(lat->p50_us);
          r.p99 = Figure::of(lat->p99_us);
          r.cpu_us = Figure::of((j1 - j0) * (1e6 / sysconf(_SC_CLK_TCK)) / (count + 1000));
        } else {
          r.p50 = r.p99 = r.cpu_us = Figure::missing(lat.error().what());
        }
        rows.push_back(r);
      }
      if (sc.connect_port == sc.listen_port) {  // streams are measured end to end, without the proxy
        auto gbps = tcp_stream_inproc(sc.client, sc.server, stream_seconds, 1 << 16, sc.connect_port + 100);
        streams.emplace_back(sc.name, mode, Figure::of(gbps));
      }
    }
  }
  for (pid_t p : proxies) {
    kill(p, SIGTERM);
    waitpid(p, nullptr, 0);
  }
  set_enabled(bus, cgroup, true);
  sd_bus_flush_close_unref(bus);

  auto base_of = [&](const Row& r) -> const Row& {
    for (const auto& b : rows)
      if (b.scenario == r.scenario && b.size == r.size && b.mode == "kernel") return b;
    return r;
  };
  Missing missing;
  const std::string machine = machine_description();
  std::printf("\nmachine: %s\n", machine.c_str());
  if (!rows.empty())
    std::printf("%-20s %-8s %6s %9s %9s %8s %10s %8s\n", "scenario", "path", "size", "p50 us", "p99 us", "x p50", "cpu us/rq", "x cpu");
  for (const auto& r : rows) {
    const Row& b = base_of(r);
    Figure xp = ratio(r.p50, b.p50, true), xc = ratio(r.cpu_us, b.cpu_us, true);
    std::printf("%-20s %-8s %6zu %s %s %s %s %s\n", r.scenario.c_str(), r.mode.c_str(), r.size, cell(r.p50, 9, 1).c_str(),
                cell(r.p99, 9, 1).c_str(), cell(xp, 8, 2).c_str(), cell(r.cpu_us, 10, 1).c_str(), cell(xc, 8, 2).c_str());
    std::string c = r.scenario + " " + r.mode + " " + std::to_string(r.size) + "B";
    missing.note(c + " request/response", r.p50);
    out.push_back(figure_json(c, "rr_p50_us", r.p50, xp));
    out.push_back(figure_json(c, "rr_p99_us", r.p99, ratio(r.p99, b.p99, true)));
    out.push_back(figure_json(c, "cpu_us_per_request", r.cpu_us, xc));
  }
  std::printf("\n%-20s %-13s %10s %8s\n", "scenario", "path", "Gbit/s", "x base");
  for (const auto& [sc, mode, g] : streams) {
    Figure base = Figure::missing("no kernel row");
    for (const auto& [s2, m2, g2] : streams)
      if (s2 == sc && m2 == "kernel") base = g2;
    Figure x = ratio(g, base);
    std::printf("%-20s %-13s %s %s\n", sc.c_str(), mode.c_str(), cell(g, 10, 2).c_str(), cell(x, 8, 2).c_str());
    missing.note(sc + " " + mode + " stream", g);
    out.push_back(figure_json(sc + " " + mode, "stream_gbps", g, x));
  }
  std::printf("(x p50 and x cpu: kernel / sockmap, above 1 is better; client and server pinned to the same CPU)\n");
  missing.print();
  out = nlohmann::json{{"benchmark", "sockmap"}, {"machine", machine}, {"results", out}};
  std::system(("mkdir -p " + out_dir).c_str());
  std::ofstream(out_dir + "/" + json_name) << out.dump(2) << "\n";
  std::printf("wrote %s/%s\n", out_dir.c_str(), json_name.c_str());
  return missing.any() ? 1 : 0;  // a figure that could not be measured fails the benchmark
}

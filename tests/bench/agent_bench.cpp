// netaccel-agent: what a change costs. Applying N pods in one change and reading them back
// (D-Bus round trip, validation, the store, the state file written and synced), against
// parsing the same text with yaml-cpp in this process (the floor any YAML consumer pays);
// one-object changes against a bare D-Bus round trip to the same daemon (a property read),
// and how long until a subscriber hears ObjectChanged. Prints a table naming the machine and
// writes <out>/agent.json; a figure that cannot be measured is n/a and fails the run.
#include <systemd/sd-bus.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "report.h"

using namespace netaccel;
using namespace netaccel::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kName = "org.openeuler.NetAccel1.Agent";
constexpr const char* kPath = "/org/openeuler/NetAccel1/Agent";
constexpr const char* kIface = "org.openeuler.NetAccel1.Agent";

double since_us(Clock::time_point t) { return std::chrono::duration<double, std::micro>(Clock::now() - t).count(); }

std::string pods(int n, int generation) {
  std::string s = "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n";
  for (int i = 0; i < n; ++i)
    s += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-" + std::to_string(i) +
         "\n  namespace: bench\n  labels: {app: web, gen: \"" + std::to_string(generation) +
         "\"}\nspec:\n  nodeName: node-b\n  containers:\n  - name: c\n    ports: [{name: http, containerPort: 80}]\nstatus:\n  podIP: 10." +
         std::to_string(100 + i / 65536) + "." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + "\n";
  return s;
}

struct Bus {
  sd_bus* b = nullptr;
  ~Bus() { sd_bus_flush_close_unref(b); }
};

Result<double> apply_us(sd_bus* bus, const std::string& text) {
  sd_bus_message *call = nullptr, *reply = nullptr;
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = sd_bus_message_new_method_call(bus, &call, kName, kPath, kIface, "Apply");
  if (r >= 0) r = sd_bus_message_append(call, "a(ss)", 1, "bench.yaml", text.c_str());
  auto t0 = Clock::now();
  if (r >= 0) r = sd_bus_call(bus, call, 120 * 1000000ull, &err, &reply);
  double us = since_us(t0);
  sd_bus_message_unref(call);
  sd_bus_message_unref(reply);
  if (r < 0) {
    Error e = errno_error(r, std::string("Apply: ") + (err.message ? err.message : ""));
    sd_bus_error_free(&err);
    return e;
  }
  return us;
}

Result<double> get_us(sd_bus* bus, size_t& bytes) {
  sd_bus_message* reply = nullptr;
  sd_bus_error err = SD_BUS_ERROR_NULL;
  auto t0 = Clock::now();
  int r = sd_bus_call_method(bus, kName, kPath, kIface, "Get", &err, &reply, "sss", "pods", "bench", "");
  const char* text = nullptr;
  if (r >= 0) r = sd_bus_message_read(reply, "s", &text);
  double us = since_us(t0);
  bytes = text ? std::strlen(text) : 0;
  sd_bus_message_unref(reply);
  if (r < 0) {
    Error e = errno_error(r, std::string("Get: ") + (err.message ? err.message : ""));
    sd_bus_error_free(&err);
    return e;
  }
  return us;
}

Status delete_namespace(sd_bus* bus) {
  sd_bus_error err = SD_BUS_ERROR_NULL;
  int r = sd_bus_call_method(bus, kName, kPath, kIface, "DeleteObject", &err, nullptr, "sss", "Namespace", "", "bench");
  sd_bus_error_free(&err);
  return r < 0 ? Status(errno_error(r, "DeleteObject Namespace bench")) : Status();
}

double parse_us(const std::string& text) {
  auto t0 = Clock::now();
  auto docs = YAML::LoadAll(text);
  double us = since_us(t0);
  if (docs.empty()) return -1;
  return us;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Counts ObjectChanged signals on a second connection.
struct Subscriber {
  Bus bus;
  int seen = 0;
  static int on(sd_bus_message*, void* u, sd_bus_error*) {
    ++static_cast<Subscriber*>(u)->seen;
    return 0;
  }
  bool open() {
    return sd_bus_open_system(&bus.b) >= 0 &&
           sd_bus_add_match(bus.b, nullptr, "type='signal',interface='org.openeuler.NetAccel1.Agent',member='ObjectChanged'",
                            &Subscriber::on, this) >= 0;
  }
  // Waits (by event) until `want` signals were seen, at most 10 s.
  bool wait(int want) {
    for (int i = 0; seen < want && i < 1000; ++i)
      if (sd_bus_process(bus.b, nullptr) == 0) sd_bus_wait(bus.b, 10000);
    return seen >= want;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"netaccel-agent benchmark (DBUS_SYSTEM_BUS_ADDRESS: the agent's bus)"};
  std::vector<int> sizes = {100, 1000, 10000};
  int changes = 300;
  std::string out_dir = "bench";
  app.add_option("--sizes", sizes, "pods per change")->delimiter(',');
  app.add_option("--changes", changes, "one-object changes timed");
  app.add_option("--out", out_dir);
  CLI11_PARSE(app, argc, argv);

  Bus bus;
  if (sd_bus_open_system(&bus.b) < 0) {
    std::printf("n/a (cannot connect to the bus)\n");
    return 1;
  }
  Missing missing;
  nlohmann::json results = nlohmann::json::array();
  const std::string machine = machine_description();
  std::printf("machine: %s\n", machine.c_str());
  std::printf("one change of N pods (validated, stored, written and synced) against parsing the same YAML in-process\n");
  std::printf("%8s %12s %12s %8s %12s %8s\n", "pods", "parse ms", "apply ms", "x parse", "get ms", "x parse");
  for (int n : sizes) {
    (void)delete_namespace(bus.b);  // a previous size's pods
    const std::string text = pods(n, 1);
    double p = parse_us(text);
    Figure parse = p >= 0 ? Figure::of(p / 1000) : Figure::missing("yaml-cpp read no document");
    auto a = apply_us(bus.b, text);
    Figure apply = a ? Figure::of(*a / 1000) : Figure::missing(a.error().what());
    size_t bytes = 0;
    auto g = get_us(bus.b, bytes);
    Figure get = g && bytes > 0 ? Figure::of(*g / 1000) : Figure::missing(g ? "Get returned nothing" : g.error().what());
    Figure xa = ratio(apply, parse), xg = ratio(get, parse);
    std::printf("%8d %12s %12s %8s %12s %8s\n", n, cell(parse, 12, 2).c_str(), cell(apply, 12, 2).c_str(), cell(xa, 8, 1).c_str(),
                cell(get, 12, 2).c_str(), cell(xg, 8, 1).c_str());
    const std::string c = "pods_" + std::to_string(n);
    missing.note(c + " apply", apply);
    missing.note(c + " get", get);
    results.push_back(figure_json(c, "parse_ms", parse, Figure::missing("baseline")));
    results.push_back(figure_json(c, "apply_ms", apply, xa));
    results.push_back(figure_json(c, "get_ms", get, xg));
  }

  // One object changed at a time, as a controller would: its label flips on every change.
  (void)delete_namespace(bus.b);
  Subscriber sub;
  std::vector<double> rtt, change, heard;
  if (auto a = apply_us(bus.b, pods(1, 0)); !a) missing.note("one change", Figure::missing(a.error().what()));
  bool subscribed = sub.open();
  if (!subscribed) missing.note("signal latency", Figure::missing("cannot subscribe"));
  for (int i = 0; i < changes; ++i) {
    auto t0 = Clock::now();
    char* v = nullptr;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    if (sd_bus_get_property_string(bus.b, kName, kPath, kIface, "Version", &err, &v) >= 0) rtt.push_back(since_us(t0));
    sd_bus_error_free(&err);
    free(v);
    const std::string doc = "apiVersion: v1\nkind: Pod\nmetadata: {name: pod-0, namespace: bench, labels: {gen: \"" +
                            std::to_string(i + 2) + "\"}}\n";
    int before = sub.seen;
    t0 = Clock::now();
    auto a = apply_us(bus.b, doc);
    if (!a) break;
    change.push_back(*a);
    if (subscribed && sub.wait(before + 1)) heard.push_back(since_us(t0));
  }
  Figure rtt50 = rtt.empty() ? Figure::missing("no property read answered") : Figure::of(percentile(rtt, 0.5));
  Figure ch50 = change.size() == static_cast<size_t>(changes) ? Figure::of(percentile(change, 0.5)) : Figure::missing("an Apply failed");
  Figure ch99 = ch50.ok() ? Figure::of(percentile(change, 0.99)) : ch50;
  Figure sig50 = heard.size() == static_cast<size_t>(changes) ? Figure::of(percentile(heard, 0.5)) : Figure::missing("a signal did not arrive");
  Figure xch = ratio(ch50, rtt50), xsig = ratio(sig50, rtt50);
  std::printf("\none-object change (%d times) against a property read of the same daemon\n", changes);
  std::printf("%-28s %10s %10s %8s\n", "", "p50 us", "p99 us", "x read");
  std::printf("%-28s %10s %10s %8s\n", "property read (baseline)", cell(rtt50, 10, 1).c_str(), "", "1.0");
  std::printf("%-28s %10s %10s %8s\n", "Apply, reply", cell(ch50, 10, 1).c_str(), cell(ch99, 10, 1).c_str(), cell(xch, 8, 1).c_str());
  std::printf("%-28s %10s %10s %8s\n", "Apply to ObjectChanged heard", cell(sig50, 10, 1).c_str(), "", cell(xsig, 8, 1).c_str());
  std::printf("(x parse, x read: this time over the baseline's; the state file is fsync'ed on every change)\n");
  for (const auto& [what, f] : {std::pair<std::string, Figure>{"property read", rtt50}, {"change p50", ch50}, {"signal p50", sig50}})
    missing.note(what, f);
  results.push_back(figure_json("one_change", "property_read_p50_us", rtt50, Figure::missing("baseline")));
  results.push_back(figure_json("one_change", "apply_p50_us", ch50, xch));
  results.push_back(figure_json("one_change", "apply_p99_us", ch99, Figure::missing("p99")));
  results.push_back(figure_json("one_change", "signal_p50_us", sig50, xsig));
  (void)delete_namespace(bus.b);
  std::ofstream(out_dir + "/agent.json") << nlohmann::json{{"benchmark", "agent"}, {"machine", machine}, {"results", results}}.dump(2);
  std::printf("wrote %s/agent.json\n", out_dir.c_str());
  if (missing.any()) {
    missing.print();
    return 1;
  }
  return 0;
}

// What netaccel adds to a pod's start and end: CNI ADD and DEL of N pods, each plugin exec'd
// as a runtime execs it (fork, exec, config on stdin, result on stdout), on real network
// namespaces. The baseline is the reference bridge plugin with host-local, the part of the
// chain every pod pays already; netaccel's rows are the plugin chained after it, first with
// only the agent on the bus (the endpoint recorded), then with netaccel-fwd up (the agent
// attaches each veth inside ADD and detaches it inside DEL). sockmap is not on ADD's path:
// the pod's cgroup is found after the container starts. Prints a table naming the machine and
// writes <out>/cni.json; a figure that cannot be measured is n/a and fails the run.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report.h"

using namespace netaccel;
using namespace netaccel::bench;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Exec {
  int status = -1;
  std::string out;
  double ms = 0;
};

// One plugin run: env as CNI gives it, config on stdin, the time from fork to exit.
Exec run_plugin(const std::string& path, const std::vector<std::string>& env, const std::string& input) {
  Exec r;
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return r;
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return r;
  }
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    execve(path.c_str(), argv, envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  // Configs are a few KiB, well under a pipe's buffer: write all, then read to EOF.
  if (write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) r.status = -2;
  close(in[1]);
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(n));
  close(out[0]);
  int st = 0;
  if (pid > 0 && waitpid(pid, &st, 0) == pid && r.status != -2) r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Series {
  std::vector<double> ms;
  std::string failure;
  void add(const Exec& e, const std::string& what) {
    if (e.status != 0 && failure.empty()) failure = what + " exited " + std::to_string(e.status) + ": " + e.out.substr(0, 200);
    ms.push_back(e.ms);
  }
  Figure p50() const { return failure.empty() && !ms.empty() ? Figure::of(percentile(ms, 0.5)) : Figure::missing(failure.empty() ? "no runs" : failure); }
  Figure p99() const { return failure.empty() && !ms.empty() ? Figure::of(percentile(ms, 0.99)) : Figure::missing("see p50"); }
};

struct Phase {
  Series bridge_add, netaccel_add, netaccel_del, bridge_del;
};

struct Bench {
  std::string plugins, work, bus, prefix;
  int pods = 100;

  json bridge_conf() const {
    return {{"cniVersion", "1.0.0"}, {"name", "bench"}, {"type", "bridge"}, {"bridge", prefix + "br"}, {"isGateway", true},
            {"ipam", {{"type", "host-local"}, {"ranges", json::array({json::array({{{"subnet", "10.93.0.0/16"}}})})}, {"dataDir", work + "/ipam"}}}};
  }
  json netaccel_conf(const json& prev) const {
    return {{"cniVersion", "1.0.0"}, {"name", "bench"}, {"type", "netaccel"}, {"busAddress", bus}, {"prevResult", prev}};
  }
  std::vector<std::string> env(const std::string& cmd, const std::string& id, const std::string& netns) const {
    return {"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=" + id, "CNI_NETNS=" + netns, "CNI_IFNAME=eth0", "CNI_PATH=" + plugins,
            "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" + id, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  }

  Phase run(const std::string& tag) const {
    Phase ph;
    for (int i = 0; i < pods; ++i) {
      const std::string id = prefix + tag + std::to_string(i), netns = "/run/netns/" + id;
      if (std::system(("ip netns add " + id).c_str()) != 0) {
        ph.bridge_add.failure = "ip netns add " + id + " failed";
        break;
      }
      Exec b = run_plugin(plugins + "/bridge", env("ADD", id, netns), bridge_conf().dump());
      ph.bridge_add.add(b, "bridge ADD");
      json prev = json::parse(b.out, nullptr, false);
      Exec n = run_plugin(plugins + "/netaccel", env("ADD", id, netns), netaccel_conf(prev).dump());
      ph.netaccel_add.add(n, "netaccel ADD");
    }
    return ph;
  }
  void tear_down(Phase& ph, const std::string& tag) const {
    for (int i = 0; i < pods; ++i) {
      const std::string id = prefix + tag + std::to_string(i), netns = "/run/netns/" + id;
      if (access(netns.c_str(), F_OK) != 0) continue;
      ph.netaccel_del.add(run_plugin(plugins + "/netaccel", env("DEL", id, netns), netaccel_conf(json::object()).dump()), "netaccel DEL");
      ph.bridge_del.add(run_plugin(plugins + "/bridge", env("DEL", id, netns), bridge_conf().dump()), "bridge DEL");
      (void)std::system(("ip netns del " + id).c_str());
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"CNI ADD/DEL cost: the bridge plugin alone, and netaccel chained after it"};
  Bench b;
  std::string out_dir = "bench", dataplanes_up, fwd_count_cmd;
  app.add_option("--plugins", b.plugins, "directory with bridge, host-local and netaccel")->required();
  app.add_option("--work", b.work, "scratch directory (IPAM state)")->required();
  app.add_option("--bus", b.bus, "the agent's bus address (the plugin's busAddress)")->required();
  app.add_option("--prefix", b.prefix, "netns and bridge name prefix (cleaned up by the caller)")->required();
  app.add_option("--pods", b.pods, "pods per phase");
  app.add_option("--dataplanes-up", dataplanes_up, "command that starts netaccel-fwd on the bus and waits for it")->required();
  app.add_option("--fwd-count", fwd_count_cmd, "command printing how many interfaces fwd has")->required();
  app.add_option("--out", out_dir);
  CLI11_PARSE(app, argc, argv);

  Missing missing;
  const std::string machine = machine_description();
  Phase recorded = b.run("r");
  b.tear_down(recorded, "r");
  if (std::system(dataplanes_up.c_str()) != 0) missing.note("fwd", Figure::missing("netaccel-fwd did not start"));
  Phase wired = b.run("w");
  // The wired rows count only if fwd really holds every pod's veth.
  std::string held;
  if (FILE* p = popen(fwd_count_cmd.c_str(), "r")) {
    char line[64] = {};
    if (fgets(line, sizeof line, p)) held = line;
    pclose(p);
  }
  while (!held.empty() && held.back() == '\n') held.pop_back();
  if (held != std::to_string(b.pods))
    wired.netaccel_add.failure = "fwd holds " + (held.empty() ? std::string("?") : held) + " of " + std::to_string(b.pods) + " veths";
  b.tear_down(wired, "w");

  std::printf("machine: %s\n", machine.c_str());
  std::printf("CNI ADD and DEL of %d pods, each plugin exec'd as a runtime does, against the reference bridge plugin\n", b.pods);
  std::printf("%-40s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "x bridge");
  json results = json::array();
  auto row = [&](const std::string& name, const std::string& key, const Series& s, const Series& base) {
    Figure p50 = s.p50(), p99 = s.p99(), x = &s == &base ? Figure::of(1.0) : ratio(p50, base.p50());
    std::printf("%-40s %9s %9s %9s\n", name.c_str(), cell(p50, 9, 2).c_str(), cell(p99, 9, 2).c_str(), cell(x, 9, 2).c_str());
    missing.note(name, p50);
    results.push_back(figure_json(key, "p50_ms", p50, x));
    results.push_back(figure_json(key, "p99_ms", p99, Figure::missing("p99")));
  };
  row("bridge + host-local ADD (baseline)", "bridge_add", wired.bridge_add, wired.bridge_add);
  row("netaccel ADD, agent only (recorded)", "netaccel_add_recorded", recorded.netaccel_add, recorded.bridge_add);
  row("netaccel ADD, fwd attaches the veth", "netaccel_add_wired", wired.netaccel_add, wired.bridge_add);
  row("bridge + host-local DEL (baseline)", "bridge_del", wired.bridge_del, wired.bridge_del);
  row("netaccel DEL, agent only", "netaccel_del_recorded", recorded.netaccel_del, recorded.bridge_del);
  row("netaccel DEL, fwd detaches the veth", "netaccel_del_wired", wired.netaccel_del, wired.bridge_del);
  std::printf("(x bridge: netaccel's time over the bridge plugin's in the same phase; a pod's ADD pays both)\n");
  std::ofstream(out_dir + "/cni.json") << json{{"benchmark", "cni"}, {"machine", machine}, {"results", results}}.dump(2);
  std::printf("wrote %s/cni.json\n", out_dir.c_str());
  if (missing.any()) {
    missing.print();
    return 1;
  }
  return 0;
}

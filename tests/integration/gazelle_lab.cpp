#include "gazelle_lab.h"

#include <fstream>

namespace netaccel::test {

std::string to_string(GazelleBackend b) {
  switch (b) {
    case GazelleBackend::af_xdp: return "af_xdp";
    case GazelleBackend::dpdk_af_packet: return "dpdk_af_packet";
    case GazelleBackend::dpdk_af_xdp: return "dpdk_af_xdp";
  }
  return "?";
}

GazelleLab::GazelleLab(GazelleBackend backend, const std::string& config_override) {
  cleanup_stale_namespaces("nag");
  prefix_ = unique_prefix("nag");
  dir_ = "/tmp/netaccel-test-" + prefix_;
  pod_if_ = "ga" + std::to_string(getpid() % 100000);
  peer_if_ = "gb" + std::to_string(getpid() % 100000);
  sh("rm -rf " + dir_ + " && mkdir -p " + dir_ + "/www " + dir_ + "/stats && printf 'hello\\n' > " + dir_ + "/www/hello");
  sh_ok("ip netns add " + ns("a") + " && ip netns add " + ns("b") + " && ip link add " + pod_if_ + " netns " + ns("a") +
        " type veth peer name " + peer_if_ + " netns " + ns("b") + " && ip -n " + ns("a") + " link set lo up && ip -n " +
        ns("b") + " link set lo up && ip -n " + ns("a") + " addr add " + kPodKernelIp + "/24 dev " + pod_if_ +
        " && ip -n " + ns("b") + " addr add " + kPeerIp + "/24 dev " + peer_if_ + " && ip -n " + ns("a") +
        " link set " + pod_if_ + " up && ip -n " + ns("b") + " link set " + peer_if_ + " up");
  std::string conf = "host_addr = " + std::string(kUserIp) + "\nmask_addr = 255.255.255.0\nstats_dir = " + dir_ + "/stats\n";
  const std::string steer = binary_dir() + "/bpf-gen/gazelle_steer/gazelle_steer.bpf.o";
  switch (backend) {
    case GazelleBackend::af_xdp:
      conf += "xdp_eth_name = " + pod_if_ + "\n";
      break;
    case GazelleBackend::dpdk_af_packet:
      // A packet socket sees GSO super-frames whole: the peer must send MTU-sized frames.
      sh_ok("ip netns exec " + ns("b") + " ethtool -K " + peer_if_ + " tso off gso off >/dev/null && ip netns exec " +
            ns("a") + " ethtool -K " + pod_if_ + " gro off >/dev/null");
      conf += "backend = dpdk\ndpdk_args = [\"-l\", \"0\", \"--vdev=net_af_packet0,iface=" + pod_if_ +
              "\"]\nrx_csum_check = 0\n";
      break;
    case GazelleBackend::dpdk_af_xdp:
      conf += "backend = dpdk\nxdp_eth_name = " + pod_if_ + "\ndpdk_args = [\"-l\", \"0\", \"--vdev=net_af_xdp0,iface=" +
              pod_if_ + ",xdp_prog=" + steer + "\"]\n";
      break;
  }
  config_ = dir_ + "/lstack.conf";
  std::ofstream(config_) << (config_override.empty() ? conf : config_override);
}

GazelleLab::~GazelleLab() {
  procs_.clear();  // SIGTERM, then SIGKILL, by pid
  // Children our processes forked (socat's per-connection ones) live in the namespaces too.
  for (const char* n : {"a", "b"}) sh("ip netns pids " + ns(n) + " 2>/dev/null | xargs -r kill -9");
  sh("ip netns del " + ns("a") + "; ip netns del " + ns("b") + "; rm -rf " + dir_);
}

Process& GazelleLab::spawn(const std::string& name, const std::string& cmd, const std::string& pod, bool preload) {
  procs_.push_back(std::make_unique<Process>());
  std::vector<std::string> env;
  if (preload) env = {"LD_PRELOAD=" + binary_dir() + "/libgazelle/libgazelle.so", "GAZELLE_CONF=" + config_};
  procs_.back()->start({"/bin/sh", "-c", "ulimit -n $(ulimit -Hn); exec " + cmd}, env, "/run/netns/" + ns(pod),
                       dir_ + "/" + name + ".log");
  return *procs_.back();
}

CmdResult GazelleLab::run(const std::string& cmd, const std::string& pod, bool preload, int timeout_s) {
  std::string env = preload ? "env LD_PRELOAD=" + binary_dir() + "/libgazelle/libgazelle.so GAZELLE_CONF=" + config_ + " " : "";
  return sh("timeout " + std::to_string(timeout_s) + " nsenter --net=/run/netns/" + ns(pod) + " " + env +
            "/bin/sh -c 'ulimit -n $(ulimit -Hn); " + cmd + "'");
}

std::string GazelleLab::log(const std::string& name) const { return sh("cat " + dir_ + "/" + name + ".log").out; }

nlohmann::json GazelleLab::stats(pid_t pid) const {
  auto r = sh(binary_dir() + "/libgazelle/gazellectl --stats-dir " + dir_ + "/stats lstack show " + std::to_string(pid) + " --json");
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty()) return nullptr;
  return j[0];
}

bool GazelleLab::wait_port(const std::string& ip, int port, int timeout_ms) {
  return wait_until([&] {
    return sh("ip netns exec " + ns("b") + " bash -c 'exec 3<>/dev/tcp/" + ip + "/" + std::to_string(port) + "' 2>/dev/null").status == 0;
  }, timeout_ms);
}

bool GazelleLab::wait_user_listener(pid_t pid, int timeout_ms) {
  return wait_until([&] {
    auto st = stats(pid);
    return !st.is_null() && st["tcp_listeners"].get<uint64_t>() >= 1;
  }, timeout_ms);
}

std::string GazelleLab::nginx_config(const std::string& name, const std::string& ip) const {
  std::string d = dir_ + "/" + name;
  sh("mkdir -p " + d);
  std::ofstream(d + "/nginx.conf")
      << "daemon off;\nmaster_process off;\nworker_rlimit_nofile 16384;\nerror_log " << d << "/error.log warn;\npid " << d
      << "/nginx.pid;\nevents { worker_connections 8192; use epoll; }\nhttp {\n  access_log off;\n  sendfile on;\n"
      // An idle keep-alive connection whose client is gone (its FIN or RST lost in a burst)
      // is closed after 5 s, not nginx's default 75 s: tests wait for every connection to end.
      << "  keepalive_requests 1000000;\n  keepalive_timeout 5s;\n  client_body_temp_path " << d << "/body;\n  proxy_temp_path " << d
      << "/proxy;\n  fastcgi_temp_path " << d << "/fcgi;\n  uwsgi_temp_path " << d << "/uwsgi;\n  scgi_temp_path " << d
      << "/scgi;\n  server {\n    listen " << ip << ":80 backlog=4096;\n    root " << dir_
      << "/www;\n    location = /hello { return 200 \"hello\\n\"; }\n  }\n}\n";
  return d + "/nginx.conf";
}

std::string GazelleLab::big_file(int size_mib) {
  std::string path = dir_ + "/www/big";
  sh("head -c " + std::to_string(size_mib) + "M /dev/urandom > " + path);
  return path;
}

bool GazelleLab::xdp_attached() const {
  return sh("ip -n " + ns("a") + " link show " + pod_if_ + " | grep -q 'prog/xdp'").status == 0;
}

}  // namespace netaccel::test

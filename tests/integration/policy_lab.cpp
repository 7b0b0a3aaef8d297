#include "policy_lab.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "policy/policy_abi.h"

namespace netaccel::test {

using nlohmann::json;

const char* outcome_name(Outcome o) { return o == Outcome::answered ? "answered" : o == Outcome::dropped ? "dropped" : "no verdict"; }

namespace {
std::string host_veth(const std::string& prefix, size_t i) { return "v" + prefix.substr(prefix.size() - 6) + "-" + std::to_string(i); }
}  // namespace

PolicyLab::PolicyLab(const std::string& prefix, const std::string& dir, std::vector<LabPod> pods, const PolicyLabOptions& o,
                     const std::function<bool(const std::string& node)>& before_daemons)
    : prefix_(prefix), dir_(dir), node_(prefix + "-node"), pods_(std::move(pods)), opt_(o) {
  std::string cmd = "mkdir -p " + dir_ + " " + pins() + " && ip netns add " + node_ + " && ip -n " + node_ + " link set lo up && ip netns exec " +
                    node_ + " sysctl -qw net.ipv4.ip_forward=1";
  if (o.bridged) cmd += " && ip -n " + node_ + " link add br0 type bridge && ip -n " + node_ + " addr add " + o.gateway + "/16 dev br0 && ip -n " + node_ + " link set br0 up";
  if (sh(cmd).status != 0) {
    ADD_FAILURE() << "node namespace: " << sh(cmd).out;
    return;
  }
  for (size_t i = 0; i < pods_.size(); ++i) {
    const std::string ns = pod_netns(i), veth = host_veth(prefix_, i), n = "ip -n " + node_ + " ", p = "ip -n " + ns + " ";
    std::string c = "ip netns add " + ns + " && " + n + "link add " + veth + " type veth peer name eth0 netns " + ns + " && " + p +
                    "link set lo up && " + p + "link set eth0 up && " + n + "link set " + veth + " up";
    if (o.bridged) {
      c += " && " + n + "link set " + veth + " master br0 && " + p + "addr add " + pods_[i].ip + "/16 dev eth0 && " + p +
           "route add default via " + o.gateway;
    } else {  // routed: the node answers for the gateway on every veth, pods are /32 routes
      c += " && " + n + "addr add " + o.gateway + "/32 dev " + veth + " && " + n + "route add " + pods_[i].ip + "/32 dev " + veth + " && " + p +
           "addr add " + pods_[i].ip + "/32 dev eth0 && " + p + "route add " + o.gateway + " dev eth0 && " + p + "route add default via " + o.gateway;
    }
    if (auto r = sh(c); r.status != 0) {
      ADD_FAILURE() << "pod " << i << ": " << r.out;
      return;
    }
    std::vector<std::string> argv{"/usr/bin/python3", source_dir() + "/tests/integration/policy_responder.py"};
    for (int port : o.ports) argv.push_back(std::to_string(port));
    if (o.echo_port) argv.push_back("echo=" + std::to_string(o.echo_port));
    servers_.push_back(std::make_unique<Process>());
    servers_.back()->start(argv, {}, "/run/netns/" + ns, dir_ + "/responder-" + std::to_string(i) + ".log");
    ns_labels_[pods_[i].ns] = {{"ns", pods_[i].ns}};
  }
  for (size_t i = 0; i < pods_.size(); ++i) {
    const std::string log = dir_ + "/responder-" + std::to_string(i) + ".log";
    if (!wait_until([&] { return sh("grep -q listening " + log).status == 0; }, 10000)) {
      ADD_FAILURE() << "responder " << i << " did not start: " << sh("cat " + log).out;
      return;
    }
  }
  if (before_daemons && !before_daemons(node_)) {
    ADD_FAILURE() << "the node network of " << node_;
    return;
  }
  std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/state\nwire_fastpath = " << (o.fast_path ? "yes" : "no") << "\n"
                                      << o.agent_config;
  std::ofstream(dir_ + "/fwd.conf") << "[fwd]\nhook = " << o.fwd_hook << "\nauto_attach = no\npin_root = " << pins() << "\n";
  std::ofstream(dir_ + "/policy.conf") << "[policy]\npin_root = " << pins() << "\nsettle_ms = " << o.settle_ms << "\n"
                                       << (o.policy_map_entries ? "policy_map_entries = " + std::to_string(o.policy_map_entries) + "\n" : "");
  agent_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_);
  if (!agent_->bus_ok() || !agent_->start(dir_ + "/agent.conf", "/run/netns/" + node_)) return;
  if (o.fast_path) {
    fwd_ = std::make_unique<ServiceUnderTest>("fwd", "org.openeuler.NetAccel1.Fwd", dir_ + "/fwd", *agent_);
    if (!fwd_->start(dir_ + "/fwd.conf", "/run/netns/" + node_)) return;
  }
  if (!start_policy()) return;
  std::string objects;
  for (const auto& [ns, labels] : ns_labels_) objects += "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + ", labels: {ns: " + ns + "}}\n";
  if (o.pod_objects)
    for (const auto& pod : pods_) {
      json labels = pod.labels, ports = json::array();
      for (const auto& p : pod.ports) ports.push_back({{"name", p.name}, {"containerPort", p.port}, {"protocol", p.protocol}});
      objects += "---\n" + json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", {{"name", pod.name}, {"namespace", pod.ns}, {"labels", labels}}},
                                {"spec", {{"containers", json::array({{{"name", "c"}, {"ports", ports}}})}}},
                                {"status", {{"podIP", pod.ip}}}}.dump() + "\n";
    }
  if (!apply(objects)) return;
  for (size_t i = 0; i < pods_.size(); ++i)
    if (!register_pod(i)) return;
  if (!wait_until([&] { return endpoint_count() == pods_.size(); }, 10000)) {
    ADD_FAILURE() << "netaccel-policy does not see the pods:\n" << policy_->log();
    return;
  }
  own_ns_fd_ = open("/proc/self/ns/net", O_RDONLY);
  for (size_t i = 0; i < pods_.size(); ++i) pod_ns_fds_.push_back(open(("/run/netns/" + pod_netns(i)).c_str(), O_RDONLY));
  ok_ = true;
}

PolicyLab::~PolicyLab() {
  if (stats_fd_ >= 0) close(stats_fd_);
  if (version_fd_ >= 0) close(version_fd_);
  for (int fd : pod_ns_fds_) close(fd);
  if (own_ns_fd_ >= 0) close(own_ns_fd_);
  servers_.clear();
  policy_.reset();
  fwd_.reset();
  agent_.reset();
  sh(binary_dir() + "/services/policy/netaccel-policy --purge -c /dev/null --pin-root " + pins());
  sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " + pins());
  sh("rmdir " + pins() + " 2>/dev/null");
  for (size_t i = 0; i < pods_.size(); ++i) sh("ip netns del " + pod_netns(i) + " 2>/dev/null");
  sh("ip netns del " + node_ + " 2>/dev/null");
}

std::string PolicyLab::host_veth_of(size_t i) const { return host_veth(prefix_, i); }

bool PolicyLab::start_policy() {
  if (stats_fd_ >= 0) close(stats_fd_);
  stats_fd_ = -1;
  policy_ = std::make_unique<ServiceUnderTest>("policy", "org.openeuler.NetAccel1.Policy", dir_ + "/policy", *agent_);
  if (!policy_->start(dir_ + "/policy.conf", "/run/netns/" + node_)) return false;
  stats_fd_ = bpf_obj_get((pins() + "/policy/pol_stats").c_str());
  if (version_fd_ < 0) version_fd_ = bpf_obj_get((pins() + "/policy/pol_version").c_str());
  if (stats_fd_ < 0) ADD_FAILURE() << "pinned pol_stats: " << strerror(errno);
  return stats_fd_ >= 0;
}

bool PolicyLab::register_pod(size_t i, bool wait) {
  const auto& pod = pods_[i];
  json ep = {{"containerId", "c" + std::to_string(i)}, {"ifname", "eth0"}, {"netns", "/run/netns/" + pod_netns(i)},
             {"hostVeth", host_veth(prefix_, i)}, {"ipv4", pod.ip}, {"podNamespace", pod.ns}, {"podName", pod.name}, {"labels", pod.labels}};
  if (opt_.bridged) ep["bridge"] = "br0";
  std::ofstream(dir_ + "/ep.json") << ep.dump();
  uint64_t before = generation();
  auto r = sh("busctl --address=" + agent_->bus_address() + " call " + kAgentDest + " RegisterEndpoint s \"$(cat " + dir_ + "/ep.json)\"");
  if (r.status != 0) {
    ADD_FAILURE() << "RegisterEndpoint " << pod.ns << "/" << pod.name << ": " << r.out;
    return false;
  }
  if (!wait || r.out.find("unchanged") != std::string::npos) return true;
  if (!wait_until([&] { return generation() > before; }, 10000)) {
    ADD_FAILURE() << "netaccel-policy did not install pod " << i << "\n" << policy_->log();
    return false;
  }
  return true;
}

bool PolicyLab::unregister_pod(size_t i) {
  auto r = sh("busctl --address=" + agent_->bus_address() + " call " + kAgentDest + " UnregisterEndpoint ss c" + std::to_string(i) + " eth0");
  if (r.status != 0) ADD_FAILURE() << "UnregisterEndpoint " << i << ": " << r.out;
  return r.status == 0;
}

bool PolicyLab::apply_async(const std::string& yaml, bool remove, Process& ctl) {
  const std::string file = dir_ + "/async-" + std::to_string(next_port_) + ".yaml";
  std::ofstream(file) << yaml;
  return ctl.start({binary_dir() + "/services/ctl/netaccelctl", remove ? "delete" : "apply", "-f", file},
                   {"DBUS_SYSTEM_BUS_ADDRESS=" + agent_->bus_address()}, "", dir_ + "/async.log");
}

uint32_t PolicyLab::active_slot() const {
  uint32_t zero = 0;
  pol_version v{};
  bpf_map_lookup_elem(version_fd_, &zero, &v);
  return v.slot;
}

namespace {
uint64_t property(const ServiceUnderTest& s, const char* name) {
  auto r = s.busctl(std::string("get-property org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy ") + name);
  auto sp = r.out.find(' ');
  return r.status == 0 && sp != std::string::npos ? std::stoull(r.out.substr(sp + 1)) : 0;
}
}  // namespace

uint64_t PolicyLab::generation() const { return policy_ ? property(*policy_, "Generation") : 0; }
size_t PolicyLab::endpoint_count() const { return policy_ ? property(*policy_, "EndpointCount") : 0; }

bool PolicyLab::apply(const std::string& yaml, bool remove) {
  std::ofstream(dir_ + "/objects.yaml") << yaml;
  uint64_t before = generation();
  auto r = agent_->ctl(std::string(remove ? "delete" : "apply") + " -f " + dir_ + "/objects.yaml");
  if (r.status != 0) {
    ADD_FAILURE() << "netaccelctl " << (remove ? "delete" : "apply") << ": " << r.out;
    return false;
  }
  if (r.out.find("created") == std::string::npos && r.out.find("configured") == std::string::npos && r.out.find("deleted") == std::string::npos)
    return true;  // nothing changed: no new state to wait for
  if (!wait_until([&] { return generation() > before; }, 10000)) {
    ADD_FAILURE() << "netaccel-policy did not install the change\n" << policy_->log();
    return false;
  }
  return true;
}

// The kernel's own counters (pinned): a drop is seen the moment it happens, with no daemon.
uint64_t PolicyLab::denied_total() const { return drop_counter_ ? drop_counter_() : kernel_denied(); }

uint64_t PolicyLab::kernel_denied() const {
  std::vector<pol_stats> per_cpu(static_cast<size_t>(libbpf_num_possible_cpus()));
  uint64_t n = 0;
  for (uint32_t slot = 0; slot < pods_.size() + 8; ++slot) {
    if (bpf_map_lookup_elem(stats_fd_, &slot, per_cpu.data())) continue;
    for (const auto& s : per_cpu) n += s.packets[POL_DIR_INGRESS][POL_STAT_DENIED] + s.packets[POL_DIR_EGRESS][POL_STAT_DENIED];
  }
  return n;
}

// A socket made in the pod's namespace (setns there and back: sockets keep their namespace).
int PolicyLab::socket_in(size_t pod, int type) const {
  if (setns(pod_ns_fds_[pod], CLONE_NEWNET) != 0) return -1;
  int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  setns(own_ns_fd_, CLONE_NEWNET);
  return s;
}

Outcome PolicyLab::probe(size_t from, const std::string& ip, const std::string& proto, int port) {
  const bool tcp = proto == "TCP";
  const uint64_t before = denied_total();
  int s = socket_in(from, tcp ? SOCK_STREAM : SOCK_DGRAM);
  if (s < 0) return Outcome::neither;
  // A source port no earlier probe of this run used: a reused one would be an old flow (the
  // connection table lets a UDP flow live on across a policy change, as conntrack does).
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(static_cast<uint16_t>(20000 + next_port_++ % 40000));
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bind(s, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  // TCP: the server speaks first and closes. UDP: the datagram goes again every 200 ms (a lost
  // datagram is slow, not dropped).
  const auto start = std::chrono::steady_clock::now();
  auto last_send = start - std::chrono::seconds(1);
  Outcome out = Outcome::neither;
  while (out == Outcome::neither && std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
    if (!tcp && std::chrono::steady_clock::now() - last_send > std::chrono::milliseconds(200)) {
      send(s, "x\n", 2, MSG_NOSIGNAL);
      last_send = std::chrono::steady_clock::now();
    }
    pollfd pfd{s, POLLIN, 0};
    if (poll(&pfd, 1, 1) > 0) {
      char buf[16];
      ssize_t n = recv(s, buf, sizeof buf, 0);
      if (n >= 2 && buf[0] == 'o') out = Outcome::answered;
      else if (tcp && (pfd.revents & (POLLERR | POLLHUP))) break;  // refused or reset: no verdict
    }
    if (out == Outcome::neither && denied_total() > before) out = Outcome::dropped;
  }
  close(s);
  return out;
}

OracleCluster PolicyLab::oracle_base() const {
  OracleCluster c;
  c.namespaces = ns_labels_;
  for (const auto& p : pods_) c.pods.push_back({p.ns, p.name, p.labels, {p.ip}, opt_.pod_objects ? p.ports : std::vector<OraclePod::Port>{}});
  return c;
}

std::vector<std::string> PolicyLab::matrix_differences(const OracleCluster& c) {
  std::vector<std::string> out;
  for (size_t from = 0; from < pods_.size(); ++from)
    for (size_t to = 0; to < pods_.size(); ++to) {
      if (from == to) continue;
      for (const char* proto : {"TCP", "UDP"})
        for (int port : opt_.ports) {
          bool want = oracle_allows(c, pods_[from].ip, pods_[to].ip, proto, port);
          Outcome got = probe(from, pods_[to].ip, proto, port);
          if (got == (want ? Outcome::answered : Outcome::dropped)) continue;
          out.push_back(pods_[from].ns + "/" + pods_[from].name + " -> " + pods_[to].ns + "/" + pods_[to].name + " " + proto + "/" +
                        std::to_string(port) + ": " + outcome_name(got) + ", the oracle says " + (want ? "allowed" : "denied"));
          if (got == Outcome::neither) out.back() += "\n" + diagnose(from);
        }
    }
  return out;
}

std::string PolicyLab::diagnose(size_t from) const {
  std::string out;
  for (const std::string& c : {"ip netns exec " + pod_netns(from) + " ip neigh", "ip netns exec " + pod_netns(from) + " ip route",
                               "busctl --address=" + policy_->bus_address() + " call org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy "
                               "org.openeuler.NetAccel1.Policy GetStats"})
    out += "$ " + c + "\n" + sh(c).out;
  return out;
}

}  // namespace netaccel::test

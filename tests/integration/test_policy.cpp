// netaccel-policy on a node: netaccel-agent, -fwd and -policy on a private bus in a node
// namespace, pods x/a, x/b and y/a as network namespaces on a bridge, registered with the
// agent as the CNI plugin does (fwd wires them in bridge mode). Servers answer TCP and UDP on
// 80 and 81 in every pod. NetworkPolicies go in through `netaccelctl apply`; every probe is
// real traffic from one pod to another, and its verdict is an event, never a timeout: the
// reply arrives (allowed) or netaccel-policy counts the drop (denied); neither within 10 s
// fails the test as "slow". Verdicts must be the oracle's for the same YAML.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "harness.h"
#include "policy_oracle.h"
#include "service_fixture.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

const std::string kPolicyDest = "org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy";

struct TestPod {
  std::string ns, name, ip;
  std::map<std::string, std::string> labels;
};

const std::vector<TestPod> kPods{
    {"x", "a", "10.95.0.11", {{"pod", "a"}, {"app", "web"}}},
    {"x", "b", "10.95.0.12", {{"pod", "b"}, {"app", "db"}}},
    {"y", "a", "10.95.0.21", {{"pod", "a"}, {"app", "web"}}},
};

enum class Outcome { answered, dropped, neither };

const char* kUdpAnswer =
    "import socket, sys\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('', int(sys.argv[1])))\n"
    "while True:\n"
    "    d, a = s.recvfrom(64)\n"
    "    s.sendto(b'ok\\n', a)\n";

class Policy : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/socat", X_OK) != 0) GTEST_SKIP() << "socat not installed";
    cleanup_stale_namespaces("napo");
    p_ = unique_prefix("napo");
    dir_ = "/tmp/netaccel-test-" + p_;
    node_ = p_ + "-node";
    std::string cmd = "mkdir -p " + dir_ + " " + pins() + " && ip netns add " + node_ + " && ip -n " + node_ + " link set lo up && ip -n " + node_ +
                      " link add br0 type bridge && ip -n " + node_ + " addr add 10.95.0.1/24 dev br0 && ip -n " + node_ + " link set br0 up";
    sh_ok(cmd);
    for (size_t i = 0; i < kPods.size(); ++i) {
      const auto& pod = kPods[i];
      std::string ns = pod_netns(i), veth = host_veth(i);
      sh_ok("ip netns add " + ns + " && ip -n " + node_ + " link add " + veth + " type veth peer name eth0 netns " + ns + " && ip -n " + node_ +
            " link set " + veth + " master br0 up && ip -n " + ns + " link set lo up && ip -n " + ns + " addr add " + pod.ip +
            "/24 dev eth0 && ip -n " + ns + " link set eth0 up && ip -n " + ns + " route add default via 10.95.0.1");
      for (const char* port : {"80", "81"}) {
        servers_.push_back(std::make_unique<Process>());
        servers_.back()->start({"/usr/bin/socat", std::string("TCP-LISTEN:") + port + ",fork,reuseaddr", "SYSTEM:echo ok"}, {}, "/run/netns/" + ns,
                               dir_ + "/tcp" + port + "-" + std::to_string(i) + ".log");
        // UDP: one process answers every datagram (socat's fork hands a busy child the next one).
        servers_.push_back(std::make_unique<Process>());
        servers_.back()->start({"/usr/bin/python3", "-c", std::string(kUdpAnswer), port}, {}, "/run/netns/" + ns,
                               dir_ + "/udp" + port + "-" + std::to_string(i) + ".log");
      }
    }
    std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/state\nwire_fastpath = yes\n";
    std::ofstream(dir_ + "/fwd.conf") << "[fwd]\nhook = tc\nauto_attach = no\npin_root = " << pins() << "\n";
    std::ofstream(dir_ + "/policy.conf") << "[policy]\npin_root = " << pins() << "\nsettle_ms = 5\n";
    agent_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_);
    ASSERT_TRUE(agent_->bus_ok());
    ASSERT_TRUE(agent_->start(dir_ + "/agent.conf", "/run/netns/" + node_));
    fwd_ = std::make_unique<ServiceUnderTest>("fwd", "org.openeuler.NetAccel1.Fwd", dir_ + "/fwd", *agent_);
    ASSERT_TRUE(fwd_->start(dir_ + "/fwd.conf", "/run/netns/" + node_));
    start_policy();
    apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {ns: x}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y}}\n");
    for (size_t i = 0; i < kPods.size(); ++i) register_pod(i);
    ASSERT_TRUE(wait_until([&] { return endpoint_count() == kPods.size(); }, 10000)) << policy_->log();
    for (const auto& pod : kPods) {
      cluster_.namespaces[pod.ns] = {{"ns", pod.ns}};
      cluster_.pods.push_back({pod.ns, pod.name, pod.labels, {pod.ip}, {}});
    }
  }
  void TearDown() override {
    servers_.clear();
    policy_.reset();
    fwd_.reset();
    agent_.reset();
    if (!p_.empty()) {
      sh(binary_dir() + "/services/policy/netaccel-policy --purge -c /dev/null --pin-root " + pins());
      sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " + pins());
      sh("rmdir " + pins() + " 2>/dev/null");
      for (size_t i = 0; i < kPods.size(); ++i) sh("ip netns del " + pod_netns(i) + " 2>/dev/null");
      sh("ip netns del " + node_ + " 2>/dev/null");
    }
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }

  std::string pins() const { return "/sys/fs/bpf/netaccel-test-" + p_; }
  std::string pod_netns(size_t i) const { return p_ + "-p" + std::to_string(i); }
  std::string host_veth(size_t i) const { return "v" + p_.substr(p_.size() - 6) + std::to_string(i); }

  void start_policy() {
    policy_ = std::make_unique<ServiceUnderTest>("policy", "org.openeuler.NetAccel1.Policy", dir_ + "/policy", *agent_);
    ASSERT_TRUE(policy_->start(dir_ + "/policy.conf", "/run/netns/" + node_));
  }
  void register_pod(size_t i) {
    const auto& pod = kPods[i];
    json ep = {{"containerId", "c" + std::to_string(i)}, {"ifname", "eth0"}, {"netns", "/run/netns/" + pod_netns(i)}, {"hostVeth", host_veth(i)},
               {"bridge", "br0"}, {"ipv4", pod.ip}, {"podNamespace", pod.ns}, {"podName", pod.name}, {"labels", pod.labels}};
    std::ofstream(dir_ + "/ep.json") << ep.dump();
    auto r = sh("busctl --address=" + agent_->bus_address() + " call " + kAgentDest + " RegisterEndpoint s \"$(cat " + dir_ + "/ep.json)\"");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  size_t endpoint_count() const {
    auto r = policy_->busctl("get-property org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy EndpointCount");
    return r.status == 0 && r.out.size() > 2 ? std::stoul(r.out.substr(2)) : 0;
  }
  uint64_t generation() const {
    auto r = policy_->busctl("get-property org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy Generation");
    return r.status == 0 && r.out.size() > 2 ? std::stoull(r.out.substr(2)) : 0;
  }
  // Applies through netaccelctl and waits until netaccel-policy installed a new state.
  void apply(const std::string& yaml, bool remove = false) {
    std::ofstream(dir_ + "/objects.yaml") << yaml;
    uint64_t before = generation();
    auto r = agent_->ctl(std::string(remove ? "delete" : "apply") + " -f " + dir_ + "/objects.yaml");
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(wait_until([&] { return generation() > before; }, 10000)) << "netaccel-policy did not install the change\n" << policy_->log();
  }
  uint64_t denied_total() const {
    const json rows = policy_->call(kPolicyDest, "GetStats")[0];
    uint64_t n = 0;
    for (const auto& row : rows) n += row[4].get<uint64_t>();
    return n;
  }

  // One connection from pod `from` to `ip`:`port`, in that pod's namespace.
  Outcome probe(size_t from, const std::string& ip, bool tcp, int port) {
    const uint64_t denied_before = denied_total();
    std::atomic<int> answered{0};
    std::atomic<bool> stop{false};
    std::thread t([&] {
      int nsfd = open(("/run/netns/" + pod_netns(from)).c_str(), O_RDONLY);
      if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) return;
      close(nsfd);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
      int s = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
      connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
      // TCP: the server speaks first and closes; sending to it could cross its close and make
      // the answer a reset. UDP: the datagram goes again every 500 ms until a verdict (a lost
      // datagram is slow, not dropped).
      auto last_send = std::chrono::steady_clock::now() - std::chrono::seconds(1);
      while (!stop) {
        if (!tcp && std::chrono::steady_clock::now() - last_send > std::chrono::milliseconds(500)) {
          send(s, "x\n", 2, MSG_NOSIGNAL);
          last_send = std::chrono::steady_clock::now();
        }
        pollfd pfd{s, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0) continue;
        char buf[16];
        if ((pfd.revents & POLLIN) && recv(s, buf, sizeof buf, 0) >= 2 && buf[0] == 'o') {
          answered = 1;
          break;
        }
        if (pfd.revents & (POLLERR | POLLHUP)) {
          if (tcp) break;  // refused or reset: no verdict, the test says so
          recv(s, buf, sizeof buf, MSG_DONTWAIT);  // UDP: an ICMP error clears; the next send tries again
        }
      }
      close(s);
    });
    Outcome out = Outcome::neither;
    for (int i = 0; i < 200 && out == Outcome::neither; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (answered) out = Outcome::answered;
      else if (denied_total() > denied_before) out = Outcome::dropped;
    }
    stop = true;
    t.join();
    return out;
  }

  // For paths that must be open while no daemon runs: true once the answer arrives (10 s).
  bool probe_answer(size_t from, const std::string& ip, int port) {
    auto r = sh("ip netns exec " + pod_netns(from) + " socat -T10 - TCP:" + ip + ":" + std::to_string(port) + ",connect-timeout=10 </dev/null");
    return r.status == 0 && r.out.find("ok") != std::string::npos;
  }

  // What a probe that got no verdict leaves to look at.
  std::string diagnose(size_t from, size_t to) {
    std::string out;
    for (const std::string& c : {"ip netns exec " + pod_netns(from) + " ip neigh", "ip netns exec " + pod_netns(to) + " ss -tuanp",
                                 "ip -n " + node_ + " -s link show " + host_veth(from), "ip -n " + node_ + " -s link show " + host_veth(to),
                                 "busctl --address=" + policy_->bus_address() + " call " + kPolicyDest + " GetStats",
                                 "busctl --address=" + policy_->bus_address() + " call " + kFwdDest + " GetStats s " + host_veth(from)})
      out += "$ " + c + "\n" + sh(c).out;
    return out;
  }

  // Every pod to every other pod, TCP 80 and 81 and UDP 80, against the oracle.
  void expect_matrix(const std::string& what) {
    for (size_t from = 0; from < kPods.size(); ++from)
      for (size_t to = 0; to < kPods.size(); ++to) {
        if (from == to) continue;
        for (auto [tcp, port] : std::vector<std::pair<bool, int>>{{true, 80}, {true, 81}, {false, 80}}) {
          bool want = oracle_allows(cluster_, kPods[from].ip, kPods[to].ip, tcp ? "TCP" : "UDP", port);
          Outcome got = probe(from, kPods[to].ip, tcp, port);
          ASSERT_NE(got, Outcome::neither) << what << ": " << kPods[from].ns << "/" << kPods[from].name << " -> " << kPods[to].ns << "/"
                                           << kPods[to].name << (tcp ? " TCP " : " UDP ") << port << ": neither answered nor dropped in 10 s\n"
                                           << diagnose(from, to);
          EXPECT_EQ(got == Outcome::answered, want) << what << ": " << kPods[from].ns << "/" << kPods[from].name << " -> " << kPods[to].ns
                                                    << "/" << kPods[to].name << (tcp ? " TCP " : " UDP ") << port;
        }
      }
  }
  void set_policies(const std::vector<std::string>& docs) {
    cluster_.policies.clear();
    std::string all;
    for (const auto& d : docs) {
      cluster_.policies.push_back(YAML::Load(d));
      all += "---\n" + d;
    }
    if (!docs.empty()) apply(all);
  }

  std::string p_, dir_, node_;
  std::unique_ptr<ServiceUnderTest> agent_, fwd_, policy_;
  std::vector<std::unique_ptr<Process>> servers_;
  OracleCluster cluster_;
};

const char* kDenyX = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: x}\nspec: {podSelector: {}}\n";
const char* kWebFromY =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-from-y, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}]}\n";
const char* kDbEgress81 =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-out, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], egress: [{ports: [{protocol: TCP, port: 81}]}]}\n";

TEST_F(Policy, RealTrafficFollowsThePoliciesAsTheyChange) {
  expect_matrix("no policy");
  set_policies({kDenyX});
  expect_matrix("deny all into x");
  set_policies({kDenyX, kWebFromY});
  expect_matrix("x/web from namespace y on TCP 80");
  set_policies({kDenyX, kWebFromY, kDbEgress81});
  expect_matrix("and x/db may only send to TCP 81");
  // Delete them all: everything flows again.
  std::string all = std::string("---\n") + kDenyX + "---\n" + kWebFromY + "---\n" + kDbEgress81;
  apply(all, true);
  cluster_.policies.clear();
  expect_matrix("policies deleted");
}

TEST_F(Policy, EnforcementSurvivesTheDaemonsDeathAndRestart) {
  set_policies({kDenyX, kWebFromY});
  expect_matrix("before");
  policy_->kill_hard();
  // Pinned maps and links keep enforcing with no daemon at all: what is allowed still answers
  // (drops are counted by the kernel; they are read through the restarted daemon below).
  for (size_t from = 0; from < kPods.size(); ++from)
    for (size_t to = 0; to < kPods.size(); ++to)
      if (from != to && oracle_allows(cluster_, kPods[from].ip, kPods[to].ip, "TCP", 80))
        EXPECT_EQ(probe_answer(from, kPods[to].ip, 80), true) << kPods[from].ns << "/" << kPods[from].name << " -> " << kPods[to].ip;
  start_policy();
  ASSERT_TRUE(wait_until([&] { return endpoint_count() == kPods.size(); }, 10000)) << policy_->log();
  expect_matrix("after a SIGKILL and restart");
}

TEST_F(Policy, UnprivilegedCallersReadButCannotResync) {
  set_policies({kWebFromY});
  auto text = policy_->call(kPolicyDest, "GetEndpointPolicy s x/a");
  ASSERT_TRUE(text[0].is_string());
  const std::string words = text[0];
  EXPECT_NE(words.find("ingress: isolated by x/web-from-y"), std::string::npos) << words;
  EXPECT_NE(words.find("TCP 80"), std::string::npos) << words;
  EXPECT_NE(words.find("egress: unrestricted"), std::string::npos) << words;
  auto r = policy_->busctl("call " + kPolicyDest + " ListIdentities", "nobody");
  EXPECT_EQ(r.status, 0) << r.out;
  r = policy_->busctl("call " + kPolicyDest + " Resync", "nobody");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("Access denied"), std::string::npos) << r.out;
  r = policy_->busctl("call " + kPolicyDest + " GetEndpointPolicy s x/nope");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("x/nope"), std::string::npos) << r.out;
}

TEST_F(Policy, NetaccelctlShowsStatusPoliciesAndDropsInWords) {
  set_policies({kDenyX});
  Process monitor;
  ASSERT_TRUE(monitor.start({binary_dir() + "/services/ctl/netaccelctl", "policy", "monitor", "-c", "1"},
                            {"DBUS_SYSTEM_BUS_ADDRESS=" + policy_->bus_address()}, "", dir_ + "/monitor.log"));
  auto log = [&] {
    std::ifstream f(dir_ + "/monitor.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  ASSERT_TRUE(wait_until([&] { return log().find("listening") != std::string::npos; }, 10000)) << log();
  ASSERT_EQ(probe(2, kPods[0].ip, true, 80), Outcome::dropped);
  ASSERT_TRUE(wait_until([&] { return !monitor.running(); }, 10000)) << "the monitor saw no drop:\n" << log();
  const std::string line = log();
  EXPECT_NE(line.find("x/a ingress: 10.95.0.21 -> 10.95.0.11 TCP/80 from ns=y app=web pod=a, isolated by x/deny-all"), std::string::npos) << line;
  auto status = agent_->ctl("status");
  EXPECT_NE(status.out.find("netaccel-policy    running"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("network policy: 1 policy on 3 pods"), std::string::npos) << status.out;
  auto eps = agent_->ctl("policy endpoints");
  EXPECT_EQ(eps.status, 0) << eps.out;
  EXPECT_NE(eps.out.find("x/a"), std::string::npos) << eps.out;
  EXPECT_NE(eps.out.find("isolated open"), std::string::npos) << eps.out;
  auto get = agent_->ctl("policy get x/b");
  EXPECT_NE(get.out.find("ingress: isolated by x/deny-all\n  allows nothing"), std::string::npos) << get.out;
  auto stats = agent_->ctl("policy stats");
  EXPECT_NE(stats.out.find("x/a"), std::string::npos) << stats.out;
  auto missing = agent_->ctl("policy get x/none");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("x/none"), std::string::npos) << missing.out;
}

}  // namespace

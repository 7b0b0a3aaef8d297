// podman (the distribution's 4.3, CNI backend, runc) creates the pods; nothing here plays the
// runtime. The conflist chains the reference bridge plugin (host-local IPAM) and netaccel,
// which reaches netaccel-agent on a private bus through "busAddress" (podman's cleanup runs
// DEL without our environment). netaccel-fwd and netaccel-sockmap on that bus do nothing on
// their own, so whatever the pods get, the agent asked for. podman keeps its containers in a
// storage root of this test, so nothing it does touches the host's containers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "pod_node.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

const std::string kRootfs = "/var/cache/netaccel-test/rootfs";

class Podman : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/podman", X_OK) != 0 || access("/usr/sbin/runc", X_OK) != 0) GTEST_SKIP() << "podman or runc not installed";
    if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "containernetworking-plugins not installed";
    p_ = unique_prefix("napm");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_);
    // redis and libgazelle's libraries for the user-mode CNI's pod; one cached tree for all.
    auto rootfs = sh(source_dir() + "/tests/lib/debian-rootfs.sh " + kRootfs + " iproute2,redis-server,redis-tools,libbpf1,libxdp1,libiniparser1 " +
                     dir_ + "/rootfs");
    ASSERT_EQ(rootfs.status, 0) << rootfs.out;
    PodNodeOptions o{"10.95.0.0/24", dir_ + "/cni-bin", dir_ + "/net.d/" + p_ + ".conflist"};
    if (with_gazelle_) o.range_end = "10.95.0.199";
    if (with_gazelle_)  // its own range inside the pod subnet, so the gateway is on-link
      o.gazelle = {{"ipam", {{"type", "host-local"}, {"dataDir", dir_ + "/ipam"},
                             {"ranges", json::array({json::array({{{"subnet", "10.95.0.0/24"}, {"rangeStart", "10.95.0.200"},
                                                                   {"rangeEnd", "10.95.0.220"}}})})}}},
                   {"confDir", dir_ + "/gazelle"}};
    node_ = std::make_unique<PodNode>(dir_, p_, o);
    ASSERT_TRUE(node_->ok());
    std::ofstream(dir_ + "/containers.conf") << "[network]\nnetwork_backend = \"cni\"\ncni_plugin_dirs = [\"" << dir_
                                             << "/cni-bin\"]\nnetwork_config_dir = \"" << dir_ << "/net.d\"\n";
  }

  void TearDown() override {
    if (dir_.empty()) return;
    podman("rm -a -f -t 0");
    node_.reset();
    sh("umount -R " + dir_ + "/storage " + dir_ + "/runroot 2>/dev/null; rm -rf " + dir_);
  }

  CmdResult podman(const std::string& args) {
    return sh("CONTAINERS_CONF=" + dir_ + "/containers.conf podman --root " + dir_ + "/storage --runroot " + dir_ +
              "/runroot --cgroup-manager cgroupfs --events-backend file --runtime /usr/sbin/runc " + args + " 2>&1");
  }
  // A pod as podman makes one: its own netns on our network, a process that stays.
  std::string run_pod(const std::string& name, const std::string& options = "") {
    auto r = podman("run -d --name " + name + " --network " + node_->net() + " --ulimit nproc=1000:1000 --ulimit nofile=1000:1000 " +
                    options + " --rootfs " + kRootfs + ":O sleep 600");
    EXPECT_EQ(r.status, 0) << r.out;
    return inspect(name, "{{.NetworkSettings.SandboxKey}}");
  }
  std::string inspect(const std::string& name, const std::string& format) {
    auto r = podman("inspect -f '" + format + "' " + name);
    std::string s = r.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  bool with_gazelle_ = false;
  std::string p_, dir_;
  std::unique_ptr<PodNode> node_;
};

TEST_F(Podman, TwoPodsGetTheFastPathAndLeaveNothingBehind) {
  const std::string ns_a = run_pod(p_ + "-a"), ns_b = run_pod(p_ + "-b");
  ASSERT_FALSE(ns_a.empty());
  ASSERT_TRUE(wait_until([&] { return node_->endpoints().size() == 2; }, 30000)) << node_->agent().log();
  // Both veths in bridge mode, both pods' cgroups (runc's, found from the netns) in sockmap.
  EXPECT_EQ(node_->fwd_count(), 2u) << node_->agent().log();
  ASSERT_TRUE(wait_until([&] { return node_->all_have_cgroups(); }, 30000)) << node_->agent().log();
  std::string veth_a, ip_b;
  const auto enabled = node_->sockmap_cgroups();
  for (const auto& e : node_->endpoints()) {
    json ep = node_->endpoint(e[0]);
    EXPECT_EQ(ep["fastPath"]["fwd"], "bridge");
    EXPECT_EQ(ep["fastPath"]["sockmap"], ep["cgroup"]) << ep.dump();
    EXPECT_EQ(std::count(enabled.begin(), enabled.end(), ep["cgroup"].get<std::string>()), 1) << ep.dump();
    EXPECT_EQ(ep["podName"].get<std::string>().rfind(p_, 0), 0u) << "podman passes the container name as K8S_POD_NAME";
    if (ep["netns"] == ns_a) veth_a = ep["hostVeth"];
    if (ep["netns"] == ns_b) ip_b = ep["ipv4"];
  }
  ASSERT_FALSE(veth_a.empty());
  ASSERT_FALSE(ip_b.empty());
  // The node's one table: what runs and what it accelerates now (iptables is not started here).
  auto status = node_->agent().ctl("status");
  EXPECT_EQ(status.status, 0) << status.out;
  for (const char* row : {"netaccel-fwd       running", "pod to pod: 2 veths attached", "netaccel-iptables  not running",
                          "pods <-> runtime: 2 pods", "cluster mode off", "intra-pod: 0 pods with a user-mode address"})
    EXPECT_NE(status.out.find(row), std::string::npos) << row << " in:\n" << status.out;
  // Pod to pod through the bridge: nothing lost, and fwd forwarded it.
  auto ping = sh("nsenter --net=" + ns_a + " ping -q -c 10 -i 0.05 -W 5 " + ip_b);
  EXPECT_NE(ping.out.find(" 0% packet loss"), std::string::npos) << ping.out;
  EXPECT_TRUE(node_->forwards_after_learning(ns_a, veth_a, ip_b)) << node_->fwd_stats(veth_a);

  // stop/rm: DEL reaches the agent from podman's cleanup, which undoes what it did.
  auto rm = podman("rm -f -t 0 " + p_ + "-a " + p_ + "-b");
  ASSERT_EQ(rm.status, 0) << rm.out;
  EXPECT_TRUE(wait_until([&] { return node_->endpoints().empty(); }, 30000));
  EXPECT_EQ(node_->fwd_count(), 0u);
  EXPECT_EQ(node_->sockmap_cgroups(), std::vector<std::string>{node_->base_cgroup()});
  EXPECT_EQ(node_->bridge_ports(), "0");
  EXPECT_EQ(node_->leases(), "0");
}

TEST_F(Podman, FiftyPodsComeAndGoWithoutALeak) {
  // The bridge plugin makes its bridge with the first pod and leaves it: count the rest.
  const std::string count_links = "ip -o link | grep -v ': " + node_->bridge() + ":' | wc -l";
  const std::string links_before = sh(count_links).out;
  for (int i = 0; i < 50; ++i) {
    const std::string name = p_ + "-l" + std::to_string(i);
    ASSERT_FALSE(run_pod(name).empty()) << "pod " << i;
    auto rm = podman("rm -f -t 0 " + name);
    ASSERT_EQ(rm.status, 0) << "pod " << i << ": " << rm.out;
  }
  EXPECT_TRUE(wait_until([&] { return node_->endpoints().empty(); }, 30000)) << node_->endpoints().size() << " endpoints left";
  EXPECT_EQ(node_->fwd_count(), 0u);
  EXPECT_EQ(node_->sockmap_cgroups(), std::vector<std::string>{node_->base_cgroup()});
  EXPECT_EQ(node_->bridge_ports(), "0");
  EXPECT_EQ(node_->leases(), "0");
  EXPECT_EQ(sh(count_links).out, links_before) << "no host interface left over";
  EXPECT_EQ(podman("ps -a -q").out, "");
}

// The user-mode CNI: the pod gets a second address that only libgazelle serves, on the same
// veth as its kernel address. One redis runs under libgazelle on it, a legacy redis on the
// kernel address in the same pod; another pod reaches both.
class PodmanGazelle : public Podman {
 protected:
  PodmanGazelle() { with_gazelle_ = true; }
};

TEST_F(PodmanGazelle, ARedisOnTheUserStackAndALegacyOneShareAPod) {
  // AF_XDP needs bpf() and CAP_NET_ADMIN/CAP_BPF in the pod: --privileged lifts podman's
  // seccomp filter too. The plugin's directory is mounted where libgazelle looks for it.
  const std::string a = p_ + "-a", b = p_ + "-b";
  sh_ok("mkdir -p " + dir_ + "/gazelle");  // the package's tmpfiles.d makes /run/netaccel/gazelle
  const std::string ns_a = run_pod(a, "--privileged -v " + dir_ + "/gazelle:/run/netaccel/gazelle:ro -v " +
                                          binary_dir() + "/libgazelle:/opt/gazelle:ro");
  ASSERT_FALSE(ns_a.empty());
  ASSERT_FALSE(run_pod(b).empty());
  ASSERT_TRUE(wait_until([&] { return node_->endpoints().size() == 2; }, 30000)) << node_->agent().log();
  std::string user_ip, kernel_ip, conf;
  for (const auto& e : node_->endpoints()) {
    json ep = node_->endpoint(e[0]);
    // Every pod on the network gets the second address.
    ASSERT_TRUE(ep.contains("gazelle")) << ep.dump();
    if (ep["netns"] != ns_a) continue;
    user_ip = ep["gazelle"]["address"];
    conf = ep["gazelle"]["conf"];
    kernel_ip = ep["ipv4"];
  }
  ASSERT_FALSE(user_ip.empty());
  const auto status = node_->agent().ctl("status").out;
  EXPECT_NE(status.find("intra-pod: " + std::to_string(node_->endpoints().size()) + " pods with a user-mode address"), std::string::npos)
      << status;
  EXPECT_EQ(node_->fwd_count(), 0u) << "fwd's redirect_peer would skip libgazelle's XDP program";
  EXPECT_GE(std::stoi(user_ip.substr(user_ip.rfind('.') + 1)), 200) << user_ip << " is from the gazelle range";
  EXPECT_LT(std::stoi(kernel_ip.substr(kernel_ip.rfind('.') + 1)), 200) << kernel_ip << " is from the pod range";
  EXPECT_NE(sh("cat " + conf).out.find("host_addr = " + user_ip + "\n"), std::string::npos) << conf;
  EXPECT_NE(sh("ip route show " + user_ip).out.find("dev " + node_->bridge()), std::string::npos) << "host route";
  // The pod's kernel does not own the address: only the user stack answers for it.
  EXPECT_EQ(sh("nsenter --net=" + ns_a + " ip -o addr").out.find(user_ip), std::string::npos);

  const std::string preload = "LD_PRELOAD=/opt/gazelle/libgazelle.so";  // lstack.conf found by netns, no GAZELLE_CONF
  ASSERT_EQ(podman("exec -d " + a + " env " + preload + " redis-server --bind " + user_ip +
                   " --port 6379 --save '' --appendonly no --protected-mode no --logfile /tmp/user.log").status, 0);
  ASSERT_EQ(podman("exec -d " + a + " redis-server --bind " + kernel_ip + " --port 6380 --save '' --appendonly no --protected-mode no")
                .status, 0);
  auto cli = [&](const std::string& ip, int port, const std::string& cmd) {
    auto r = podman("exec " + b + " redis-cli -h " + ip + " -p " + std::to_string(port) + " " + cmd);
    return r.out.substr(0, r.out.find_last_not_of('\n') + 1);
  };
  // Waiting on the answer itself: a redis not up yet refuses, it does not time out.
  ASSERT_TRUE(wait_until([&] { return cli(user_ip, 6379, "PING") == "PONG"; }, 30000))
      << cli(user_ip, 6379, "PING") << podman("exec " + a + " cat /tmp/user.log").out
      << sh("ls -l " + dir_ + "/gazelle/by-netns; stat -L -c 'netns %i' " + ns_a + "; nsenter --net=" + ns_a + " ethtool -l eth0").out
      << podman("exec " + a + " /opt/gazelle/gazellectl lstack show").out << podman("exec " + b + " ip neigh").out;
  ASSERT_TRUE(wait_until([&] { return cli(kernel_ip, 6380, "PING") == "PONG"; }, 30000));
  // 100 writes on one connection, every reply counted.
  auto sets = podman("exec " + b + " sh -c 'for i in $(seq 0 99); do echo SET k$i v$i; done | redis-cli -h " + user_ip + " -p 6379'");
  EXPECT_EQ(std::count(sets.out.begin(), sets.out.end(), '\n'), 100) << sets.out;
  EXPECT_EQ(sets.out.find("OK\nOK\n"), 0u) << sets.out;
  EXPECT_EQ(cli(user_ip, 6379, "GET k42"), "v42");
  EXPECT_EQ(cli(user_ip, 6379, "DBSIZE"), "100");
  EXPECT_EQ(cli(kernel_ip, 6380, "DBSIZE"), "0") << "two servers, not one";
  // The kernel of pod A listens on the legacy port only: 6379 lives in the user stack.
  const std::string listening = sh("nsenter --net=" + ns_a + " ss -Htln").out;
  EXPECT_NE(listening.find(kernel_ip + ":6380"), std::string::npos) << listening;
  EXPECT_EQ(listening.find(":6379"), std::string::npos) << listening;

  // DEL takes back everything ADD made: the address, the route, the file and its link.
  auto rm = podman("rm -f -t 0 " + a + " " + b);
  ASSERT_EQ(rm.status, 0) << rm.out;
  EXPECT_TRUE(wait_until([&] { return node_->endpoints().empty(); }, 30000));
  EXPECT_EQ(sh("ip route show " + user_ip).out, "");
  EXPECT_EQ(sh("ls -A " + dir_ + "/gazelle/by-netns; ls -A " + dir_ + "/gazelle | grep -v by-netns").out, "");
  EXPECT_EQ(node_->leases(), "0");
}

}  // namespace

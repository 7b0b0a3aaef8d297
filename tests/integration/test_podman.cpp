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
    auto rootfs = sh(source_dir() + "/tests/lib/debian-rootfs.sh " + kRootfs + " iproute2 " + dir_ + "/rootfs");
    ASSERT_EQ(rootfs.status, 0) << rootfs.out;
    node_ = std::make_unique<PodNode>(dir_, p_, PodNodeOptions{"10.95.0.0/24", dir_ + "/cni-bin", dir_ + "/net.d/" + p_ + ".conflist"});
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
  std::string run_pod(const std::string& name) {
    auto r = podman("run -d --name " + name + " --network " + node_->net() +
                    " --ulimit nproc=1000:1000 --ulimit nofile=1000:1000 --rootfs " + kRootfs + ":O sleep 600");
    EXPECT_EQ(r.status, 0) << r.out;
    return inspect(name, "{{.NetworkSettings.SandboxKey}}");
  }
  std::string inspect(const std::string& name, const std::string& format) {
    auto r = podman("inspect -f '" + format + "' " + name);
    std::string s = r.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

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
  // Pod to pod through the bridge: nothing lost, and fwd forwarded it.
  auto ping = sh("nsenter --net=" + ns_a + " ping -q -c 10 -i 0.05 -W 5 " + ip_b);
  EXPECT_NE(ping.out.find(" 0% packet loss"), std::string::npos) << ping.out;
  EXPECT_GT(node_->forwarded(veth_a), 0u);

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

}  // namespace

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
#include "service_fixture.h"

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
    sh_ok("mkdir -p " + dir_ + "/cni-bin " + dir_ + "/net.d");
    auto rootfs = sh(source_dir() + "/tests/lib/debian-rootfs.sh " + kRootfs + " iproute2 " + dir_ + "/rootfs");
    ASSERT_EQ(rootfs.status, 0) << rootfs.out;
    bridge_ = "napm" + p_.substr(p_.size() - 5);
    net_ = "natest-" + p_;
    pins_ = "/sys/fs/bpf/netaccel-test-" + p_;
    base_cgroup_ = cgroup2_dir() + "/netaccel-test-" + p_ + "-base";
    sh_ok("mkdir -p " + pins_ + " " + base_cgroup_);
    // The plugin directory: the reference plugins and this build's netaccel.
    sh_ok("for f in /usr/lib/cni/*; do ln -s $f " + dir_ + "/cni-bin/; done; ln -s " + binary_dir() + "/services/cni/netaccel " + dir_ +
          "/cni-bin/netaccel");
    agent_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_ + "/agent");
    ASSERT_TRUE(agent_->bus_ok());
    json conflist = {{"cniVersion", "1.0.0"}, {"name", net_},
                     {"plugins", json::array({{{"type", "bridge"}, {"bridge", bridge_}, {"isGateway", true}, {"ipMasq", false},
                                               {"ipam", {{"type", "host-local"}, {"ranges", json::array({json::array({{{"subnet", "10.95.0.0/24"}}})})},
                                                         {"dataDir", dir_ + "/ipam"}}}},
                                              {{"type", "netaccel"}, {"busAddress", agent_->bus_address()}}})}};
    std::ofstream(dir_ + "/net.d/" + net_ + ".conflist") << conflist.dump(2);
    std::ofstream(dir_ + "/containers.conf") << "[network]\nnetwork_backend = \"cni\"\ncni_plugin_dirs = [\"" << dir_
                                             << "/cni-bin\"]\nnetwork_config_dir = \"" << dir_ << "/net.d\"\n";
    std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/agent/state\ncgroup_scan_ms = 100\n";
    std::ofstream(dir_ + "/fwd.conf") << "[fwd]\nhook = tc\nauto_attach = no\npin_root = " << pins_ << "/fwd\n";
    std::ofstream(dir_ + "/sockmap.conf") << "[sockmap]\ncgroups = " << base_cgroup_ << "\nlocal_prefixes = 10.95.0.0/24\n"
                                          << "bulk_bypass = off\npin_root = " << pins_ << "/sockmap\n";
    ASSERT_TRUE(agent_->start(dir_ + "/agent.conf"));
    fwd_ = std::make_unique<ServiceUnderTest>("fwd", "org.openeuler.NetAccel1.Fwd", dir_ + "/fwd", *agent_);
    sockmap_ = std::make_unique<ServiceUnderTest>("sockmap", "org.openeuler.NetAccel1.Sockmap", dir_ + "/sockmap", *agent_);
    ASSERT_TRUE(fwd_->start(dir_ + "/fwd.conf"));
    ASSERT_TRUE(sockmap_->start(dir_ + "/sockmap.conf"));
  }

  void TearDown() override {
    if (dir_.empty()) return;
    podman("rm -a -f -t 0");
    fwd_.reset();
    sockmap_.reset();
    agent_.reset();
    sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " + pins_ + "/fwd");
    sh(binary_dir() + "/services/sockmap/netaccel-sockmap --purge -c /dev/null --pin-root " + pins_ + "/sockmap");
    sh("rmdir " + pins_ + "/fwd " + pins_ + "/sockmap " + pins_ + " " + base_cgroup_ + " 2>/dev/null");
    sh("ip link del " + bridge_ + " 2>/dev/null");  // the bridge plugin leaves its bridge behind
    sh("umount -R " + dir_ + "/storage " + dir_ + "/runroot 2>/dev/null; rm -rf " + dir_);
  }

  CmdResult podman(const std::string& args) {
    return sh("CONTAINERS_CONF=" + dir_ + "/containers.conf podman --root " + dir_ + "/storage --runroot " + dir_ +
              "/runroot --cgroup-manager cgroupfs --events-backend file --runtime /usr/sbin/runc " + args + " 2>&1");
  }
  // A pod as podman makes one: its own netns on our network, a process that stays.
  std::string run_pod(const std::string& name) {
    auto r = podman("run -d --name " + name + " --network " + net_ + " --ulimit nproc=1000:1000 --ulimit nofile=1000:1000 --rootfs " +
                    kRootfs + ":O sleep 600");
    EXPECT_EQ(r.status, 0) << r.out;
    return inspect(name, "{{.NetworkSettings.SandboxKey}}");
  }
  std::string inspect(const std::string& name, const std::string& format) {
    auto r = podman("inspect -f '" + format + "' " + name);
    std::string s = r.out;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  json call(const ServiceUnderTest& s, const std::string& dest, const std::string& args) { return s.call(dest, args); }
  std::vector<json> endpoints() {
    const json data = call(*agent_, kAgentDest, "ListEndpoints");
    return std::vector<json>(data[0].begin(), data[0].end());
  }
  json endpoint(const std::string& id) {
    const json data = call(*agent_, kAgentDest, "GetEndpoint s " + id);
    return json::parse(data[0].get<std::string>(), nullptr, false);
  }
  size_t fwd_count() {
    const json data = call(*fwd_, kFwdDest, "ListInterfaces");
    return data[0].size();
  }
  std::vector<std::string> sockmap_cgroups() {
    const json data = call(*sockmap_, kSockmapDest, "ListCgroups");
    return std::vector<std::string>(data[0].begin(), data[0].end());
  }
  // What a leak would leave on the host: veths on our bridge, addresses held by host-local.
  std::string leftovers() {
    return sh("ip -o link show master " + bridge_ + " 2>/dev/null | wc -l; ls " + dir_ + "/ipam/" + net_ + " 2>/dev/null | grep -c '^10\\.'").out;
  }

  std::string p_, dir_, bridge_, net_, pins_, base_cgroup_;
  std::unique_ptr<ServiceUnderTest> agent_, fwd_, sockmap_;
};

TEST_F(Podman, TwoPodsGetTheFastPathAndLeaveNothingBehind) {
  const std::string ns_a = run_pod(p_ + "-a"), ns_b = run_pod(p_ + "-b");
  ASSERT_FALSE(ns_a.empty());
  ASSERT_TRUE(wait_until([&] { return endpoints().size() == 2; }, 30000)) << agent_->log();
  // Both veths in bridge mode, both pods' cgroups (runc's, found from the netns) in sockmap.
  EXPECT_EQ(fwd_count(), 2u) << agent_->log();
  ASSERT_TRUE(wait_until(
      [&] {
        auto eps = endpoints();
        return std::all_of(eps.begin(), eps.end(), [&](const json& e) { return !endpoint(e[0]).value("cgroup", "").empty(); });
      },
      30000))
      << agent_->log();
  std::string veth_a, ip_b;
  const auto enabled = sockmap_cgroups();
  for (const auto& e : endpoints()) {
    json ep = endpoint(e[0]);
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
  const json stats = call(*fwd_, kFwdDest, "GetStats s " + veth_a);
  EXPECT_GT(stats[0].value("forwarded", 0), 0) << stats.dump();

  // stop/rm: DEL reaches the agent from podman's cleanup, which undoes what it did.
  auto rm = podman("rm -f -t 0 " + p_ + "-a " + p_ + "-b");
  ASSERT_EQ(rm.status, 0) << rm.out;
  EXPECT_TRUE(wait_until([&] { return endpoints().empty(); }, 30000));
  EXPECT_EQ(fwd_count(), 0u);
  EXPECT_EQ(sockmap_cgroups(), std::vector<std::string>{base_cgroup_});
  EXPECT_EQ(leftovers(), "0\n0\n");
}

TEST_F(Podman, FiftyPodsComeAndGoWithoutALeak) {
  // The bridge plugin makes its bridge with the first pod and leaves it: count the rest.
  const std::string count_links = "ip -o link | grep -v ': " + bridge_ + ":' | wc -l";
  const std::string links_before = sh(count_links).out;
  for (int i = 0; i < 50; ++i) {
    const std::string name = p_ + "-l" + std::to_string(i);
    ASSERT_FALSE(run_pod(name).empty()) << "pod " << i;
    auto rm = podman("rm -f -t 0 " + name);
    ASSERT_EQ(rm.status, 0) << "pod " << i << ": " << rm.out;
  }
  EXPECT_TRUE(wait_until([&] { return endpoints().empty(); }, 30000)) << endpoints().size() << " endpoints left";
  EXPECT_EQ(fwd_count(), 0u);
  EXPECT_EQ(sockmap_cgroups(), std::vector<std::string>{base_cgroup_});
  EXPECT_EQ(leftovers(), "0\n0\n");
  EXPECT_EQ(sh(count_links).out, links_before) << "no host interface left over";
  EXPECT_EQ(podman("ps -a -q").out, "");
}

}  // namespace

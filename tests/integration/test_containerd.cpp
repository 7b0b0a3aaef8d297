// containerd 1.6 (the distribution's, with runc) creates the containers through `ctr run
// --cni`; nothing here plays the runtime. containerd runs as this test's own daemon (its own
// root, state and socket, the CRI plugin off). ctr runs the CNI plugins itself, from paths it
// cannot be told (/etc/cni/net.d, /opt/cni/bin): each ctr runs in a private mount namespace
// where the test's directories are bound over those two, so the host's stay untouched.
//
// What containerd does differently from podman, and the agent must cope with:
// - CNI_NETNS is /proc/PID/ns/net, a path that names another namespace once the pid is reused
//   (the agent keeps the inode it named at ADD);
// - CNI_ARGS is empty: no pod name (labels given to ctr stay container labels);
// - DEL comes from the foreground `ctr run` after the task exits, with CNI_NETNS empty and
//   a prevResult without interfaces; a detached `ctr run -d` never sends DEL at all, so only
//   the agent's garbage collection can undo its wiring.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "pod_node.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

const std::string kRootfs = "/var/cache/netaccel-test/rootfs";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class Containerd : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    for (const char* bin : {"/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc"})
      if (access(bin, X_OK) != 0) GTEST_SKIP() << bin << " not installed";
    if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "containernetworking-plugins not installed";
    p_ = unique_prefix("nact");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_);
    auto rootfs = sh(source_dir() + "/tests/lib/debian-rootfs.sh " + kRootfs + " iproute2 " + dir_ + "/rootfs");
    ASSERT_EQ(rootfs.status, 0) << rootfs.out;
    // ctr binds our conf dir over /etc/cni/net.d: the mount point must exist. Made here only
    // when missing (it is what the package's sample conflist lives in), and removed again.
    if (access("/etc/cni/net.d", F_OK) != 0) {
      sh_ok("mkdir -p /etc/cni/net.d");
      made_etc_cni_ = true;
    }
    cgroup_parent_ = "/netaccel-test-" + p_;
    node_ = std::make_unique<PodNode>(dir_, p_, PodNodeOptions{"10.94.0.0/24", dir_ + "/opt/cni/bin", dir_ + "/net.d/10-" + p_ + ".conflist", gc_interval_s_});
    ASSERT_TRUE(node_->ok());
    start_containerd();
  }

  void start_containerd() {
    std::ofstream(dir_ + "/containerd.toml") << "version = 2\nroot = \"" << dir_ << "/ctrd/root\"\nstate = \"" << dir_
                                             << "/ctrd/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                                             << "[grpc]\n  address = \"" << dir_ << "/ctrd.sock\"\n"
                                             << "[ttrpc]\n  address = \"" << dir_ << "/ctrd.sock.ttrpc\"\n";
    containerd_pid_ = std::stoi(sh_ok("containerd --config " + dir_ + "/containerd.toml > " + dir_ + "/containerd.log 2>&1 & echo $!"));
    ASSERT_TRUE(wait_until([&] { return ctr("version").status == 0; }, 20000)) << sh("tail -20 " + dir_ + "/containerd.log").out;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    // Tasks first (their shims exit with them), then the foreground ctr processes finish
    // their DEL, then containerd itself: all by pid.
    for (const auto& id : started_) ctr("task kill -s KILL " + id);
    for (pid_t pid : foreground_)
      if (!wait_until([&] { return kill(pid, 0) != 0; }, 10000)) kill(pid, SIGKILL);
    for (const auto& id : started_) {
      ctr("task rm -f " + id);
      ctr("container rm " + id);
    }
    if (containerd_pid_ > 0) {
      kill(containerd_pid_, SIGTERM);
      if (!wait_until([&] { return kill(containerd_pid_, 0) != 0; }, 10000)) kill(containerd_pid_, SIGKILL);
    }
    node_.reset();
    // runc made the parent in every hierarchy (v1 ones too on a hybrid host).
    sh("for h in /sys/fs/cgroup/*" + cgroup_parent_ + " /sys/fs/cgroup/unified" + cgroup_parent_ + "; do rmdir $h 2>/dev/null; done");
    if (made_etc_cni_) sh("rmdir /etc/cni/net.d /etc/cni 2>/dev/null");
    sh("umount -R " + dir_ + "/ctrd 2>/dev/null; rm -rf " + dir_);
  }

  // ctr in its own mount namespace, where CNI's fixed paths are this test's directories.
  std::string ctr_command(const std::string& args) const {
    return "unshare -m sh -c 'mount --bind " + dir_ + "/net.d /etc/cni/net.d && mount --bind " + dir_ +
           "/opt /opt && exec ctr -a " + dir_ + "/ctrd.sock " + args + "'";
  }
  CmdResult ctr(const std::string& args) { return sh(ctr_command(args) + " 2>&1"); }
  std::string run_args(const std::string& id) const {
    return "run --cni --read-only --null-io --env PATH=/usr/bin:/bin --cgroup " + cgroup_parent_ + "/" + id + " --rootfs " + kRootfs +
           " " + id + " /bin/sleep 600";
  }
  // `ctr run --rm` in the foreground, as one would type it: ctr waits for the task and then
  // runs DEL itself. Left running in the background; its pid is kept.
  void run_foreground(const std::string& id) {
    started_.push_back(id);
    const std::string log = dir_ + "/ctr-" + id + ".log";
    foreground_.push_back(std::stoi(sh_ok("setsid " + ctr_command(run_args(id)) + " < /dev/null > " + log + " 2>&1 & echo $!")));
  }
  CmdResult run_detached(const std::string& id) {
    started_.push_back(id);
    return ctr(run_args(id).insert(3, " -d"));
  }
  // From "TASK PID STATUS": the namespace containerd gave CNI is its task's.
  std::string task_netns(const std::string& id) {
    std::istringstream lines(ctr("task ls").out);
    for (std::string task, pid, status; lines >> task >> pid >> status;)
      if (task == id) return "/proc/" + pid + "/ns/net";
    return "";
  }

  // Garbage collection only at start: whatever removes an endpoint is CNI DEL.
  int gc_interval_s_ = 3600;
  std::string p_, dir_, cgroup_parent_;
  bool made_etc_cni_ = false;
  pid_t containerd_pid_ = -1;
  std::vector<std::string> started_;
  std::vector<pid_t> foreground_;
  std::unique_ptr<PodNode> node_;
};

TEST_F(Containerd, TwoContainersGetTheFastPathAndCtrsDelTakesItBack) {
  const std::string a = p_ + "-a", b = p_ + "-b";
  run_foreground(a);
  run_foreground(b);
  ASSERT_TRUE(wait_until([&] { return node_->endpoints().size() == 2; }, 30000)) << node_->agent().log() << sh("cat " + dir_ + "/ctr-*.log").out;
  ASSERT_TRUE(wait_until([&] { return node_->all_have_cgroups(); }, 30000)) << node_->agent().log();
  EXPECT_EQ(node_->fwd_count(), 2u) << node_->agent().log();
  const auto enabled = node_->sockmap_cgroups();
  std::string veth_a, ip_b, ns_a;
  for (const auto& e : node_->endpoints()) {
    json ep = node_->endpoint(e[0]);
    const std::string id = ep["containerId"];
    // containerd's CNI container id is "<ctr namespace>-<id>", its netns a /proc path.
    EXPECT_TRUE(id == "default-" + a || id == "default-" + b) << id;
    EXPECT_EQ(ep["netns"].get<std::string>().rfind("/proc/", 0), 0u) << ep.dump();
    EXPECT_NE(ep.value("netnsInode", 0u), 0u) << "the agent keeps which namespace the /proc path named";
    EXPECT_EQ(ep["podName"], "") << "ctr passes no CNI_ARGS";
    EXPECT_EQ(ep["fastPath"]["fwd"], "bridge");
    EXPECT_EQ(ep["cgroup"], cgroup2_dir() + cgroup_parent_ + "/" + id.substr(8)) << ep.dump();
    EXPECT_EQ(ep["fastPath"]["sockmap"], ep["cgroup"]) << ep.dump();
    EXPECT_EQ(std::count(enabled.begin(), enabled.end(), ep["cgroup"].get<std::string>()), 1) << ep.dump();
    if (id == "default-" + a) {
      veth_a = ep["hostVeth"];
      ns_a = ep["netns"];
    } else {
      ip_b = ep["ipv4"];
    }
  }
  ASSERT_FALSE(veth_a.empty());
  ASSERT_FALSE(ip_b.empty());
  EXPECT_EQ(ns_a, task_netns(a));
  auto ping = sh("nsenter --net=" + ns_a + " ping -q -c 10 -i 0.05 -W 5 " + ip_b);
  EXPECT_NE(ping.out.find(" 0% packet loss"), std::string::npos) << ping.out;
  EXPECT_TRUE(node_->forwards_after_learning(ns_a, veth_a, ip_b)) << node_->fwd_stats(veth_a);

  // The task ends; each foreground ctr sends DEL (no netns any more) and exits.
  for (const auto& id : {a, b}) ASSERT_EQ(ctr("task kill -s KILL " + id).status, 0);
  for (pid_t pid : foreground_) EXPECT_TRUE(wait_until([&] { return kill(pid, 0) != 0; }, 30000)) << "ctr " << pid << " did not finish";
  EXPECT_TRUE(node_->endpoints().empty()) << node_->agent().log();  // GC is not running: this was ctr's DEL
  EXPECT_EQ(node_->fwd_count(), 0u);
  EXPECT_EQ(node_->sockmap_cgroups(), std::vector<std::string>{node_->base_cgroup()});
  EXPECT_EQ(node_->bridge_ports(), "0");
  EXPECT_EQ(node_->leases(), "0");
}

// Every second: a detached container's pod is only ever collected.
class ContainerdGc : public Containerd {
 protected:
  ContainerdGc() { gc_interval_s_ = 1; }
};

TEST_F(ContainerdGc, ADetachedContainerThatNeverSendsDelIsCollected) {
  const std::string id = p_ + "-d";
  auto run = run_detached(id);
  ASSERT_EQ(run.status, 0) << run.out;
  ASSERT_TRUE(wait_until([&] { return node_->endpoints().size() == 1 && node_->all_have_cgroups(); }, 30000)) << node_->agent().log();
  EXPECT_EQ(node_->fwd_count(), 1u);
  EXPECT_EQ(node_->sockmap_cgroups().size(), 2u);
  // No DEL will come: the namespace goes with the task, and the agent notices.
  ASSERT_EQ(ctr("task kill -s KILL " + id).status, 0);
  EXPECT_TRUE(wait_until([&] { return node_->endpoints().empty(); }, 30000)) << node_->agent().log();
  EXPECT_EQ(node_->fwd_count(), 0u);
  EXPECT_EQ(node_->sockmap_cgroups(), std::vector<std::string>{node_->base_cgroup()});
  EXPECT_EQ(node_->bridge_ports(), "0");
  EXPECT_NE(node_->agent().log().find("whose netns is gone"), std::string::npos) << node_->agent().log();
  // host-local's lease stays: only a DEL frees it, and ctr -d never sends one (ctr's doing).
}

}  // namespace

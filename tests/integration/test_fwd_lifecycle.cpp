// Pods coming and going, daemon restarts under traffic, and leaving nothing behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "fwd_lab.h"

using namespace netaccel::test;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}
}  // namespace

TEST(FwdLifecycle, PodDeletedAndReAdded) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  ASSERT_TRUE(has(lab.attached(), "vr3"));
  int pins_before = std::stoi(sh("ls " + lab.pin_dir() + " | wc -l").out);
  sh_ok(source_dir() + "/tests/lib/topology.sh del-pod " + lab.prefix() + " r3");
  EXPECT_TRUE(wait_until([&] { return !has(lab.attached(), "vr3"); }, 5000)) << lab.daemon_log();
  EXPECT_EQ(std::stoi(sh("ls " + lab.pin_dir() + " | wc -l").out), pins_before - 1);
  sh_ok(source_dir() + "/tests/lib/topology.sh add-routed " + lab.prefix() + " 3");
  EXPECT_TRUE(wait_until([&] { return has(lab.attached(), "vr3"); }, 5000)) << lab.daemon_log();
  EXPECT_TRUE(lab.ping("r1", "10.78.3.2"));
  EXPECT_TRUE(lab.ping("r3", "fd78:1::2"));
  EXPECT_GT(lab.counter("vr3", "forwarded"), 0u);
}

TEST(FwdLifecycle, RestartDuringTrafficLosesNothing) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab;
  ASSERT_TRUE(lab.ok());
  ASSERT_TRUE(lab.ping("r1", "10.78.2.2"));
  // 2000 pings over ~4 s while the daemon stops and starts again.
  CmdResult flow;
  std::thread pinger([&] { flow = sh(lab.in("r1", "ping -q -i 0.002 -c 2000 -W 1 10.78.2.2")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  uint64_t before = lab.counter("vr1", "forwarded");
  EXPECT_EQ(lab.stop_daemon(), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // forwarding with no daemon at all
  ASSERT_TRUE(lab.start_daemon());
  pinger.join();
  EXPECT_NE(flow.out.find(" 0% packet loss"), std::string::npos) << flow.out;
  EXPECT_NE(lab.daemon_log().find("adopted vr1"), std::string::npos) << lab.daemon_log();
  EXPECT_GT(lab.counter("vr1", "forwarded"), before + 500) << "counters survive in the pinned map";
  EXPECT_EQ(lab.tcp_stream("r1", "r2", "10.78.2.2", false), FwdLab::kStreamBytes);
}

TEST(FwdLifecycle, PurgeDetachesEverythingAndLeavesNoPins) {
  NETACCEL_REQUIRE_ROOT();
  FwdLab lab("bridges = br0\nprefixes = vr\nhook = xdp\n");
  ASSERT_TRUE(lab.ok());
  ASSERT_TRUE(lab.ping("r1", "10.78.2.2"));
  EXPECT_NE(sh(lab.in("node", "ip link show vr1")).out.find(" xdp"), std::string::npos);
  EXPECT_NE(sh(lab.in("r2", "ip link show eth0")).out.find(" xdp"), std::string::npos) << "peer stub";
  EXPECT_EQ(lab.stop_daemon(), 0);
  EXPECT_TRUE(exists(lab.pin_dir() + "/fwd_ifaces")) << "a stopped daemon keeps the data path";
  auto purge = sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " +
                  lab.pin_dir().substr(0, lab.pin_dir().size() - 4));
  EXPECT_EQ(purge.status, 0) << purge.out;
  EXPECT_FALSE(exists(lab.pin_dir()));
  EXPECT_EQ(sh(lab.in("node", "ip link show vr1")).out.find(" xdp"), std::string::npos);
  EXPECT_EQ(sh(lab.in("r2", "ip link show eth0")).out.find(" xdp"), std::string::npos);
  EXPECT_TRUE(lab.ping("r1", "10.78.2.2")) << "the kernel path works again";
}

TEST(FwdLifecycle, BadConfigFailsToStartAndAttachesNothing) {
  NETACCEL_REQUIRE_ROOT();
  auto dir = "/tmp/netaccel-badconf-" + unique_prefix("x");
  sh_ok("mkdir -p " + dir + " && printf '[fwd]\\nhook = fast\\n' > " + dir + "/fwd.conf");
  auto r = sh(binary_dir() + "/services/fwd/netaccel-fwd -c " + dir + "/fwd.conf --check-config");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find(dir + "/fwd.conf: [fwd] hook: hook must be 'tc' or 'xdp', got 'fast'"), std::string::npos) << r.out;
  sh("rm -rf " + dir);
}

// netaccel-sockmap with real sockets: byte-exact echo of random message sizes over loopback
// (IPv4, IPv6) and between two network namespaces, a peer outside the cgroup, a reader that
// stalls, redis with redis-benchmark, a daemon restart mid-transfer, and the D-Bus API.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <atomic>
#include <thread>
#include <tuple>
#include <unistd.h>

#include "service_fixture.h"

using namespace netaccel::test;

namespace {
const std::string kDest = "org.openeuler.NetAccel1.Sockmap /org/openeuler/NetAccel1/Sockmap org.openeuler.NetAccel1.Sockmap";

class SockmapLab {
 public:
  explicit SockmapLab(const std::string& extra_config = "") {
    cleanup_stale_namespaces("nas");
    prefix_ = unique_prefix("nas");
    dir_ = "/tmp/netaccel-test-" + prefix_;
    cgroup_ = "/sys/fs/cgroup/unified/netaccel-test-" + prefix_;
    pin_root_ = "/sys/fs/bpf/netaccel-test-" + prefix_;
    sh("rm -rf " + dir_ + " && mkdir -p " + dir_ + " && mkdir -p " + cgroup_);
    // Two pods joined by a veth pair.
    sh_ok("ip netns add " + ns("a") + " && ip netns add " + ns("b") + " && ip link add sm0 netns " + ns("a") +
          " type veth peer name sm1 netns " + ns("b") + " && ip -n " + ns("a") + " link set lo up && ip -n " + ns("b") +
          " link set lo up && ip -n " + ns("a") + " link set sm0 up && ip -n " + ns("b") + " link set sm1 up && ip -n " +
          ns("a") + " addr add 10.79.0.1/24 dev sm0 && ip -n " + ns("b") + " addr add 10.79.0.2/24 dev sm1 && ip -n " +
          ns("a") + " addr add fd79::1/64 dev sm0 nodad && ip -n " + ns("b") + " addr add fd79::2/64 dev sm1 nodad");
    config_ = dir_ + "/sockmap.conf";
    std::ofstream(config_) << "[sockmap]\ncgroups = " << cgroup_ << "\nlocal_prefixes = 10.79.0.0/24, fd79::/64\npin_root = "
                           << pin_root_ << "\n"
                           // The same verdicts on every machine: bulk bypass only where a test asks for it.
                           << (extra_config.find("bulk_bypass") == std::string::npos ? "bulk_bypass = off\n" : "")
                           << extra_config;
    svc_ = std::make_unique<ServiceUnderTest>("sockmap", "org.openeuler.NetAccel1.Sockmap", dir_);
    ok_ = svc_->bus_ok() && svc_->start(config_);
  }
  ~SockmapLab() {
    procs_.clear();
    sh("for p in $(cat " + cgroup_ + "/cgroup.procs 2>/dev/null); do kill -9 $p; done; sleep 0.1");
    svc_.reset();
    sh(binary_dir() + "/services/sockmap/netaccel-sockmap --purge -c /dev/null --pin-root " + pin_root_);
    sh("rmdir " + pin_root_ + " " + cgroup_ + " 2>/dev/null");
    sh("ip netns del " + ns("a") + "; ip netns del " + ns("b") + "; rm -rf " + dir_);
  }
  bool ok() const { return ok_; }
  std::string ns(const std::string& n) const { return prefix_ + "-" + n; }
  ServiceUnderTest& svc() { return *svc_; }
  const std::string& cgroup() const { return cgroup_; }
  const std::string& config() const { return config_; }

  // Starts a program (in the cgroup unless outside), optionally in pod namespace "a" or "b".
  Process& spawn(const std::string& cmd, const std::string& pod = "", bool in_cgroup = true) {
    procs_.push_back(std::make_unique<Process>());
    std::string script = (in_cgroup ? "echo $$ > " + cgroup_ + "/cgroup.procs && " : std::string()) + "exec " + cmd;
    procs_.back()->start({"/bin/sh", "-c", script}, {}, pod.empty() ? "" : "/run/netns/" + ns(pod),
                         dir_ + "/proc" + std::to_string(procs_.size()) + ".log");
    return *procs_.back();
  }
  // Runs a command to completion in the cgroup (and pod), returning its output.
  CmdResult run(const std::string& cmd, const std::string& pod = "", bool in_cgroup = true) {
    // nsenter, not `ip netns exec`: the latter remounts /sys and hides the cgroup tree.
    std::string pre = pod.empty() ? "" : "nsenter --net=/run/netns/" + ns(pod) + " ";
    std::string cg = in_cgroup ? "echo $BASHPID > " + cgroup_ + "/cgroup.procs; " : "";
    return sh(pre + "bash -c '" + cg + "exec " + cmd + "'");
  }
  uint64_t stat(const std::string& name) {
    auto r = svc_->busctl("--json=short call " + kDest + " GetStats");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded() || !j["data"][0].contains(name)) return 0;
    return j["data"][0][name].get<uint64_t>();
  }

 private:
  std::string prefix_, dir_, cgroup_, pin_root_, config_;
  std::unique_ptr<ServiceUnderTest> svc_;
  std::vector<std::unique_ptr<Process>> procs_;
  bool ok_ = false;
};

std::string helper() { return binary_dir() + "/tests/integration/sock_integrity"; }

bool listening(SockmapLab& lab, const std::string& pod, int port) {
  std::string pre = pod.empty() ? "" : "ip netns exec " + lab.ns(pod) + " ";
  return wait_until([&] { return sh(pre + "ss -ltnH").out.find(":" + std::to_string(port) + " ") != std::string::npos; }, 3000);
}

void echo_roundtrip(SockmapLab& lab, const std::string& addr, int port, const std::string& server_pod,
                    const std::string& client_pod, bool server_in_cgroup = true, int count = 300,
                    const std::string& server_opts = "") {
  lab.spawn(helper() + " server " + addr + " " + std::to_string(port) + " " + server_opts, server_pod, server_in_cgroup);
  ASSERT_TRUE(listening(lab, server_pod, port));
  auto r = lab.run(helper() + " client " + addr + " " + std::to_string(port) + " " + std::to_string(count) + " 1048576 " +
                       std::to_string(port),
                   client_pod);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ok "), std::string::npos) << r.out;
}
}  // namespace

TEST(Sockmap, LoopbackIpv4AndIpv6AreByteExactAndRedirected) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  echo_roundtrip(lab, "127.0.0.1", 9931, "", "");
  uint64_t v4 = lab.stat("msg_redirected");
  EXPECT_GT(v4, 300u);
  EXPECT_GE(lab.stat("sockets_added"), 2u);
  echo_roundtrip(lab, "::1", 9932, "", "");
  EXPECT_GT(lab.stat("msg_redirected"), v4 + 300);
  EXPECT_EQ(lab.stat("msg_fallback_no_peer"), 0u);
}

TEST(Sockmap, PodToPodAcrossNamespaces) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  echo_roundtrip(lab, "10.79.0.1", 9933, "a", "b");
  uint64_t v4 = lab.stat("msg_redirected");
  EXPECT_GT(v4, 300u);
  echo_roundtrip(lab, "fd79::1", 9934, "a", "b");
  EXPECT_GT(lab.stat("msg_redirected"), v4 + 300);
}

TEST(Sockmap, ResetMidStreamLeavesTheServerServing) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  lab.spawn(helper() + " server 127.0.0.1 9939");
  ASSERT_TRUE(listening(lab, "", 9939));
  for (int i = 0; i < 5; ++i) {
    auto r = lab.run(helper() + " client-reset 127.0.0.1 9939");
    EXPECT_EQ(r.status, 0) << r.out;
  }
  // The next connection is served byte-exact, and the aborted sockets left the map.
  auto ok = lab.run(helper() + " client 127.0.0.1 9939 100 262144 3");
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_TRUE(wait_until([&] { return lab.stat("sockets_in_map") == 0; }, 3000)) << lab.stat("sockets_in_map");
  EXPECT_GT(lab.stat("msg_redirected"), 100u);
}

TEST(Sockmap, PeerOutsideTheCgroupIsNeverRedirected) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  echo_roundtrip(lab, "127.0.0.1", 9935, "", "", /*server_in_cgroup=*/false, 100);
  EXPECT_EQ(lab.stat("msg_redirected"), 0u);
  EXPECT_GT(lab.stat("msg_fallback_no_peer"), 0u);
}

TEST(Sockmap, StalledReaderLosesNothing) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  // The server reads nothing for 1.5 s while the client pushes up to 1 MiB messages at it.
  echo_roundtrip(lab, "127.0.0.1", 9936, "", "", true, 50, "--slow-reader 1500");
  EXPECT_GT(lab.stat("msg_redirected"), 0u);
}

TEST(Sockmap, RedisWithRedisBenchmark) {
  NETACCEL_REQUIRE_ROOT();
  if (sh("command -v redis-server && command -v redis-benchmark").status != 0) GTEST_SKIP() << "redis not installed";
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  lab.spawn("redis-server --port 6399 --bind 127.0.0.1 --save '' --appendonly no");
  ASSERT_TRUE(listening(lab, "", 6399));
  auto set = lab.run("redis-cli -p 6399 set netaccel-key hello");
  EXPECT_NE(set.out.find("OK"), std::string::npos) << set.out;
  auto get = lab.run("redis-cli -p 6399 get netaccel-key");
  EXPECT_NE(get.out.find("hello"), std::string::npos) << get.out;
  auto bench = lab.run("redis-benchmark -p 6399 -n 20000 -c 10 -t set,get -d 256 -q");
  EXPECT_EQ(bench.status, 0) << bench.out;
  EXPECT_NE(bench.out.find("requests per second"), std::string::npos) << bench.out;
  EXPECT_GT(lab.stat("msg_redirected"), 20000u);
}

TEST(Sockmap, NginxWithWrk) {
  NETACCEL_REQUIRE_ROOT();
  if (sh("command -v nginx && command -v wrk").status != 0) GTEST_SKIP() << "nginx or wrk not installed";
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  const std::string dir = "/tmp/netaccel-nginx-" + unique_prefix("t");
  sh_ok("mkdir -p " + dir + "/www && head -c 100000 /dev/urandom > " + dir + "/www/blob");
  std::ofstream(dir + "/nginx.conf") << "daemon off; master_process off; worker_processes 1; pid " << dir
                                     << "/nginx.pid; error_log " << dir << "/error.log;\nevents {}\nhttp {\n access_log off;\n"
                                     << " client_body_temp_path " << dir << "/cb; proxy_temp_path " << dir << "/px;\n"
                                     << " fastcgi_temp_path " << dir << "/fc; uwsgi_temp_path " << dir << "/uw; scgi_temp_path "
                                     << dir << "/sc;\n server { listen 127.0.0.1:8089; root " << dir << "/www;\n"
                                     << "  location = /hello { return 200 \"hello netaccel\\n\"; } }\n}\n";
  lab.spawn("nginx -c " + dir + "/nginx.conf");
  ASSERT_TRUE(listening(lab, "", 8089));
  auto small = lab.run("wrk -t1 -c10 -d2s http://127.0.0.1:8089/hello");
  EXPECT_EQ(small.status, 0) << small.out;
  EXPECT_NE(small.out.find("Requests/sec"), std::string::npos) << small.out;
  EXPECT_EQ(small.out.find("Non-2xx"), std::string::npos) << small.out;
  EXPECT_EQ(small.out.find("Socket errors"), std::string::npos) << small.out;
  auto big = lab.run("wrk -t1 -c4 -d1s http://127.0.0.1:8089/blob");
  EXPECT_EQ(big.out.find("Non-2xx"), std::string::npos) << big.out;
  EXPECT_GT(lab.stat("msg_redirected"), 1000u);
  sh("rm -rf " + dir);
}

TEST(Sockmap, Iperf3BothDirections) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  lab.spawn("iperf3 -s -p 5231");
  ASSERT_TRUE(listening(lab, "", 5231));
  auto up = lab.run("iperf3 -c 127.0.0.1 -p 5231 -t 1");
  EXPECT_EQ(up.status, 0) << up.out;
  auto down = lab.run("iperf3 -c 127.0.0.1 -p 5231 -t 1 -R");
  EXPECT_EQ(down.status, 0) << down.out;
  EXPECT_NE(down.out.find("receiver"), std::string::npos) << down.out;
  EXPECT_GT(lab.stat("bytes_redirected"), 100000000u) << lab.svc().busctl("call " + kDest + " GetStats").out;
}

// Bulk bypass at its smallest threshold: a one-way 32 MiB transfer is redirected for its first
// 64 KiB, then goes back to TCP; the file arrives byte for byte, so the switch kept the order.
TEST(Sockmap, BulkSenderGoesBackToTcpInOrder) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab("bulk_bypass = on\nbulk_bypass_bytes = 65536\n");
  ASSERT_TRUE(lab.ok());
  const std::string dir = "/tmp/netaccel-test-bulk-" + std::to_string(getpid());
  sh_ok("mkdir -p " + dir + " && head -c 32M /dev/urandom > " + dir + "/in");
  for (const auto& [addr, port, pod] : {std::tuple{"10.79.0.1", 9941, "b"}, std::tuple{"::1", 9942, ""}}) {
    const std::string out = dir + "/out" + std::to_string(port);
    uint64_t bulk0 = lab.stat("sockets_to_bulk"), passed0 = lab.stat("msg_bulk_passed");
    lab.spawn("socat -u TCP6-LISTEN:" + std::to_string(port) + ",ipv6only=0,reuseaddr OPEN:" + out + ",creat,trunc",
              std::string(pod) == "b" ? "a" : "");
    ASSERT_TRUE(listening(lab, std::string(pod) == "b" ? "a" : "", port));
    std::string target = std::string(addr).find(':') != std::string::npos ? "[" + std::string(addr) + "]" : addr;
    auto r = lab.run("socat -u OPEN:" + dir + "/in TCP:" + target + ":" + std::to_string(port), pod);
    ASSERT_EQ(r.status, 0) << r.out;
    // The receiver exits after EOF; wait for the whole file rather than for a time.
    EXPECT_TRUE(wait_until([&] { return sh("cmp -s " + dir + "/in " + out).status == 0; }, 10000))
        << addr << ": " << sh("cmp " + dir + "/in " + out).out;
    EXPECT_EQ(lab.stat("sockets_to_bulk"), bulk0 + 1) << addr;
    EXPECT_GT(lab.stat("msg_bulk_passed"), passed0) << addr;
  }
  EXPECT_GT(lab.stat("msg_redirected"), 0u);
  sh("rm -rf " + dir);
}

// Request/response never counts as bulk; echoes of up to 1 MiB, where either side may switch
// while the other is redirecting to it, stay byte-exact.
TEST(Sockmap, BulkBypassKeepsConversationsRedirectedAndEchoesExact) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab("bulk_bypass = on\nbulk_bypass_bytes = 65536\n");
  ASSERT_TRUE(lab.ok());
  lab.spawn(helper() + " server 10.79.0.1 9943", "a");
  ASSERT_TRUE(listening(lab, "a", 9943));
  auto small = lab.run(helper() + " client 10.79.0.1 9943 300 4096 7", "b");
  EXPECT_EQ(small.status, 0) << small.out;
  EXPECT_EQ(lab.stat("sockets_to_bulk"), 0u) << "each 4 KiB message is answered before the next";
  EXPECT_EQ(lab.stat("msg_bulk_passed"), 0u);
  EXPECT_GE(lab.stat("msg_redirected"), 600u);
  auto big = lab.run(helper() + " client 10.79.0.1 9943 200 1048576 8", "b");
  EXPECT_EQ(big.status, 0) << big.out;
  EXPECT_NE(big.out.find("ok 200 messages"), std::string::npos) << big.out;
}

TEST(Sockmap, RestartDuringTransferKeepsConnections) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  lab.spawn(helper() + " server 127.0.0.1 9937");
  ASSERT_TRUE(listening(lab, "", 9937));
  CmdResult client;
  std::thread t([&] { client = lab.run(helper() + " client 127.0.0.1 9937 3000 65536 5"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(lab.svc().stop(), 0);
  ASSERT_TRUE(lab.svc().start(lab.config()));
  t.join();
  EXPECT_EQ(client.status, 0) << client.out;
  EXPECT_NE(lab.svc().log().find("adopted cgroup"), std::string::npos) << lab.svc().log();
  EXPECT_GT(lab.stat("msg_redirected"), 1000u) << "counters live in the pinned map";
}

TEST(Sockmap, EnablingDuringAnOpenConnectionChangesNothingForIt) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  ASSERT_EQ(lab.svc().ctl("sockmap disable " + lab.cgroup()).status, 0);
  lab.spawn(helper() + " server 127.0.0.1 9941");
  ASSERT_TRUE(listening(lab, "", 9941));
  CmdResult client;
  std::atomic<bool> done{false};
  std::thread t([&] {
    client = lab.run(helper() + " client 127.0.0.1 9941 20000 65536 11");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(lab.svc().ctl("sockmap enable " + lab.cgroup()).status, 0);
  EXPECT_FALSE(done) << "the transfer must still be running when the service is enabled";
  t.join();
  EXPECT_EQ(client.status, 0) << client.out;
  EXPECT_EQ(lab.stat("msg_redirected"), 0u) << "a connection established before stays on the normal path";
  echo_roundtrip(lab, "127.0.0.1", 9942, "", "", true, 50);  // new connections are accelerated
  EXPECT_GT(lab.stat("msg_redirected"), 0u);
}

TEST(Sockmap, DisableAndPurgeDuringTransferLoseNothing) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  lab.spawn(helper() + " server 127.0.0.1 9938");
  ASSERT_TRUE(listening(lab, "", 9938));
  CmdResult client;
  std::atomic<bool> done{false};
  std::thread t([&] {
    client = lab.run(helper() + " client 127.0.0.1 9938 40000 65536 9");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(lab.svc().ctl("sockmap disable " + lab.cgroup()).status, 0);  // open sockets stay accelerated
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  EXPECT_EQ(lab.svc().stop(), 0);
  // Uninstall while the connection is open: the sockets leave the (freed) map mid-stream.
  EXPECT_FALSE(done) << "the transfer must still be running when the data path goes away";
  auto purge = sh(lab.svc().binary() + " --purge -c " + lab.config());
  EXPECT_EQ(purge.status, 0) << purge.out;
  t.join();
  EXPECT_EQ(client.status, 0) << client.out;
}

// Sidecar mode with HAProxy from Debian as the sidecar: it listens on 127.0.0.1:15001 and
// forwards to "0.0.0.0:0", i.e. the original destination it reads with SO_ORIGINAL_DST.
TEST(Sockmap, SidecarModeWithHaproxy) {
  NETACCEL_REQUIRE_ROOT();
  if (sh("command -v haproxy").status != 0) GTEST_SKIP() << "haproxy not installed";
  SockmapLab lab("sidecar_mode = yes\nproxy_uid = 0\n");  // haproxy runs as root here
  ASSERT_TRUE(lab.ok());
  EXPECT_NE(lab.svc().busctl("get-property " + kDest + " SidecarMode").out.find("true"), std::string::npos);
  const std::string cfg = "/tmp/netaccel-haproxy-" + unique_prefix("t") + ".cfg";
  std::ofstream(cfg) << "global\n  maxconn 200\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
                        "  timeout server 30s\nlisten sidecar_outbound\n  bind 127.0.0.1:15001\n  server original 0.0.0.0:0\n";
  lab.spawn(helper() + " server 127.0.0.2 9940");
  ASSERT_TRUE(listening(lab, "", 9940));
  Process& proxy = lab.spawn("haproxy -db -f " + cfg);
  ASSERT_TRUE(listening(lab, "", 15001));
  // The application (uid nobody) connects to the server; the kernel sends it to the proxy.
  auto app = lab.run("runuser -u nobody -- " + helper() + " client 127.0.0.2 9940 200 262144 4");
  EXPECT_EQ(app.status, 0) << app.out;
  EXPECT_GE(lab.stat("sidecar_redirected"), 1u);
  EXPECT_GE(lab.stat("orig_dst_answered"), 1u) << "haproxy asked for SO_ORIGINAL_DST";
  EXPECT_GT(lab.stat("msg_redirected"), 200u) << "both legs through the proxy are accelerated";
  // Without the proxy the application's connection has nowhere to go: it really was captured.
  proxy.stop();
  auto orphan = lab.run("runuser -u nobody -- " + helper() + " client 127.0.0.2 9940 1 10 4");
  EXPECT_NE(orphan.status, 0) << orphan.out;
  EXPECT_NE(orphan.out.find("connect"), std::string::npos) << orphan.out;
  // The proxy's own uid is never redirected (root reaches the server directly).
  auto direct = lab.run(helper() + " client 127.0.0.2 9940 10 1000 4");
  EXPECT_EQ(direct.status, 0) << direct.out;
  sh("rm -f " + cfg);
}

// IPv6 sidecar mode: connect6 capture and IP6T_SO_ORIGINAL_DST, with the test's own
// transparent proxy (no Debian proxy reads the IPv6 original destination).
TEST(Sockmap, SidecarModeIpv6) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab("sidecar_mode = yes\nproxy_uid = 0\n");
  ASSERT_TRUE(lab.ok());
  lab.spawn(helper() + " server ::1 9943");
  ASSERT_TRUE(listening(lab, "", 9943));
  Process& proxy = lab.spawn(helper() + " proxy ::1 15001");
  ASSERT_TRUE(listening(lab, "", 15001));
  auto app = lab.run("runuser -u nobody -- " + helper() + " client ::1 9943 200 262144 6");
  EXPECT_EQ(app.status, 0) << app.out;
  EXPECT_GE(lab.stat("sidecar_redirected"), 1u);
  EXPECT_GE(lab.stat("orig_dst_answered"), 1u);
  proxy.stop();
  auto orphan = lab.run("runuser -u nobody -- " + helper() + " client ::1 9943 1 10 6");
  EXPECT_NE(orphan.status, 0) << "captured: with the proxy gone there is nowhere to connect";
}

// Inbound capture: pod A's application (nobody) -> A's sidecar (outbound, 127.0.0.1:15001) ->
// pod B's sidecar (inbound, 15006: B is registered as a sidecar pod) -> B's server. Both
// sidecars learn the original destination from SO_ORIGINAL_DST; B's sidecar reaching its own
// application is not captured again.
TEST(Sockmap, SidecarInboundToAPodWithItsOwnSidecar) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab("sidecar_mode = yes\nproxy_uid = 0\n");
  ASSERT_TRUE(lab.ok());
  auto bad = lab.svc().ctl("sockmap add-sidecar-pod 10.79.0.0/24 /run/netns/" + lab.ns("b"));
  EXPECT_NE(bad.out.find("(org.openeuler.NetAccel1.Error.InvalidArgument)"), std::string::npos) << bad.out;
  auto add = lab.svc().ctl("sockmap add-sidecar-pod 10.79.0.2 /run/netns/" + lab.ns("b"));
  ASSERT_EQ(add.status, 0) << add.out;
  EXPECT_NE(lab.svc().busctl("call " + kDest + " ListSidecarPods").out.find("10.79.0.2"), std::string::npos);
  lab.spawn(helper() + " server 10.79.0.2 9950", "b");
  ASSERT_TRUE(listening(lab, "b", 9950));
  lab.spawn(helper() + " proxy 127.0.0.1 15001", "a");
  lab.spawn(helper() + " proxy 10.79.0.2 15006", "b");
  ASSERT_TRUE(listening(lab, "a", 15001));
  ASSERT_TRUE(listening(lab, "b", 15006));
  auto app = lab.run("runuser -u nobody -- " + helper() + " client 10.79.0.2 9950 200 262144 8", "a");
  EXPECT_EQ(app.status, 0) << app.out;
  EXPECT_GE(lab.stat("sidecar_redirected"), 1u);
  EXPECT_GE(lab.stat("sidecar_inbound"), 1u);
  EXPECT_GE(lab.stat("orig_dst_answered"), 2u) << "both sidecars asked";
  EXPECT_EQ(lab.svc().ctl("sockmap remove-sidecar-pod 10.79.0.2").status, 0);
  EXPECT_EQ(lab.svc().busctl("call " + kDest + " ListSidecarPods").out.find("10.79.0.2"), std::string::npos);
}

TEST(Sockmap, BusApiNamedErrorsAndPermissions) {
  NETACCEL_REQUIRE_ROOT();
  SockmapLab lab;
  ASSERT_TRUE(lab.ok());
  auto list = lab.svc().busctl("call " + kDest + " ListCgroups");
  EXPECT_NE(list.out.find(lab.cgroup()), std::string::npos) << list.out;
  struct Case {
    std::string args, error;
  } cases[] = {
      {"enable relative/path", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"enable /nonexistent/cgroup", "org.openeuler.NetAccel1.Error.NotFound"},
      {"enable /tmp", "org.openeuler.NetAccel1.Error.InvalidArgument"},
      {"enable " + lab.cgroup(), "org.openeuler.NetAccel1.Error.AlreadyExists"},
      {"disable /sys/fs/cgroup/unified/not-enabled", "org.openeuler.NetAccel1.Error.NotFound"},
  };
  for (const auto& c : cases) {
    auto r = lab.svc().ctl("sockmap " + c.args);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_NE(r.out.find("(" + c.error + ")"), std::string::npos) << c.args << "\n" << r.out;
  }
  EXPECT_EQ(lab.svc().busctl("call " + kDest + " GetStats", "nobody").status, 0);
  auto denied = lab.svc().busctl("call " + kDest + " Disable s " + lab.cgroup(), "nobody");
  EXPECT_NE(denied.out.find("Access denied"), std::string::npos) << denied.out;
  EXPECT_NE(lab.svc().busctl("call " + kDest + " ListCgroups").out.find(lab.cgroup()), std::string::npos);
  auto status = lab.svc().ctl("sockmap status");
  EXPECT_NE(status.out.find(lab.cgroup()), std::string::npos) << status.out;
  EXPECT_EQ(lab.svc().ctl("sockmap disable " + lab.cgroup()).status, 0);
  EXPECT_EQ(lab.svc().busctl("call " + kDest + " ListCgroups").out.find(lab.cgroup()), std::string::npos);
}

// The netaccel CNI plugin chained after the reference bridge plugin (host-local IPAM), both
// run as a runtime runs them, in a node namespace and a pod namespace this test makes:
// the endpoint reaches netaccel-agent (on a private bus), the result passes through, the pod
// has its network, CHECK/DEL behave as the spec says, and an absent agent never fails ADD.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "service_fixture.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

const std::string& kDest = kAgentDest;
const std::string& kFwd = kFwdDest;
bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

class Cni : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "containernetworking-plugins not installed";
    cleanup_stale_namespaces("nacn");
    p_ = unique_prefix("nacn");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_ + " && ip netns add " + p_ + "-node && ip netns add " + p_ + "-pod");
    sh_ok("ip -n " + p_ + "-node link set lo up");
    std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/state\n";
    svc_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_);
    ASSERT_TRUE(svc_->bus_ok());
    bridge_conf_ = {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "bridge"}, {"bridge", "cni-" + p_.substr(p_.size() - 6)},
                    {"isGateway", true}, {"ipMasq", false},
                    {"ipam", {{"type", "host-local"}, {"ranges", json::array({json::array({{{"subnet", "10.93.0.0/24"}}})})},
                              {"dataDir", dir_ + "/ipam"}}}};
  }
  void TearDown() override {
    sleeper_.reset();
    fwd_.reset();
    sockmap_.reset();
    svc_.reset();
    if (!p_.empty()) {
      sh(binary_dir() + "/services/fwd/netaccel-fwd --purge -c /dev/null --pin-root " + pins() + "/fwd");
      sh(binary_dir() + "/services/sockmap/netaccel-sockmap --purge -c /dev/null --pin-root " + pins() + "/sockmap");
      sh("rmdir " + pins() + "/fwd " + pins() + "/sockmap " + pins() + " " + cgroup("base") + " " + cgroup("pod1") + " 2>/dev/null");
      sh("ip netns del " + p_ + "-pod 2>/dev/null; ip netns del " + p_ + "-pod2 2>/dev/null; ip netns del " + p_ + "-node 2>/dev/null");
    }
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  std::string pins() const { return "/sys/fs/bpf/netaccel-test-" + p_; }
  std::string cgroup(const std::string& n) const { return cgroup2_dir() + "/netaccel-test-" + p_ + "-" + n; }
  // netaccel-fwd and netaccel-sockmap on the agent's bus, in the node namespace, neither
  // doing anything on its own: whatever the pods get, the agent asked for.
  void start_dataplanes() {
    sh_ok("mkdir -p " + cgroup("base") + " " + pins());
    std::ofstream(dir_ + "/fwd.conf") << "[fwd]\nhook = tc\nauto_attach = no\npin_root = " << pins() << "/fwd\n";
    std::ofstream(dir_ + "/sockmap.conf") << "[sockmap]\ncgroups = " << cgroup("base") << "\nlocal_prefixes = 10.93.0.0/24\n"
                                          << "bulk_bypass = off\npin_root = " << pins() << "/sockmap\n";
    fwd_ = std::make_unique<ServiceUnderTest>("fwd", "org.openeuler.NetAccel1.Fwd", dir_ + "/fwd", *svc_);
    sockmap_ = std::make_unique<ServiceUnderTest>("sockmap", "org.openeuler.NetAccel1.Sockmap", dir_ + "/sockmap", *svc_);
    ASSERT_TRUE(fwd_->start(dir_ + "/fwd.conf", "/run/netns/" + p_ + "-node"));
    ASSERT_TRUE(sockmap_->start(dir_ + "/sockmap.conf", "/run/netns/" + p_ + "-node"));
  }
  json call(const ServiceUnderTest& s, const std::string& dest, const std::string& args) { return s.call(dest, args); }
  std::vector<std::string> fwd_interfaces() {
    std::vector<std::string> out;
    const json rows = call(*fwd_, kFwd, "ListInterfaces")[0];
    for (const auto& row : rows) {
      out.push_back(row[0].get<std::string>() + ":" + row[2].get<std::string>());
    }
    return out;
  }
  std::vector<std::string> sockmap_cgroups() {
    std::vector<std::string> out;
    const json data = call(*sockmap_, kSockmapDest, "ListCgroups");  // a named copy: [0] of a temporary dangles in a range-for
    for (const auto& c : data[0]) out.push_back(c);
    return out;
  }
  json endpoint(const std::string& id) {
    auto r = svc_->busctl("--json=short call " + kDest + " GetEndpoint s " + id);
    auto j = json::parse(r.out, nullptr, false);
    if (r.status != 0 || j.is_discarded() || !j.contains("data")) return json::object();  // not (yet) there
    return json::parse(j["data"][0].get<std::string>(), nullptr, false);
  }
  // One plugin as a runtime runs it: config on stdin, CNI_* in the environment, in the node netns.
  CmdResult plugin(const std::string& path, const std::string& command, const json& config, const std::string& container = "c1",
                   bool with_bus = true, const std::string& pod = "pod") {
    std::ofstream(dir_ + "/stdin.json") << config.dump();
    std::string env = "CNI_COMMAND=" + command + " CNI_CONTAINERID=" + container + " CNI_NETNS=/run/netns/" + p_ + "-" + pod +
                      " CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni 'CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1'";
    if (with_bus) env += " DBUS_SYSTEM_BUS_ADDRESS=" + svc_->bus_address();
    else env += " DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir_ + "/no-bus";
    return sh("ip netns exec " + p_ + "-node env " + env + " " + path + " < " + dir_ + "/stdin.json 2>" + dir_ + "/stderr");
  }
  std::string netaccel() const { return binary_dir() + "/services/cni/netaccel"; }
  json chained(const json& prev) {
    json c = {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "netaccel"}, {"prevResult", prev}};
    return c;
  }
  std::string stderr_text() {
    std::ifstream f(dir_ + "/stderr");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  std::string p_, dir_;
  json bridge_conf_;
  std::unique_ptr<ServiceUnderTest> svc_, fwd_, sockmap_;
  std::unique_ptr<Process> sleeper_;
};

TEST_F(Cni, ChainedAfterBridgeRegistersThePodAndPassesTheResult) {
  ASSERT_TRUE(svc_->start(dir_ + "/agent.conf"));
  auto bridge = plugin("/usr/lib/cni/bridge", "ADD", bridge_conf_);
  ASSERT_EQ(bridge.status, 0) << bridge.out;
  json prev = json::parse(bridge.out);
  auto add = plugin(netaccel(), "ADD", chained(prev));
  ASSERT_EQ(add.status, 0) << add.out << stderr_text();
  EXPECT_EQ(json::parse(add.out), prev) << "the result passes through unchanged";

  auto got = svc_->busctl("call " + kDest + " GetEndpoint s c1/eth0");
  ASSERT_EQ(got.status, 0) << got.out;
  // busctl prints s "<json with escaped quotes>": take the JSON between the outer quotes.
  std::string text = got.out.substr(got.out.find('"') + 1, got.out.rfind('"') - got.out.find('"') - 1);
  for (size_t i; (i = text.find("\\\"")) != std::string::npos;) text.replace(i, 2, "\"");
  json ep = json::parse(text, nullptr, false);
  ASSERT_FALSE(ep.is_discarded()) << got.out;
  EXPECT_EQ(ep["ipv4"], "10.93.0.2");
  EXPECT_EQ(ep["podNamespace"], "shop");
  EXPECT_EQ(ep["podName"], "web-1");
  EXPECT_EQ(ep["netns"], "/run/netns/" + p_ + "-pod");
  // The host side veth named is the pod's peer, on the bridge in the node namespace.
  auto master = sh("ip -n " + p_ + "-node -o link show " + ep["hostVeth"].get<std::string>());
  EXPECT_NE(master.out.find("master " + bridge_conf_["bridge"].get<std::string>()), std::string::npos) << master.out;
  // And the pod has its network: the gateway on the bridge answers.
  EXPECT_EQ(sh("ip netns exec " + p_ + "-pod ping -c1 -W5 10.93.0.1").status, 0);

  EXPECT_EQ(plugin(netaccel(), "CHECK", chained(prev)).status, 0);
  EXPECT_EQ(plugin(netaccel(), "DEL", chained(prev)).status, 0);
  EXPECT_EQ(plugin(netaccel(), "DEL", chained(prev)).status, 0) << "DEL is idempotent";
  auto check = plugin(netaccel(), "CHECK", chained(prev));
  EXPECT_NE(check.status, 0);
  auto err = json::parse(check.out, nullptr, false);
  EXPECT_EQ(err["code"], 100) << check.out;
  EXPECT_EQ(plugin("/usr/lib/cni/bridge", "DEL", bridge_conf_).status, 0);
  EXPECT_NE(svc_->busctl("get-property " + kDest + " EndpointCount").out.find("u 0"), std::string::npos);
}

// The whole ADD-to-DEL life with the data-path services running: the agent attaches fwd in
// bridge mode, finds the pod's cgroup once a process joins its netns and enables sockmap on
// it, pod-to-pod traffic takes the fast path, CHECK notices a missing attachment, a restarted
// fwd gets the pod back, and DEL takes away exactly what the agent added. The plugin reaches
// the agent through "busAddress" alone (no bus in its environment), as podman's cleanup runs.
TEST_F(Cni, TheAgentGivesPodsTheFastPathAndTakesItBack) {
  ASSERT_TRUE(svc_->start(dir_ + "/agent.conf"));
  start_dataplanes();
  if (HasFatalFailure()) return;
  sh_ok("ip netns add " + p_ + "-pod2");
  std::map<std::string, json> prev;
  for (auto [c, pod] : {std::pair{"c1", "pod"}, std::pair{"c2", "pod2"}}) {
    auto br = plugin("/usr/lib/cni/bridge", "ADD", bridge_conf_, c, false, pod);
    ASSERT_EQ(br.status, 0) << br.out;
    prev[c] = json::parse(br.out);
    json conf = chained(prev[c]);
    conf["busAddress"] = svc_->bus_address();
    auto add = plugin(netaccel(), "ADD", conf, c, false, pod);
    ASSERT_EQ(add.status, 0) << add.out << stderr_text();
    EXPECT_EQ(stderr_text(), "") << "the agent was reached through busAddress";
  }
  const std::string veth1 = endpoint("c1/eth0")["hostVeth"], veth2 = endpoint("c2/eth0")["hostVeth"];
  EXPECT_TRUE(has(fwd_interfaces(), veth1 + ":bridge")) << svc_->log();
  EXPECT_TRUE(has(fwd_interfaces(), veth2 + ":bridge"));
  EXPECT_EQ(endpoint("c1/eth0")["fastPath"]["fwd"], "bridge");

  // The container "starts": a process in the pod's netns and its own cgroup.
  sh_ok("mkdir -p " + cgroup("pod1"));
  sleeper_ = std::make_unique<Process>();
  // Like a runtime's init: placed in its cgroup, then into the netns (nsenter keeps /sys).
  sleeper_->start({"/bin/sh", "-c", "echo $$ > " + cgroup("pod1") + "/cgroup.procs && exec nsenter --net=/run/netns/" + p_ + "-pod sleep 600"},
                  {}, "", dir_ + "/sleeper.log");
  ASSERT_TRUE(wait_until([&] { return endpoint("c1/eth0").value("cgroup", "") == cgroup("pod1"); }, 20000)) << endpoint("c1/eth0").dump();
  EXPECT_TRUE(has(sockmap_cgroups(), cgroup("pod1")));
  EXPECT_EQ(endpoint("c1/eth0")["fastPath"]["sockmap"], cgroup("pod1"));

  // Pod to pod over the bridge, through fwd: no loss, and fwd's own counter moved.
  auto ping = sh("ip netns exec " + p_ + "-pod ping -q -c 10 -i 0.05 -W 5 " + endpoint("c2/eth0").value("ipv4", "?"));
  EXPECT_NE(ping.out.find(" 0% packet loss"), std::string::npos) << ping.out;
  auto stats = call(*fwd_, kFwd, "GetStats s " + veth1);
  EXPECT_GT(stats[0].value("forwarded", 0), 0) << stats.dump();

  json conf1 = chained(prev["c1"]);
  conf1["busAddress"] = svc_->bus_address();
  EXPECT_EQ(plugin(netaccel(), "CHECK", conf1, "c1", false).status, 0) << stderr_text();
  ASSERT_EQ(fwd_->busctl("call " + kFwd + " Detach s " + veth1).status, 0);
  auto check = plugin(netaccel(), "CHECK", conf1, "c1", false);
  EXPECT_EQ(json::parse(check.out, nullptr, false).value("code", 0), 101) << check.out;
  // fwd restarts (it keeps c2 from its pins); the agent gives it c1 again.
  fwd_->stop();
  ASSERT_TRUE(fwd_->start(dir_ + "/fwd.conf", "/run/netns/" + p_ + "-node"));
  ASSERT_TRUE(wait_until([&] { return has(fwd_interfaces(), veth1 + ":bridge"); }, 20000)) << svc_->log();
  EXPECT_TRUE(has(fwd_interfaces(), veth2 + ":bridge"));
  EXPECT_EQ(plugin(netaccel(), "CHECK", conf1, "c1", false).status, 0) << stderr_text();

  // DEL (runtimes call the chain in reverse: netaccel before bridge) undoes the agent's work.
  ASSERT_EQ(plugin(netaccel(), "DEL", conf1, "c1", false).status, 0);
  EXPECT_FALSE(has(fwd_interfaces(), veth1 + ":bridge"));
  EXPECT_FALSE(has(sockmap_cgroups(), cgroup("pod1")));
  EXPECT_TRUE(has(sockmap_cgroups(), cgroup("base"))) << "what the agent did not enable stays";
  EXPECT_TRUE(has(fwd_interfaces(), veth2 + ":bridge"));
  for (auto [c, pod] : {std::pair{"c1", "pod"}, std::pair{"c2", "pod2"}}) {
    json conf = chained(prev[c]);
    conf["busAddress"] = svc_->bus_address();
    if (std::string(c) == "c2") {
      EXPECT_EQ(plugin(netaccel(), "DEL", conf, c, false, pod).status, 0);
    }
    EXPECT_EQ(plugin("/usr/lib/cni/bridge", "DEL", bridge_conf_, c, false, pod).status, 0);
  }
  EXPECT_EQ(fwd_interfaces().size(), 0u);
  EXPECT_NE(svc_->busctl("get-property " + kDest + " EndpointCount").out.find("u 0"), std::string::npos);
}

TEST_F(Cni, AnAbsentAgentNeverFailsAddOrDel) {
  auto bridge = plugin("/usr/lib/cni/bridge", "ADD", bridge_conf_);
  ASSERT_EQ(bridge.status, 0) << bridge.out;
  json prev = json::parse(bridge.out);
  auto add = plugin(netaccel(), "ADD", chained(prev), "c1", false);
  EXPECT_EQ(add.status, 0) << add.out;
  EXPECT_EQ(json::parse(add.out, nullptr, false), prev);
  EXPECT_NE(stderr_text().find("keeps the kernel data path"), std::string::npos) << stderr_text();
  EXPECT_EQ(plugin(netaccel(), "DEL", chained(prev), "c1", false).status, 0);
  auto check = plugin(netaccel(), "CHECK", chained(prev), "c1", false);
  EXPECT_EQ(json::parse(check.out, nullptr, false)["code"], 11) << check.out;  // try again later
  EXPECT_EQ(plugin("/usr/lib/cni/bridge", "DEL", bridge_conf_).status, 0);
}

TEST_F(Cni, BadConfigIsACniErrorOnStdout) {
  auto r = plugin(netaccel(), "ADD", json{{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "netaccel"}});
  EXPECT_NE(r.status, 0);
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["code"], 7);
  EXPECT_NE(j["msg"].get<std::string>().find("chained plugin"), std::string::npos);
  auto v = sh("CNI_COMMAND=VERSION " + netaccel() + " < /dev/null");
  EXPECT_NE(v.out.find("\"1.0.0\""), std::string::npos) << v.out;
}

}  // namespace

// The netaccel CNI plugin chained after the reference bridge plugin (host-local IPAM), both
// run as a runtime runs them, in a node namespace and a pod namespace this test makes:
// the endpoint reaches netaccel-agent (on a private bus), the result passes through, the pod
// has its network, CHECK/DEL behave as the spec says, and an absent agent never fails ADD.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "service_fixture.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

const std::string kDest = "org.openeuler.NetAccel1.Agent /org/openeuler/NetAccel1/Agent org.openeuler.NetAccel1.Agent";

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
    svc_.reset();
    if (!p_.empty()) sh("ip netns del " + p_ + "-pod 2>/dev/null; ip netns del " + p_ + "-node 2>/dev/null");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  // One plugin as a runtime runs it: config on stdin, CNI_* in the environment, in the node netns.
  CmdResult plugin(const std::string& path, const std::string& command, const json& config, const std::string& container = "c1",
                   bool with_bus = true) {
    std::ofstream(dir_ + "/stdin.json") << config.dump();
    std::string env = "CNI_COMMAND=" + command + " CNI_CONTAINERID=" + container + " CNI_NETNS=/run/netns/" + p_ +
                      "-pod CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni 'CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1'";
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
  std::unique_ptr<ServiceUnderTest> svc_;
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

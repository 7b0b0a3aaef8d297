// The CNI plugin's logic against prevResults the reference bridge and ptp plugins wrote
// (recorded here, results 0.4.0 and 1.0.0) and against generated ones.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cni_plugin.h"

using namespace netaccel::cni;
using nlohmann::json;

namespace {

json recorded(const std::string& name) {
  std::ifstream f(std::string(NETACCEL_CNI_FIXTURES) + "/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

CniEnv add_env(const std::string& ifname, const std::string& args = "") { return {"ADD", "c0ffee", "/run/netns/pod", ifname, args}; }

Invocation invocation(const CniEnv& env, const json& config) {
  auto r = parse_invocation(env, config.dump());
  if (auto* e = std::get_if<CniError>(&r)) ADD_FAILURE() << e->msg;
  return std::get<Invocation>(r);
}

json conf(const std::string& version, const json& prev) {
  return {{"cniVersion", version}, {"name", "pods"}, {"type", "netaccel"}, {"prevResult", prev}};
}

struct Recorded {
  const char* file;
  const char* ifname;
  const char* bridge;  // the host side bridge in that result, or ""
  const char* host_veth;
  const char* ipv4;
  const char* ipv6;
};

class RecordedPrevResult : public ::testing::TestWithParam<Recorded> {};

TEST_P(RecordedPrevResult, GivesTheEndpointAndPassesTheResultThrough) {
  const auto& p = GetParam();
  json prev = recorded(p.file);
  auto inv = invocation(add_env(p.ifname, "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_UID=u-1"),
                        conf(prev["cniVersion"], prev));
  auto ep = endpoint_of(inv, [&](const std::string& n) { return n == p.bridge; });
  ASSERT_TRUE(std::holds_alternative<json>(ep)) << std::get<CniError>(ep).msg;
  const json& e = std::get<json>(ep);
  EXPECT_EQ(e["containerId"], "c0ffee");
  EXPECT_EQ(e["ifname"], p.ifname);
  EXPECT_EQ(e["netns"], "/run/netns/pod");
  EXPECT_EQ(e["hostVeth"], p.host_veth);
  EXPECT_EQ(e["ipv4"], p.ipv4);
  if (*p.ipv6) EXPECT_EQ(e["ipv6"], p.ipv6);
  else EXPECT_FALSE(e.contains("ipv6"));
  EXPECT_EQ(e["podNamespace"], "shop");
  EXPECT_EQ(e["podName"], "web-1");
  EXPECT_EQ(e["podUid"], "u-1");
  EXPECT_EQ(e["bridge"], p.bridge) << "fwd's mode follows it: bridge under a bridge, router for ptp";
  EXPECT_EQ(add_result(inv), prev);  // unchanged, in the config's version
}

const Recorded kRecorded[] = {
    {"bridge-0.4.0.json", "ethb0", "narec0", "veth16646c7e", "10.91.0.2", "fd91::2"},
    {"bridge-1.0.0.json", "ethb1", "narec0", "veth86ec241b", "10.91.0.2", "fd91::3"},
    {"ptp-0.4.0.json", "ethp0", "", "veth0b298010", "10.92.0.2", ""},
    {"ptp-1.0.0.json", "ethp1", "", "vetheacf0e6f", "10.92.0.2", ""},
};

INSTANTIATE_TEST_SUITE_P(Cni, RecordedPrevResult, ::testing::ValuesIn(kRecorded), [](const auto& i) {
  std::string n = i.param.file;
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

TEST(CniPlugin, LabelsFromArgsCni) {
  json prev = recorded("ptp-1.0.0.json");
  json c = conf("1.0.0", prev);
  c["args"] = {{"cni", {{"labels", json::array({{{"key", "app"}, {"value", "web"}}, {{"key", "tier"}, {"value", "1"}}})}}}};
  auto ep = endpoint_of(invocation(add_env("ethp1"), c), [](const std::string&) { return false; });
  ASSERT_TRUE(std::holds_alternative<json>(ep));
  EXPECT_EQ(std::get<json>(ep)["labels"], json({{"app", "web"}, {"tier", "1"}}));
}

TEST(CniPlugin, AddressesOfAnotherInterfaceAreNotTheEndpoints) {
  json prev = recorded("ptp-1.0.0.json");
  prev["interfaces"].push_back({{"name", "net1"}, {"sandbox", "/run/netns/pod"}});
  prev["ips"].insert(prev["ips"].begin(), json{{"interface", 2}, {"address", "10.200.0.9/24"}});
  auto ep = endpoint_of(invocation(add_env("ethp1"), conf("1.0.0", prev)), [](const std::string&) { return false; });
  ASSERT_TRUE(std::holds_alternative<json>(ep));
  EXPECT_EQ(std::get<json>(ep)["ipv4"], "10.92.0.2");
}

TEST(CniPlugin, VersionAndErrorReplies) {
  EXPECT_EQ(version_reply()["supportedVersions"], json({"0.3.0", "0.3.1", "0.4.0", "1.0.0"}));
  json e = error_reply("0.4.0", {CniCode::invalid_config, "prevResult: missing", "x"});
  EXPECT_EQ(e, json({{"cniVersion", "0.4.0"}, {"code", 7}, {"msg", "prevResult: missing"}, {"details", "x"}}));
  EXPECT_EQ(parse_cni_args("A=1;B=x=y;;C"), (std::map<std::string, std::string>{{"A", "1"}, {"B", "x=y"}}));
}

struct BadInput {
  const char* name;
  CniEnv env;
  std::string stdin_text;
  CniCode code;
  const char* msg;
};

class BadInvocation : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInvocation, IsACniErrorNamingThePlace) {
  const auto& p = GetParam();
  auto r = parse_invocation(p.env, p.stdin_text);
  ASSERT_TRUE(std::holds_alternative<CniError>(r)) << p.name;
  EXPECT_EQ(std::get<CniError>(r).code, p.code);
  EXPECT_EQ(std::get<CniError>(r).msg, p.msg);
}

const std::string kOk = R"({"cniVersion":"1.0.0","name":"pods","type":"netaccel","prevResult":{"interfaces":[]}})";
const BadInput kBadInputs[] = {
    {"command", {"UP", "c", "/n", "eth0", ""}, kOk, CniCode::invalid_env, "CNI_COMMAND: 'UP' is not ADD, DEL, CHECK or VERSION"},
    {"no_container", {"ADD", "", "/n", "eth0", ""}, kOk, CniCode::invalid_env, "CNI_CONTAINERID: required"},
    {"no_ifname", {"ADD", "c", "/n", "", ""}, kOk, CniCode::invalid_env, "CNI_IFNAME: required"},
    {"no_netns", {"CHECK", "c", "", "eth0", ""}, kOk, CniCode::invalid_env, "CNI_NETNS: required for CHECK"},
    {"not_json", {"ADD", "c", "/n", "eth0", ""}, "{oops", CniCode::decode_failure, "network configuration on stdin is not a JSON object"},
    {"version", {"ADD", "c", "/n", "eth0", ""}, R"({"cniVersion":"2.0.0","name":"p","type":"netaccel"})", CniCode::incompatible_version,
     "cniVersion 2.0.0 is not supported"},
    {"no_name", {"ADD", "c", "/n", "eth0", ""}, R"({"cniVersion":"1.0.0","type":"netaccel"})", CniCode::invalid_config, "name: required"},
    {"not_chained", {"ADD", "c", "/n", "eth0", ""}, R"({"cniVersion":"1.0.0","name":"p","type":"netaccel"})", CniCode::invalid_config,
     "prevResult: missing; netaccel is a chained plugin (put it after bridge or ptp in the conflist)"},
    {"bus_address", {"DEL", "c", "/n", "eth0", ""}, R"({"cniVersion":"1.0.0","name":"p","type":"netaccel","busAddress":7})",
     CniCode::invalid_config, "busAddress: must be a D-Bus address such as unix:path=/run/dbus/system_bus_socket"},
};

INSTANTIATE_TEST_SUITE_P(Cni, BadInvocation, ::testing::ValuesIn(kBadInputs), [](const auto& i) { return std::string(i.param.name); });

TEST(CniPlugin, PrevResultWithoutTheContainersInterfaceIsNamed) {
  json prev = recorded("ptp-1.0.0.json");
  auto ep = endpoint_of(invocation(add_env("eth9"), conf("1.0.0", prev)), [](const std::string&) { return false; });
  ASSERT_TRUE(std::holds_alternative<CniError>(ep));
  EXPECT_EQ(std::get<CniError>(ep).msg, "prevResult.interfaces: no interface eth9 in the container (the plugin before did not create it)");
  prev["ips"][0]["address"] = "10.92.0.300/24";
  auto bad = endpoint_of(invocation(add_env("ethp1"), conf("1.0.0", prev)), [](const std::string&) { return false; });
  ASSERT_TRUE(std::holds_alternative<CniError>(bad));
  EXPECT_EQ(std::get<CniError>(bad).msg, "prevResult.ips[0].address: '10.92.0.300/24' is not an IPv4 or IPv6 prefix");
}

}  // namespace

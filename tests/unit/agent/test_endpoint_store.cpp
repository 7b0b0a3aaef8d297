// The agent's endpoint store: CNI's JSON in, errors naming the field, the state file read
// back, and garbage collection against the netns that exist.
#include <gtest/gtest.h>

#include "endpoint_store.h"

using namespace netaccel::agent;
using nlohmann::json;

namespace {

json pod(const std::string& id, const std::string& netns) {
  return {{"containerId", id}, {"ifname", "eth0"},      {"netns", netns},      {"hostVeth", "veth1a2b"},
          {"ipv4", "10.88.0.5"}, {"ipv6", "fd88::5"},  {"podNamespace", "shop"}, {"podName", "web-1"},
          {"labels", {{"app", "web"}}}};
}

TEST(EndpointStore, PutIsIdempotentAndRemoveTwiceIsNotAnError) {
  EndpointStore s;
  auto e = endpoint_from_json(pod("c1", "/run/netns/a"), "ADD");
  ASSERT_TRUE(e) << e.error().what();
  EXPECT_EQ(s.put(*e), EndpointChange::added);
  EXPECT_EQ(s.put(*e), EndpointChange::unchanged);
  e->labels["tier"] = "front";
  EXPECT_EQ(s.put(*e), EndpointChange::changed);
  ASSERT_TRUE(s.get("c1/eth0"));
  EXPECT_EQ(s.get("c1/eth0")->labels.at("tier"), "front");
  EXPECT_TRUE(s.remove("c1", "eth0"));
  EXPECT_FALSE(s.remove("c1", "eth0"));
}

TEST(EndpointStore, StateFileReadsBack) {
  EndpointStore s;
  s.put(*endpoint_from_json(pod("c1", "/run/netns/a"), "x"));
  s.put(*endpoint_from_json(pod("c2", "/run/netns/b"), "x"));
  auto t = EndpointStore::load(s.dump(), "state.json");
  ASSERT_TRUE(t) << t.error().what();
  EXPECT_EQ(t->list(), s.list());
  EXPECT_TRUE(EndpointStore::load("", "state.json"));  // no file yet: empty store
  auto bad = EndpointStore::load("{\"endpoints\": 3}", "state.json");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("state.json"), std::string::npos);
}

TEST(EndpointStore, GarbageIsWhatHasNoNetnsLeft) {
  EndpointStore s;
  s.put(*endpoint_from_json(pod("c1", "/run/netns/a"), "x"));
  s.put(*endpoint_from_json(pod("c2", "/run/netns/gone"), "x"));
  auto gone = s.collect_garbage([](const Endpoint& e) { return e.netns != "/run/netns/gone"; });
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].container_id, "c2");
  EXPECT_EQ(s.list().size(), 1u);
}

struct BadEndpoint {
  const char* name;
  json patch;
  const char* message;
};

class BadEndpointJson : public ::testing::TestWithParam<BadEndpoint> {};

TEST_P(BadEndpointJson, NamesTheField) {
  json j = pod("c1", "/run/netns/a");
  j.merge_patch(GetParam().patch);
  auto e = endpoint_from_json(j, "ADD c1");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, GetParam().message);
}

const BadEndpoint kBadEndpoints[] = {
    {"no_container", {{"containerId", nullptr}}, "ADD c1: containerId: required"},
    {"empty_container", {{"containerId", ""}}, "ADD c1: containerId: must not be empty"},
    {"long_ifname", {{"ifname", "an-interface-name"}}, "ADD c1: ifname: 'an-interface-name' is not an interface name"},
    {"relative_netns", {{"netns", "netns/a"}}, "ADD c1: netns: must be an absolute path"},
    {"ipv4_is_v6", {{"ipv4", "fd00::1"}}, "ADD c1: ipv4: 'fd00::1' is not an IPv4 address"},
    {"ipv6_bad", {{"ipv6", "10.0.0.1"}}, "ADD c1: ipv6: '10.0.0.1' is not an IPv6 address"},
    {"label_number", {{"labels", {{"v", 2}}}}, "ADD c1: labels.v: must be a string"},
    {"label_key", {{"labels", {{"a b", "c"}}}}, "ADD c1: labels: 'a b' is not a label key"},
    {"netns_number", {{"netns", 5}}, "ADD c1: netns: must be a string"},
    {"long_bridge", {{"bridge", "a-bridge-name-too-long"}}, "ADD c1: bridge: 'a-bridge-name-too-long' is not an interface name"},
    {"relative_cgroup", {{"cgroup", "kubepods/pod1"}}, "ADD c1: cgroup: must be an absolute path"},
    {"fastpath_list", {{"fastPath", json::array()}}, "ADD c1: fastPath: must be an object"},
    {"fastpath_mode", {{"fastPath", {{"fwd", "tunnel"}}}}, "ADD c1: fastPath.fwd: 'tunnel' is not router or bridge"},
    {"fastpath_owned", {{"fastPath", {{"fwdOwned", "yes"}}}}, "ADD c1: fastPath.fwdOwned: must be true or false"},
    {"gazelle_v6", {{"gazelle", {{"address", "fd00::5"}}}}, "ADD c1: gazelle.address: 'fd00::5' is not an IPv4 address"},
    {"gazelle_conf", {{"gazelle", {{"address", "10.1.0.200"}, {"conf", "lstack.conf"}}}}, "ADD c1: gazelle.conf: must be an absolute path"},
    {"netns_inode", {{"netnsInode", -1}}, "ADD c1: netnsInode: must be a non-negative integer"},
};

INSTANTIATE_TEST_SUITE_P(Agent, BadEndpointJson, ::testing::ValuesIn(kBadEndpoints), [](const auto& i) { return std::string(i.param.name); });

}  // namespace

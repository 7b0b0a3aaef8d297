// The user-mode CNI's logic: the "gazelle" config, the address the IPAM plugin returns checked
// against the pod's gateway, the lstack.conf written for the pod (read back by libgazelle's
// own config reader in the integration test) and its host_addr read back at DEL.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gazelle_cni.h"

using namespace netaccel::cni;
using nlohmann::json;

namespace {

json recorded_bridge() {
  std::ifstream f(std::string(NETACCEL_CNI_FIXTURES) + "/bridge-1.0.0.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

const json kIpam = {{"type", "host-local"},
                    {"ranges", json::array({json::array({{{"subnet", "10.91.0.0/24"}, {"rangeStart", "10.91.0.200"}, {"rangeEnd", "10.91.0.250"}}})})}};

Invocation with_gazelle(const json& gazelle) {
  json c = {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "netaccel"}, {"prevResult", recorded_bridge()}};
  if (!gazelle.is_null()) c["gazelle"] = gazelle;
  auto r = parse_invocation({"ADD", "c0ffee", "/run/netns/pod", "ethb1", ""}, c.dump());
  EXPECT_TRUE(std::holds_alternative<Invocation>(r));
  return std::get<Invocation>(r);
}

TEST(GazelleCni, AbsentMeansOffAndDefaultsFillIn) {
  auto off = gazelle_config(with_gazelle(nullptr));
  ASSERT_TRUE(std::holds_alternative<std::optional<GazelleConfig>>(off));
  EXPECT_FALSE(std::get<std::optional<GazelleConfig>>(off).has_value());
  auto on = gazelle_config(with_gazelle({{"ipam", kIpam}, {"lstack", {{"num_cpus", 1}, {"stats_dir", "/run/gazelle"}}}}));
  ASSERT_TRUE(std::holds_alternative<std::optional<GazelleConfig>>(on));
  const auto& g = *std::get<std::optional<GazelleConfig>>(on);
  EXPECT_EQ(g.conf_dir, "/run/netaccel/gazelle");
  EXPECT_EQ(g.lstack.at("num_cpus"), "1");
  const auto inv = with_gazelle({{"ipam", kIpam}});
  // The network's name goes with it: host-local keeps both ranges' leases in one directory.
  EXPECT_EQ(ipam_request(inv, g), (json{{"cniVersion", "1.0.0"}, {"name", "pods"}, {"ipam", kIpam}}));
  EXPECT_NE(ipam_ifname("eth0"), "eth0");
}

struct BadConfig {
  const char* name;
  json gazelle;
  const char* field;
};

class GazelleBadConfig : public ::testing::TestWithParam<BadConfig> {};

TEST_P(GazelleBadConfig, NamesTheField) {
  auto r = gazelle_config(with_gazelle(GetParam().gazelle));
  ASSERT_TRUE(std::holds_alternative<CniError>(r)) << GetParam().name;
  const auto& e = std::get<CniError>(r);
  EXPECT_EQ(e.code, CniCode::invalid_config);
  EXPECT_NE(e.msg.find(GetParam().field), std::string::npos) << e.msg;
}

INSTANTIATE_TEST_SUITE_P(Gazelle, GazelleBadConfig,
                         ::testing::Values(BadConfig{"not_object", json::array(), "gazelle:"}, BadConfig{"no_ipam", json::object(), "gazelle.ipam"},
                                           BadConfig{"ipam_no_type", {{"ipam", {{"ranges", 1}}}}, "gazelle.ipam"},
                                           BadConfig{"type_path", {{"ipam", {{"type", "../bin/sh"}}}}, "gazelle.ipam.type"},
                                           BadConfig{"relative_dir", {{"ipam", kIpam}, {"confDir", "run/x"}}, "gazelle.confDir"},
                                           BadConfig{"reserved_key", {{"ipam", kIpam}, {"lstack", {{"host_addr", "1.2.3.4"}}}}, "gazelle.lstack.host_addr"},
                                           BadConfig{"bad_key", {{"ipam", kIpam}, {"lstack", {{"Num-Cpus", 1}}}}, "gazelle.lstack"},
                                           BadConfig{"newline", {{"ipam", kIpam}, {"lstack", {{"stats_dir", "a\nhost_addr = 1.1.1.1"}}}}, "gazelle.lstack.stats_dir"},
                                           BadConfig{"list_value", {{"ipam", kIpam}, {"lstack", {{"num_cpus", json::array()}}}}, "gazelle.lstack.num_cpus"}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(GazelleCni, AddressFromIpamWithTheGatewayOnLink) {
  const auto inv = with_gazelle({{"ipam", kIpam}});
  // host-local's answer, as it prints it.
  json ipam = {{"cniVersion", "1.0.0"}, {"ips", json::array({{{"address", "10.91.0.200/24"}, {"gateway", "10.91.0.1"}}})}};
  auto a = gazelle_address(ipam, inv);
  ASSERT_TRUE(std::holds_alternative<GazelleAddress>(a));
  EXPECT_EQ(std::get<GazelleAddress>(a).address, "10.91.0.200");
  EXPECT_EQ(std::get<GazelleAddress>(a).mask, "255.255.255.0");
  EXPECT_EQ(std::get<GazelleAddress>(a).gateway, "10.91.0.1");
  // No gateway from IPAM: the pod's own (prevResult) is taken.
  ipam["ips"][0].erase("gateway");
  EXPECT_EQ(std::get<GazelleAddress>(gazelle_address(ipam, inv)).gateway, "10.91.0.1");
}

TEST(GazelleCni, ARangeOutsideThePodSubnetOrNoIpv4IsRefused) {
  const auto inv = with_gazelle({{"ipam", kIpam}});
  auto off_link = gazelle_address({{"ips", json::array({{{"address", "10.92.0.5/24"}}})}}, inv);
  ASSERT_TRUE(std::holds_alternative<CniError>(off_link));
  EXPECT_NE(std::get<CniError>(off_link).msg.find("gazelle.ipam: address 10.92.0.5/24 is not in the subnet of the pod's gateway 10.91.0.1"),
            std::string::npos)
      << std::get<CniError>(off_link).msg;
  auto v6 = gazelle_address({{"ips", json::array({{{"address", "fd91::9/64"}}})}}, inv);
  ASSERT_TRUE(std::holds_alternative<CniError>(v6));
  EXPECT_NE(std::get<CniError>(v6).msg.find("IPv4"), std::string::npos);
  EXPECT_TRUE(std::holds_alternative<CniError>(gazelle_address(json("garbage"), inv)));
}

TEST(GazelleCni, LstackConfRoundTripsHostAddr) {
  GazelleConfig g{kIpam, "/run/netaccel/gazelle", {{"num_cpus", "1"}}};
  const std::string text = lstack_conf({"10.91.0.200", "255.255.255.0", "10.91.0.1"}, "eth0", g);
  EXPECT_NE(text.find("host_addr = 10.91.0.200\nmask_addr = 255.255.255.0\ngateway_addr = 10.91.0.1\nxdp_eth_name = eth0\nnum_cpus = 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(lstack_host_addr(text), "10.91.0.200");
  EXPECT_EQ(lstack_host_addr("mask_addr = 255.0.0.0\n"), std::nullopt);
  EXPECT_EQ(lstack_host_addr("host_addr = not-an-ip\n"), std::nullopt);
}

}  // namespace

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>

#include "policy_compiler.h"
#include "policy_tables.h"

using namespace netaccel;
using namespace netaccel::policy;

namespace {

// A port matches a trie key when the key's fixed port bits are the port's (identity,
// direction and protocol being equal), as the kernel's longest-prefix match reads it.
bool key_matches_port(const pol_rule_key& k, uint16_t port) {
  if (k.prefixlen <= POL_RULE_BITS_ANY_PORT) return true;
  int bits = static_cast<int>(k.prefixlen) - POL_RULE_BITS_ANY_PORT;
  uint16_t mask = static_cast<uint16_t>(0xffff << (16 - bits));
  return (port & mask) == (ntohs(k.port) & mask);
}

TEST(PolicyTables, PortRangesBecomeExactlyTheirPrefixes) {
  std::mt19937 rng(7);
  std::vector<std::pair<uint16_t, uint16_t>> ranges{{80, 80}, {80, 81}, {1, 65535}, {1000, 2000}, {65535, 65535}, {32768, 65535}, {1, 1}};
  for (int i = 0; i < 200; ++i) {
    uint16_t a = static_cast<uint16_t>(1 + rng() % 65535), b = static_cast<uint16_t>(1 + rng() % 65535);
    ranges.push_back({std::min(a, b), std::max(a, b)});
  }
  for (const auto& [lo, hi] : ranges) {
    auto keys = rule_keys({Direction::ingress, 300, kProtoTcp, lo, hi});
    EXPECT_LE(keys.size(), 32u) << lo << "-" << hi;  // at most two blocks per bit
    for (uint32_t port = 0; port <= 65535; port += (hi - lo < 4096 ? 1 : 7)) {
      bool in = false;
      for (const auto& k : keys) in |= key_matches_port(k, static_cast<uint16_t>(port));
      ASSERT_EQ(in, port >= lo && port <= hi) << lo << "-" << hi << " port " << port;
    }
    for (const auto& k : keys) {
      EXPECT_EQ(ntohl(k.identity), 300u);
      EXPECT_EQ(k.proto, kProtoTcp);
      EXPECT_EQ(k.dir, POL_DIR_INGRESS);
    }
  }
}

TEST(PolicyTables, WholeProtocolsAndEveryProtocolAreOneKey) {
  auto every_port = rule_keys({Direction::egress, 256, kProtoUdp, 0, 65535});
  ASSERT_EQ(every_port.size(), 1u);
  EXPECT_EQ(every_port[0].prefixlen, static_cast<__u32>(POL_RULE_BITS_ANY_PORT));
  auto everything = rule_keys({Direction::egress, 256, 0, 0, 0});
  ASSERT_EQ(everything.size(), 1u);
  EXPECT_EQ(everything[0].prefixlen, static_cast<__u32>(POL_RULE_BITS_ANY_PROTO));
  EXPECT_EQ(everything[0].dir, POL_DIR_EGRESS);
  EXPECT_EQ(isolation_key(Direction::egress).identity, htonl(POL_ID_ISOLATED));
}

TEST(PolicyTables, AddressesAreMappedAndBack) {
  for (const char* text : {"10.1.2.3", "10.0.0.0/8", "0.0.0.0/0", "fd00::1", "fd00::/64"}) {
    auto p = parse_prefix(text);
    ASSERT_TRUE(p);
    EXPECT_EQ(prefix_of(addr_key(*p)), *p) << text;
  }
  pol_addr_key k = addr_key(*parse_prefix("10.1.2.3"));
  EXPECT_EQ(k.prefixlen, 128u);
  EXPECT_EQ(k.addr[10], 0xff);
  EXPECT_EQ(k.addr[12], 10);
}

TEST(PolicyTables, LocalPodsGetSlotsAndOnlySelectedPodsGetMaps) {
  ClusterView v;
  v.namespaces["x"] = {"x", {{"kubernetes.io/metadata.name", "x"}}};
  v.pods.push_back({"x", "db", {{"app", "db"}}, {*parse_prefix("10.0.0.1"), *parse_prefix("fd00::1")}, {}});
  v.pods.push_back({"x", "web", {{"app", "web"}}, {*parse_prefix("10.0.0.2")}, {}});
  v.pods.push_back({"x", "remote", {{"app", "web"}}, {*parse_prefix("10.9.0.2")}, {}});
  auto p = parse_network_policy(YAML::Load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
                                           "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}"));
  ASSERT_TRUE(p);
  v.policies.push_back(*p);
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto c = compile(v, ids, cidrs);
  ASSERT_TRUE(c);
  PolicyTables t = lower(*c, {{"x/db", {11, 1}}, {"x/web", {12, 2}}});
  ASSERT_EQ(t.endpoints.size(), 2u);
  EXPECT_EQ(t.endpoints.at(11).endpoint, 1u);
  EXPECT_EQ(t.endpoints.at(11).identity, c->pod_identity.at("x/db"));
  EXPECT_EQ(t.ipcache.at(addr_key(*parse_prefix("fd00::1"))).endpoint, 1u);
  EXPECT_EQ(t.ipcache.at(addr_key(*parse_prefix("10.0.0.2"))).endpoint, 2u);
  EXPECT_EQ(t.ipcache.at(addr_key(*parse_prefix("10.9.0.2"))).endpoint, 0u);  // another node's
  EXPECT_EQ(t.ipcache.at(addr_key(*parse_prefix("10.9.0.2"))).identity, c->pod_identity.at("x/web"));
  ASSERT_EQ(t.rules.size(), 1u);  // web is selected by nothing: no map, no lookups
  // The ingress marker and one entry for web's identity, all protocols.
  EXPECT_EQ(t.rules.at(1).size(), 2u);
  EXPECT_TRUE(t.rules.at(1).count(isolation_key(Direction::ingress)));
  EXPECT_FALSE(t.rules.at(1).count(isolation_key(Direction::egress)));
}

}  // namespace

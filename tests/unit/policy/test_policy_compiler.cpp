#include <gtest/gtest.h>

#include <sys/socket.h>

#include "etcd_identity.h"
#include "policy_compiler.h"
#include "policy_world.h"

using namespace netaccel;
using namespace netaccel::policy;
using netaccel::test::PolicyWorld;

namespace {

const std::vector<std::pair<std::string, uint8_t>> kProtocols{{"TCP", kProtoTcp}, {"UDP", kProtoUdp}, {"SCTP", kProtoSctp}, {"ICMP", 1}};

const PodInfo* pod_with(const ClusterView& v, const Prefix& ip) {
  for (const auto& p : v.pods)
    for (const auto& a : p.ips)
      if (a == ip) return &p;
  return nullptr;
}

// The data path's verdict for a new connection: the source pod's egress, then the
// destination pod's ingress (addresses that are no pod's have no policy of their own).
bool compiled_allows(const ClusterView& v, const CompiledPolicy& c, const std::string& src, const std::string& dst, uint8_t proto, int port) {
  Prefix s = *parse_prefix(src), d = *parse_prefix(dst);
  std::optional<uint16_t> p;
  if (proto != 1) p = static_cast<uint16_t>(port);
  const PodInfo* sp = pod_with(v, s);
  const PodInfo* dp = pod_with(v, d);
  if (sp && !c.allows(sp->key(), Direction::egress, d, proto, p)) return false;
  return !dp || c.allows(dp->key(), Direction::ingress, s, proto, p);
}

// Every address pair of the world (pods and outside addresses, same family), every protocol,
// ports 80-82; returns how many probes were compared and fails on the first difference.
size_t compare_matrix(const PolicyWorld& w, const ClusterView& v, const CompiledPolicy& c) {
  std::vector<std::string> addrs = w.outside_ips;
  for (const auto& p : w.cluster.pods) addrs.insert(addrs.end(), p.ips.begin(), p.ips.end());
  size_t n = 0;
  for (const auto& src : addrs)
    for (const auto& dst : addrs) {
      if (src == dst || (src.find(':') == std::string::npos) != (dst.find(':') == std::string::npos)) continue;
      for (const auto& [pname, proto] : kProtocols)
        for (int port : {80, 81, 82}) {
          bool want = netaccel::test::oracle_allows(w.cluster, src, dst, pname, port);
          bool got = compiled_allows(v, c, src, dst, proto, port);
          ++n;
          if (want != got) {
            std::string docs;
            for (const auto& d : w.policy_yaml) docs += "---\n" + d;
            ADD_FAILURE() << src << " -> " << dst << " " << pname << "/" << port << ": oracle " << (want ? "allows" : "denies")
                          << ", compiled " << (got ? "allows" : "denies") << "\n" << docs;
            return n;
          }
          if (proto == 1) break;
        }
    }
  return n;
}

TEST(PolicyCompiler, AgreesWithTheOracleOnRandomPolicies) {
  size_t probes = 0, allowed_worlds = 0;
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed);
    PolicyWorld w = netaccel::test::make_world(rng, seed % 4 == 0);
    netaccel::test::add_random_policies(w, rng, 1 + seed % 4);
    ClusterView v = netaccel::test::view_of(w);
    LocalIdentityAllocator ids;
    CidrIdentities cidrs;
    auto c = compile(v, ids, cidrs);
    ASSERT_TRUE(c) << c.error().what();
    size_t before = ::testing::Test::HasFailure();
    probes += compare_matrix(w, v, *c);
    if (::testing::Test::HasFailure() && !before) {
      ADD_FAILURE() << "seed " << seed;
      return;
    }
    allowed_worlds += !c->endpoints.empty();
  }
  EXPECT_GT(probes, 400u * 1000u);
}

ClusterView world_with(int frontends, const std::string& policy) {
  ClusterView v;
  v.namespaces["prod"] = {"prod", {{"kubernetes.io/metadata.name", "prod"}}};
  v.pods.push_back({"prod", "db", {{"role", "db"}}, {*parse_prefix("10.0.0.1")}, {}});
  for (int i = 0; i < frontends; ++i)
    v.pods.push_back({"prod", "fe" + std::to_string(i), {{"role", "frontend"}}, {*parse_prefix("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1))}, {}});
  auto p = parse_network_policy(YAML::Load(policy));
  EXPECT_TRUE(p) << p.error().what();
  if (p) v.policies.push_back(*p);
  return v;
}

const char* kAllowFrontend =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: prod}\n"
    "spec: {podSelector: {matchLabels: {role: db}}, ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}], ports: [{port: 5432}, {port: 5433}]}]}";

TEST(PolicyCompiler, AllowFrontendIsTwoEntriesHoweverManyFrontendsExist) {
  for (int n : {1, 10, 1000}) {
    ClusterView v = world_with(n, kAllowFrontend);
    LocalIdentityAllocator ids;
    CidrIdentities cidrs;
    auto c = compile(v, ids, cidrs);
    ASSERT_TRUE(c) << c.error().what();
    const EndpointPolicy& db = c->endpoints.at("prod/db");
    EXPECT_TRUE(db.isolated[0]);
    EXPECT_FALSE(db.isolated[1]);
    EXPECT_EQ(db.entries.size(), 2u) << n << " frontends";
    EXPECT_EQ(c->ipcache.size(), static_cast<size_t>(n + 1));
    EXPECT_EQ(ids.size(), 2u);
    EXPECT_EQ(db.isolated_by[0], std::vector<std::string>{"prod/db"});
  }
}

TEST(PolicyCompiler, IdentitiesStayWhileTheirLabelsAreInUse) {
  ClusterView v = world_with(3, kAllowFrontend);
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto first = compile(v, ids, cidrs);
  ASSERT_TRUE(first);
  uint32_t fe = first->pod_identity.at("prod/fe0");
  v.pods.erase(v.pods.begin() + 1);  // fe0 goes; fe1 and fe2 keep the identity
  v.pods.push_back({"prod", "cache", {{"role", "cache"}}, {*parse_prefix("10.0.2.1")}, {}});
  auto second = compile(v, ids, cidrs);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->pod_identity.at("prod/fe1"), fe);
  EXPECT_EQ(second->pod_identity.at("prod/db"), first->pod_identity.at("prod/db"));
  EXPECT_EQ(second->endpoints.at("prod/db"), first->endpoints.at("prod/db"));  // pod churn leaves the policy map alone
  EXPECT_NE(second->pod_identity.at("prod/cache"), fe);
}

TEST(PolicyCompiler, NamedPortsResolvePerDestinationIdentity) {
  ClusterView v;
  v.namespaces["x"] = {"x", {{"kubernetes.io/metadata.name", "x"}}};
  // Same labels, different "http" ports: two identities, each with its own port.
  v.pods.push_back({"x", "client", {{"app", "client"}}, {*parse_prefix("10.0.0.1")}, {}});
  v.pods.push_back({"x", "s1", {{"app", "server"}}, {*parse_prefix("10.0.0.2")}, {{"http", kProtoTcp, 8080}}});
  v.pods.push_back({"x", "s2", {{"app", "server"}}, {*parse_prefix("10.0.0.3")}, {{"http", kProtoTcp, 9090}}});
  auto p = parse_network_policy(YAML::Load(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: x}\n"
      "spec: {podSelector: {matchLabels: {app: client}}, egress: [{to: [{podSelector: {matchLabels: {app: server}}}], ports: [{port: http}]}]}"));
  ASSERT_TRUE(p);
  v.policies.push_back(*p);
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto c = compile(v, ids, cidrs);
  ASSERT_TRUE(c);
  EXPECT_NE(c->pod_identity.at("x/s1"), c->pod_identity.at("x/s2"));
  auto allows = [&](const char* dst, uint16_t port) { return c->allows("x/client", Direction::egress, *parse_prefix(dst), kProtoTcp, port); };
  EXPECT_TRUE(allows("10.0.0.2", 8080));
  EXPECT_FALSE(allows("10.0.0.2", 9090));
  EXPECT_TRUE(allows("10.0.0.3", 9090));
  EXPECT_FALSE(allows("10.0.0.3", 8080));
  EXPECT_FALSE(allows("192.168.0.1", 8080));
}

TEST(PolicyCompiler, IpBlocksPartitionTheAddressSpace) {
  ClusterView v = world_with(1,
                             "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: prod}\n"
                             "spec: {podSelector: {matchLabels: {role: db}}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.1.0/24]}}, "
                             "{ipBlock: {cidr: 10.0.0.0/16}}]}]}");
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  auto c = compile(v, ids, cidrs);
  ASSERT_TRUE(c);
  // 10/8, 10.0/16 and 10.0.1/24: three ranges; 10.0.1/24 is only in the second block.
  EXPECT_EQ(c->cidrs.size(), 3u);
  auto in = [&](const char* src) { return c->allows("prod/db", Direction::ingress, *parse_prefix(src), kProtoTcp, 1); };
  EXPECT_TRUE(in("10.9.0.1"));
  EXPECT_TRUE(in("10.0.1.1"));  // excepted by one block, held by the other
  EXPECT_TRUE(in("10.0.2.1"));
  EXPECT_FALSE(in("11.0.0.1"));
  EXPECT_FALSE(in("fd00::1"));
}

TEST(PolicyCompiler, AMapOverItsLimitFailsNamingThePod) {
  ClusterView v = world_with(3, kAllowFrontend);
  v.pods.push_back({"prod", "fe-other", {{"role", "frontend"}, {"v", "2"}}, {*parse_prefix("10.0.3.1")}, {}});
  LocalIdentityAllocator ids;
  CidrIdentities cidrs;
  CompileLimits limits;
  limits.entries_per_endpoint = 3;  // two identities x two ports
  auto c = compile(v, ids, cidrs, limits);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "pod prod/db needs 4 policy entries, its policy map holds 3");
}

// An allocator that cannot answer (the cluster's etcd unreachable) fails the compile, naming
// the pod; nothing is numbered by guess.
struct UnreachableAllocator : IdentityAllocator {
  Result<uint32_t> acquire(const IdentityLabels&) override { return make_error(Errc::not_found, "etcd: no member answers"); }
  void retain(const std::set<uint32_t>&) override {}
  const IdentityLabels* find(uint32_t) const override { return nullptr; }
  std::optional<uint32_t> lookup(const IdentityLabels&) const override { return std::nullopt; }
};

TEST(PolicyCompiler, AnAllocatorThatCannotAnswerFailsTheCompile) {
  ClusterView v = world_with(1, kAllowFrontend);
  UnreachableAllocator ids;
  CidrIdentities cidrs;
  auto c = compile(v, ids, cidrs);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("the identity of pod prod/"), std::string::npos) << c.error().message;
  EXPECT_NE(c.error().message.find("etcd: no member answers"), std::string::npos) << c.error().message;
}

// The label set as etcd's keys spell it: one text per set whatever the order it was built
// in, and back to the same set.
TEST(ClusterIdentityKeys, OneTextPerLabelSetAndBack) {
  IdentityLabels a{"x", {{"team", "a"}, {"kubernetes.io/metadata.name", "x"}}, {{"b", "2"}, {"a", "1"}}, {{"http", kProtoTcp, 80}, {"dns", kProtoUdp, 53}}};
  IdentityLabels b{"x", {{"kubernetes.io/metadata.name", "x"}, {"team", "a"}}, {{"a", "1"}, {"b", "2"}}, {{"http", kProtoTcp, 80}, {"dns", kProtoUdp, 53}}};
  EXPECT_EQ(identity_key_text(a), identity_key_text(b));
  auto back = parse_identity_key_text(identity_key_text(a));
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(*back, a);
  IdentityLabels c = a;
  c.pod_labels["b"] = "3";
  EXPECT_NE(identity_key_text(a), identity_key_text(c));
  auto bad = parse_identity_key_text(R"({"ns":"x","labels":{}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("identity label set"), std::string::npos) << bad.error().message;
}

}  // namespace

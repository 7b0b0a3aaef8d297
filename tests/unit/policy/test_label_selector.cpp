#include <gtest/gtest.h>

#include "label_selector.h"
#include "network_policy.h"

using namespace netaccel;
using namespace netaccel::policy;

namespace {

LabelSelector sel(const std::string& yaml) {
  auto s = parse_selector(YAML::Load(yaml), "sel");
  EXPECT_TRUE(s) << s.error().what();
  return s ? *s : LabelSelector{};
}

struct SelectorCase {
  const char* selector;
  Labels labels;
  bool matches;
};

TEST(LabelSelector, EveryOperatorAsKubernetesDefinesIt) {
  const std::vector<SelectorCase> cases{
      {"{}", {}, true},
      {"{}", {{"a", "1"}}, true},
      {"{matchLabels: {app: web}}", {{"app", "web"}}, true},
      {"{matchLabels: {app: web}}", {{"app", "db"}}, false},
      {"{matchLabels: {app: web}}", {}, false},
      {"{matchLabels: {app: web, tier: front}}", {{"app", "web"}}, false},
      {"{matchLabels: {app: web, tier: front}}", {{"app", "web"}, {"tier", "front"}, {"x", "y"}}, true},
      {"{matchExpressions: [{key: app, operator: In, values: [web, db]}]}", {{"app", "db"}}, true},
      {"{matchExpressions: [{key: app, operator: In, values: [web, db]}]}", {{"app", "cache"}}, false},
      {"{matchExpressions: [{key: app, operator: In, values: [web]}]}", {}, false},
      {"{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}", {{"app", "db"}}, true},
      {"{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}", {{"app", "web"}}, false},
      {"{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}", {}, true},  // no key: not in
      {"{matchExpressions: [{key: app, operator: Exists}]}", {{"app", ""}}, true},
      {"{matchExpressions: [{key: app, operator: Exists}]}", {}, false},
      {"{matchExpressions: [{key: app, operator: DoesNotExist}]}", {}, true},
      {"{matchExpressions: [{key: app, operator: DoesNotExist}]}", {{"app", "x"}}, false},
      {"{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: DoesNotExist}]}", {{"app", "web"}}, true},
      {"{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: DoesNotExist}]}", {{"app", "web"}, {"tier", "a"}}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(sel(c.selector).matches(c.labels), c.matches) << c.selector;
}

TEST(LabelSelector, PrintsAsKubectlDoes) {
  EXPECT_EQ(to_string(sel("{}")), "<all>");
  EXPECT_EQ(to_string(sel("{matchLabels: {app: web}, matchExpressions: [{key: t, operator: NotIn, values: [a, b]}, {key: x, operator: DoesNotExist}]}")),
            "app=web,t notin (a,b),!x");
}

TEST(LabelSelector, BadExpressionsNameTheirPlace) {
  auto bad = parse_selector(YAML::Load("{matchExpressions: [{key: a, operator: Has}]}"), "spec.podSelector");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "spec.podSelector.matchExpressions[0].operator: 'Has' is not In, NotIn, Exists or DoesNotExist");
  bad = parse_selector(YAML::Load("{matchExpressions: [{key: a, operator: In}]}"), "s");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "s.matchExpressions[0].values: required for In and NotIn");
}

NetworkPolicy policy(const std::string& spec) {
  auto p = parse_network_policy(YAML::Load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: " + spec));
  EXPECT_TRUE(p) << p.error().what();
  return p ? *p : NetworkPolicy{};
}

TEST(NetworkPolicyModel, PolicyTypesDefaultAsTheApiServerDoes) {
  auto p = policy("{podSelector: {}}");
  EXPECT_TRUE(p.isolates_ingress);
  EXPECT_FALSE(p.isolates_egress);
  p = policy("{podSelector: {}, egress: [{}]}");
  EXPECT_TRUE(p.isolates_ingress);
  EXPECT_TRUE(p.isolates_egress);
  p = policy("{podSelector: {}, egress: []}");  // present but empty: not an egress policy
  EXPECT_FALSE(p.isolates_egress);
  p = policy("{podSelector: {}, policyTypes: [Egress], ingress: [{}]}");
  EXPECT_FALSE(p.isolates_ingress);
  EXPECT_TRUE(p.isolates_egress);
}

TEST(NetworkPolicyModel, PortsPeersAndBlocks) {
  auto p = policy(
      "{podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {}, namespaceSelector: {matchLabels: {team: a}}}, "
      "{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}], ports: [{port: 80}, {protocol: UDP, port: dns}, {protocol: SCTP, port: 1000, endPort: 2000}, "
      "{protocol: UDP}]}]}");
  ASSERT_EQ(p.ingress.size(), 1u);
  const Rule& r = p.ingress[0];
  ASSERT_EQ(r.peers.size(), 2u);
  EXPECT_TRUE(r.peers[0].pods && r.peers[0].pods->empty());
  EXPECT_TRUE(r.peers[0].namespaces && !r.peers[0].namespaces->empty());
  ASSERT_TRUE(r.peers[1].block);
  EXPECT_EQ(to_string(r.peers[1].block->cidr), "10.0.0.0/8");
  EXPECT_FALSE(r.peers[1].block->contains(*parse_prefix("10.1.2.3")));
  EXPECT_TRUE(r.peers[1].block->contains(*parse_prefix("10.2.2.3")));
  ASSERT_EQ(r.ports.size(), 4u);
  EXPECT_EQ(r.ports[0], (PortMatch{kProtoTcp, 80, 0, ""}));
  EXPECT_EQ(r.ports[1], (PortMatch{kProtoUdp, 0, 0, "dns"}));
  EXPECT_EQ(r.ports[2], (PortMatch{kProtoSctp, 1000, 2000, ""}));
  EXPECT_EQ(r.ports[3], (PortMatch{kProtoUdp, 0, 0, ""}));
}

TEST(NetworkPolicyModel, UnreadableFieldsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"{podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}", "NetworkPolicy x/p: spec.ingress[0].ports[0].protocol: 'ICMP' is not TCP, UDP or SCTP"},
      {"{podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}", "NetworkPolicy x/p: spec.ingress[0].ports[0].endPort: needs a numeric port"},
      {"{podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}",
       "NetworkPolicy x/p: spec.egress[0].to[0].ipBlock.except[0]: must be a strict subnet of the cidr"},
      {"{podSelector: {}, egress: [{to: [{}]}]}", "NetworkPolicy x/p: spec.egress[0].to[0]: needs podSelector, namespaceSelector or ipBlock"},
      {"{podSelector: {}, policyTypes: [Both]}", "NetworkPolicy x/p: spec.policyTypes[0]: 'Both' is not Ingress or Egress"},
  };
  for (const auto& [spec, message] : cases) {
    auto p = parse_network_policy(YAML::Load("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: " + spec));
    ASSERT_FALSE(p) << spec;
    EXPECT_EQ(p.error().message, message);
  }
}

}  // namespace

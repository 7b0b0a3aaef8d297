// NetworkPolicy conformance, modelled on Kubernetes' own network-policy e2e suite: namespaces
// x, y, z with pods a, b, c each serving TCP and UDP on 80 and 81 (named ports serve-80-tcp,
// serve-81-tcp, serve-80-udp, serve-81-udp), routed through their veths. For every case the
// whole matrix (every pod to every other pod, TCP and UDP, both ports: 288 real connections)
// must give the verdicts the test oracle derives from the same YAML on its own.
#include <gtest/gtest.h>

#include "policy_cases.h"
#include "policy_lab.h"

using namespace netaccel::test;

namespace {

class PolicyConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("napc");
    p_ = unique_prefix("napc");
    dir_ = "/tmp/netaccel-test-" + p_;
    std::vector<LabPod> pods = e2e_pods();
    PolicyLabOptions o;
    o.bridged = false;
    o.pod_objects = true;
    lab_ = std::make_unique<PolicyLab>(p_, dir_, pods, o);
    ASSERT_TRUE(lab_->ok());
  }
  void TearDown() override {
    lab_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  std::string p_, dir_;
  std::unique_ptr<PolicyLab> lab_;
};

TEST_F(PolicyConformance, EveryCaseGivesTheOraclesMatrix) {
  size_t n = 0;
  for (const auto& c : policy_cases()) {
    OracleCluster cluster = lab_->oracle_base();
    std::string docs;
    for (const auto& p : c.policies) {
      cluster.policies.push_back(YAML::Load(p));
      docs += "---\n" + p;
    }
    if (!docs.empty()) ASSERT_TRUE(lab_->apply(docs)) << c.name;
    for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << c.name << ": " << d;
    if (!docs.empty()) ASSERT_TRUE(lab_->apply(docs, true)) << c.name;
    ++n;
  }
  EXPECT_GE(n, 40u);
}

// Identities follow labels: a namespace's new label and a pod's new labels change who may
// talk to whom without any policy changing.
TEST_F(PolicyConformance, LabelChangesMoveIdentities) {
  const std::string policy = np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]}");
  OracleCluster cluster = lab_->oracle_base();
  cluster.policies.push_back(YAML::Load(policy));
  ASSERT_TRUE(lab_->apply(policy));
  for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << "no namespace is blue: " << d;
  ASSERT_TRUE(lab_->apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y, team: blue}}\n"));
  cluster.namespaces["y"]["team"] = "blue";
  for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << "y is blue: " << d;
  const std::string pod_policy = np("q", "x", "{podSelector: {matchLabels: {pod: b}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: admin}}}]}]}");
  cluster.policies.push_back(YAML::Load(pod_policy));
  ASSERT_TRUE(lab_->apply(pod_policy));
  for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << "no admin: " << d;
  // z/c becomes an admin (its Pod object relabelled, as the API server would).
  ASSERT_TRUE(lab_->apply("apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: z, labels: {pod: c, role: admin}}\n"
                          "spec: {containers: [{name: c, ports: [{name: serve-80-tcp, containerPort: 80}, {name: serve-81-tcp, containerPort: 81}, "
                          "{name: serve-80-udp, containerPort: 80, protocol: UDP}, {name: serve-81-udp, containerPort: 81, protocol: UDP}]}]}\n"
                          "status: {podIP: 10.96.2.13}\n"));
  for (auto& p : cluster.pods)
    if (p.ns == "z" && p.name == "c") p.labels["role"] = "admin";
  for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << "z/c is an admin: " << d;
}

}  // namespace

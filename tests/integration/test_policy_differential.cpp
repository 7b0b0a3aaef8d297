// The same policies on two real data paths: netaccel-policy, and kernel iptables (legacy)
// running the per-address translation IP-based enforcers write (tests/lib/policy_iptables.cpp),
// on one routed node with no fast path (every packet crosses netfilter). For a cross-section
// of the conformance cases, both matrices (288 connections each) must be the oracle's, and so
// each other's. A denial is an event on each side: netaccel's pinned drop counters, or the
// counter of the translation's one DROP rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "policy_cases.h"
#include "policy_iptables.h"
#include "policy_lab.h"

using namespace netaccel::test;

namespace {

class PolicyDifferential : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (sh("command -v iptables-legacy-restore").status != 0) GTEST_SKIP() << "iptables-legacy not installed";
    cleanup_stale_namespaces("napd");
    p_ = unique_prefix("napd");
    dir_ = "/tmp/netaccel-test-" + p_;
    std::vector<LabPod> pods = e2e_pods();
    PolicyLabOptions o;
    o.bridged = false;
    o.pod_objects = true;
    o.fast_path = false;
    lab_ = std::make_unique<PolicyLab>(p_, dir_, pods, o);
    ASSERT_TRUE(lab_->ok());
  }
  void TearDown() override {
    if (lab_) lab_->node_sh("iptables-legacy -F; iptables-legacy -X");
    lab_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  uint64_t iptables_drops() const {
    auto r = lab_->node_sh("iptables-legacy -w -L NP-DROP -v -x -n");
    // Line 3: the DROP rule; its first column is the packet count.
    size_t line = 0, pos = 0;
    for (int i = 0; i < 2 && pos != std::string::npos; ++i) pos = r.out.find('\n', pos) + 1;
    if (pos == 0 || pos >= r.out.size()) return 0;
    line = pos;
    return std::stoull(r.out.substr(line, r.out.find_first_of(" \n", r.out.find_first_not_of(' ', line)) - line));
  }
  std::string p_, dir_;
  std::unique_ptr<PolicyLab> lab_;
};

TEST_F(PolicyDifferential, IptablesAndNetaccelGiveTheOraclesMatrix) {
  const std::vector<std::string> chosen{
      "deny all ingress in x", "deny all both ways in x", "x/a from y/b (selectors AND-ed in one peer)", "x/a from namespace y or pod b (peers OR-ed)",
      "x/a on named port serve-80-tcp", "x/a on TCP 80-81 (endPort)", "x/a from pods NotIn (b)", "x/a from 10.96.0.0/16 except y's subnet",
      "x/a egress to named UDP port of pods b", "two policies on x/a add up", "policyTypes Egress ignores the ingress rules", "two rules, different peers and ports"};
  size_t run = 0;
  for (const auto& c : policy_cases()) {
    if (std::find(chosen.begin(), chosen.end(), c.name) == chosen.end()) continue;
    ++run;
    OracleCluster cluster = lab_->oracle_base();
    std::string docs;
    for (const auto& p : c.policies) {
      cluster.policies.push_back(YAML::Load(p));
      docs += "---\n" + p;
    }
    // netaccel-policy
    ASSERT_TRUE(lab_->apply(docs)) << c.name;
    for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << c.name << " (netaccel-policy): " << d;
    ASSERT_TRUE(lab_->apply(docs, true)) << c.name;
    // Kernel iptables with the per-address translation; netaccel-policy holds no policy now.
    std::ofstream(dir_ + "/np.rules") << iptables_translation(cluster);
    auto r = lab_->node_sh("iptables-legacy-restore < " + dir_ + "/np.rules");
    ASSERT_EQ(r.status, 0) << c.name << ": " << r.out << "\n" << iptables_translation(cluster);
    lab_->set_drop_counter([this] { return iptables_drops(); });
    for (const auto& d : lab_->matrix_differences(cluster)) ADD_FAILURE() << c.name << " (iptables-legacy): " << d;
    lab_->set_drop_counter(nullptr);
    lab_->node_sh("iptables-legacy -F; iptables-legacy -X; conntrack -F 2>/dev/null");
  }
  EXPECT_EQ(run, chosen.size());
}

}  // namespace

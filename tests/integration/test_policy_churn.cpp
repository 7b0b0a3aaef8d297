// Zero wrong verdicts while things change: a steady stream of real connections between the pods
// of a routed node while policies are added, edited and deleted, namespaces and pods are
// relabelled, a pod leaves and comes back, and the daemon is SIGKILLed and restarted. Each
// probe is judged against the state in force: the data path reads one state slot per packet
// and the slot flips once per installed change (pinned pol_version, read before and after
// each probe), so a probe wholly before the flip must get the old state's verdict, one wholly
// after it the new one's, one that straddles it either, and a probe both states agree on
// must get that verdict whatever the timing. Every probe is counted; none may be wrong or
// without a verdict.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "policy_lab.h"

using namespace netaccel::test;

namespace {

std::string np(const std::string& name, const std::string& ns, const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: " + spec + "\n";
}

struct Probe {
  size_t from, to;
  const char* proto;
  int port;
};

class PolicyChurn : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("napx");
    p_ = unique_prefix("napx");
    dir_ = "/tmp/netaccel-test-" + p_;
    std::vector<LabPod> pods;
    const std::vector<std::string> nss{"x", "y", "z"}, names{"a", "b", "c"};
    for (size_t n = 0; n < nss.size(); ++n)
      for (size_t p = 0; p < names.size(); ++p)
        pods.push_back({nss[n], names[p], "10.96." + std::to_string(n) + "." + std::to_string(11 + p), {{"pod", names[p]}}, {}});
    pods.push_back({"x", "d", "10.96.0.14", {{"pod", "a"}}, {}});  // x/a's identity: comes and goes in place
    PolicyLabOptions o;
    o.bridged = false;
    lab_ = std::make_unique<PolicyLab>(p_, dir_, pods, o);
    ASSERT_TRUE(lab_->ok());
    state_ = lab_->oracle_base();
    for (size_t f = 0; f < pods.size(); ++f)
      for (size_t t = 0; t < pods.size(); ++t)
        if (f != t)
          for (const char* proto : {"TCP", "UDP"})
            for (int port : {80, 81}) probes_.push_back({f, t, proto, port});
    std::shuffle(probes_.begin(), probes_.end(), std::mt19937(7));
  }
  void TearDown() override {
    lab_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }

  bool verdict(const OracleCluster& c, const Probe& p) const {
    return oracle_allows(c, lab_->pods()[p.from].ip, lab_->pods()[p.to].ip, p.proto, p.port);
  }
  std::string describe(const Probe& p) const {
    const auto& a = lab_->pods()[p.from];
    const auto& b = lab_->pods()[p.to];
    return a.ns + "/" + a.name + " -> " + b.ns + "/" + b.name + " " + p.proto + "/" + std::to_string(p.port);
  }

  // Probes while `change` lands. It has landed when the daemon's Generation moved (polled every
  // few probes). A change of the data path flips the state slot once (read around each probe:
  // wholly before, wholly after, or straddling); one that changes no table (the verdicts of
  // both states agree) or goes in place lands with no flip, and then a probe before the
  // landing was seen may get either state's verdict. Then 60 probes more, all on the new state.
  void transition(const std::string& what, const OracleCluster& next, const std::function<void()>& change) {
    const OracleCluster old = state_;
    const uint64_t generation = lab_->generation();
    uint32_t slot = lab_->active_slot();
    int flips = 0, after = 0;
    bool landed = false;
    size_t straddled = 0, changed = 0, probes = 0;
    const auto start = std::chrono::steady_clock::now();
    change();
    while (after < 60) {
      ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << what << ": the change did not land";
      if (!landed && probes++ % 8 == 0) landed = lab_->generation() > generation;
      const Probe& p = probes_[next_++ % probes_.size()];
      const int flips_before = flips;
      const bool landed_before = landed;
      const Outcome got = lab_->probe(p.from, lab_->pods()[p.to].ip, p.proto, p.port);
      if (const uint32_t now = lab_->active_slot(); now != slot) {
        ++flips;
        slot = now;
        landed = true;
      }
      ++probes_total_;
      ASSERT_NE(got, Outcome::neither) << what << ": " << describe(p) << ": no verdict in 10 s\n" << lab_->diagnose(p.from);
      const bool answered = got == Outcome::answered, was = verdict(old, p), will = verdict(next, p);
      changed += was != will;
      bool ok;
      if (flips_before > 0 || (landed_before && flips == flips_before)) ok = answered == will;  // wholly after
      else if (flips == 0 && !landed) ok = answered == was || answered == will;                 // before it is seen
      else ok = answered == was || answered == will, straddled += was != will;                    // during
      if (was == will) ok = ok && answered == was;  // both states agree: no excuse
      EXPECT_TRUE(ok) << what << ": " << describe(p) << " " << outcome_name(got) << "; old state " << (was ? "allows" : "denies")
                      << ", new " << (will ? "allows" : "denies") << ", flips " << flips_before << "->" << flips;
      if (!ok) ++wrong_;
      if (landed) ++after;
    }
    state_ = OracleCluster(next);
    std::printf("%-58s flips %d, probes %zu changed verdict, %zu straddled the flip\n", what.c_str(), flips, changed, straddled);
  }

  void apply(const std::string& what, const std::string& yaml, bool remove, const std::function<void(OracleCluster&)>& edit) {
    OracleCluster next = state_;
    edit(next);
    Process ctl;
    transition(what, next, [&] { ASSERT_TRUE(lab_->apply_async(yaml, remove, ctl)); });
    ASSERT_TRUE(wait_until([&] { return !ctl.running(); }, 10000));
  }
  static void add(OracleCluster& c, const std::string& doc) { c.policies.push_back(YAML::Load(doc)); }
  static void drop(OracleCluster& c, const std::string& ns, const std::string& name) {
    std::erase_if(c.policies, [&](const PolicyDoc& p) {
      return p.node["metadata"]["name"].as<std::string>() == name && p.node["metadata"]["namespace"].as<std::string>() == ns;
    });
  }

  std::string p_, dir_;
  std::unique_ptr<PolicyLab> lab_;
  OracleCluster state_;
  std::vector<Probe> probes_;
  size_t next_ = 0, probes_total_ = 0, wrong_ = 0;
};

TEST_F(PolicyChurn, NoWrongVerdictWhilePoliciesPodsAndTheDaemonChange) {
  const std::string deny_x = np("deny", "x", "{podSelector: {}}");
  const std::string a_from_y = np("a-from-y", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}");
  const std::string a_from_z = np("a-from-y", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: z}}}], ports: [{port: 80}]}]}");
  const std::string b_from_blue = np("b-from-blue", "x", "{podSelector: {matchLabels: {pod: b}}, ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]}");
  const std::string c_from_admin =
      np("c-from-admin", "x", "{podSelector: {matchLabels: {pod: c}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {role: admin}}}]}]}");
  const std::string y_egress = np("out", "y", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: x}}}], ports: [{protocol: TCP}]}]}");
  apply("deny all into x", deny_x, false, [&](OracleCluster& c) { add(c, deny_x); });
  apply("x/a from namespace y", a_from_y, false, [&](OracleCluster& c) { add(c, a_from_y); });
  apply("the same policy edited: x/a from z on TCP 80", a_from_z, false, [&](OracleCluster& c) {
    drop(c, "x", "a-from-y");
    add(c, a_from_z);
  });
  apply("x/b from team blue (none yet)", b_from_blue, false, [&](OracleCluster& c) { add(c, b_from_blue); });
  apply("namespace y becomes team blue", "apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y, team: blue}}\n", false,
        [](OracleCluster& c) { c.namespaces["y"]["team"] = "blue"; });
  apply("x/c from admins anywhere (none yet)", c_from_admin, false, [&](OracleCluster& c) { add(c, c_from_admin); });
  {  // z/b becomes an admin: its endpoint registered again with the new labels
    OracleCluster next = state_;
    next.pods[7].labels["role"] = "admin";
    lab_->set_pod_labels(7, next.pods[7].labels);
    transition("pod z/b relabelled role=admin", next, [&] { ASSERT_TRUE(lab_->register_pod(7)); });
  }
  apply("y pods may only send TCP to x", y_egress, false, [&](OracleCluster& c) { add(c, y_egress); });
  {  // y/a leaves (CNI DEL): its address is nobody's, and it is nobody's to isolate
    OracleCluster next = state_;
    next.pods[3].ips = {"10.255.255.255"};  // the oracle's view: no pod has its address any more
    transition("pod y/a leaves", next, [&] { ASSERT_TRUE(lab_->unregister_pod(3)); });
  }
  {
    OracleCluster next = state_;
    next.pods[3].ips = {lab_->pods()[3].ip};
    transition("pod y/a comes back", next, [&] { ASSERT_TRUE(lab_->register_pod(3)); });
  }
  {  // x/d shares x/a's identity: it leaves and returns in place, with no flip.
    const uint32_t slot = lab_->active_slot();
    OracleCluster gone = state_;
    gone.pods[9].ips = {"10.255.255.254"};
    transition("x/d (x/a's identity) leaves, in place", gone, [&] { ASSERT_TRUE(lab_->unregister_pod(9)); });
    OracleCluster back = state_;
    back.pods[9].ips = {lab_->pods()[9].ip};
    transition("x/d comes back, in place", back, [&] { ASSERT_TRUE(lab_->register_pod(9)); });
    EXPECT_EQ(lab_->active_slot(), slot) << "written in place: no flip";
  }
  apply("namespace y is no longer blue", "apiVersion: v1\nkind: Namespace\nmetadata: {name: y, labels: {ns: y}}\n", false,
        [](OracleCluster& c) { c.namespaces["y"].erase("team"); });
  {  // The daemon dies and comes back: the same state is installed again, no verdict moves.
    OracleCluster same = state_;
    transition("netaccel-policy SIGKILLed and restarted", same, [&] {
      lab_->kill_policy();
      ASSERT_TRUE(lab_->start_policy());
    });
  }
  apply("deny all into x deleted", deny_x, true, [&](OracleCluster& c) { drop(c, "x", "deny"); });
  apply("the rest deleted", "---\n" + a_from_z + "---\n" + b_from_blue + "---\n" + c_from_admin + "---\n" + y_egress, true,
        [](OracleCluster& c) { c.policies.clear(); });
  std::printf("%zu probes, %zu wrong\n", probes_total_, wrong_);
  EXPECT_EQ(wrong_, 0u);
  EXPECT_GT(probes_total_, 14u * 60u);
}

}  // namespace

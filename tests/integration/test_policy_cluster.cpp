// Identities across nodes. The allocator against a real 3-member etcd on loopback: two
// "nodes" racing over the same and different label sets agree on every number, never give
// two sets one number, survive a member's death and a restart. Then two nodes end to end:
// each a PolicyLab (agent in cluster mode, fwd, policy) in its own namespace, joined by an
// underlay in a fabric namespace that also holds etcd. Both daemons number identities the
// same, a policy applied on one node is enforced on both, and real connections from the other
// node's pods are judged by their labels (no encapsulation: the ipcache knows them).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>

#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "etcd_cluster.h"
#include "etcd_identity.h"
#include "policy_lab.h"

using namespace netaccel;
using namespace netaccel::test;
using netaccel::policy::EtcdIdentityAllocator;
using netaccel::policy::IdentityLabels;

namespace {

IdentityLabels labels_of(const std::string& app, int n = 0) {
  IdentityLabels l;
  l.ns = "x";
  l.ns_labels = {{"kubernetes.io/metadata.name", "x"}};
  l.pod_labels = {{"app", app}, {"n", std::to_string(n)}};
  return l;
}

class ClusterIdentities : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/etcd", X_OK) != 0) GTEST_SKIP() << "etcd-server not installed";
    dir_ = "/tmp/netaccel-test-" + unique_prefix("naci");
    sh_ok("mkdir -p " + dir_);
    etcd_ = std::make_unique<EtcdCluster>(dir_, 3, 27000 + (getpid() % 400) * 10);
    ASSERT_TRUE(etcd_->healthy()) << etcd_->log(0);
    prefix_ = "/netaccel-" + unique_prefix("ids");
  }
  void TearDown() override {
    etcd_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  std::unique_ptr<EtcdIdentityAllocator> node() {
    auto a = std::make_unique<EtcdIdentityAllocator>(etcd_->client_urls(), prefix_);
    EXPECT_TRUE(a->load());
    return a;
  }
  std::string dir_, prefix_;
  std::unique_ptr<EtcdCluster> etcd_;
};

TEST_F(ClusterIdentities, TwoNodesRacingAgreeOnEveryNumber) {
  constexpr int kSets = 40;
  auto a = node(), b = node();
  std::vector<uint32_t> got_a(kSets), got_b(kSets);
  std::string err_a, err_b;
  // The same 40 label sets, one node from the first, the other from the last: every number
  // is contested at least once.
  std::thread ta([&] {
    for (int i = 0; i < kSets && err_a.empty(); ++i) {
      auto id = a->acquire(labels_of("web", i));
      if (id) got_a[i] = *id;
      else err_a = id.error().what();
    }
  });
  std::thread tb([&] {
    for (int i = kSets - 1; i >= 0 && err_b.empty(); --i) {
      auto id = b->acquire(labels_of("web", i));
      if (id) got_b[i] = *id;
      else err_b = id.error().what();
    }
  });
  ta.join();
  tb.join();
  ASSERT_EQ(err_a, "");
  ASSERT_EQ(err_b, "");
  EXPECT_EQ(got_a, got_b);
  EXPECT_EQ(std::set<uint32_t>(got_a.begin(), got_a.end()).size(), static_cast<size_t>(kSets)) << "two label sets, one number";
  for (uint32_t id : got_a) EXPECT_GE(id, policy::kFirstPodIdentity);
  // A node that starts later (or restarts) knows them all before it allocates anything.
  auto c = node();
  EXPECT_EQ(c->known(), static_cast<size_t>(kSets));
  for (int i = 0; i < kSets; ++i) EXPECT_EQ(c->lookup(labels_of("web", i)), std::optional<uint32_t>(got_a[i])) << i;
  ASSERT_NE(c->find(got_a[3]), nullptr);
  EXPECT_EQ(*c->find(got_a[3]), labels_of("web", 3));
}

TEST_F(ClusterIdentities, AMembersDeathIsNotAnErrorAndNoEtcdIsOne) {
  auto a = node();
  auto before = a->acquire(labels_of("db"));
  ASSERT_TRUE(before) << before.error().what();
  etcd_->kill(0);
  auto b = node();  // a fresh client whose first member is the dead one
  auto web = b->acquire(labels_of("web"));
  ASSERT_TRUE(web) << web.error().what();
  EXPECT_NE(*web, *before);
  EXPECT_EQ(*b->acquire(labels_of("db")), *before);
  // No member at all: an error naming the cause, and nothing is invented.
  EtcdIdentityAllocator nowhere({"http://127.0.0.1:1"}, prefix_);
  auto none = nowhere.acquire(labels_of("cache"));
  ASSERT_FALSE(none);
  EXPECT_FALSE(nowhere.lookup(labels_of("cache")));
}

// ---- two nodes end to end ----

// The underlay 10.78.0.0/24 in the fabric namespace: node i is .(i+1), etcd .254. Node 0's
// pods are 10.96.0.0/16, node 1's 10.97.0.0/16.
const std::string kEtcdHost = "10.78.0.254";

const char* kDbFromWeb =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}]}]}\n";

class PolicyCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/etcd", X_OK) != 0) GTEST_SKIP() << "etcd-server not installed";
    cleanup_stale_namespaces("napc");
    p_ = unique_prefix("napc");
    dir_ = "/tmp/netaccel-test-" + p_;
    fabric_ = p_ + "-fab";
    sh_ok("mkdir -p " + dir_ + " && ip netns add " + fabric_ + " && ip -n " + fabric_ + " link set lo up && ip -n " + fabric_ +
          " link add ub type bridge && ip -n " + fabric_ + " addr add " + kEtcdHost + "/24 dev ub && ip -n " + fabric_ + " link set ub up");
    etcd_ = std::make_unique<EtcdCluster>(dir_, 1, 28000 + (getpid() % 400) * 10, EtcdPlacement{"/run/netns/" + fabric_, kEtcdHost});
    ASSERT_TRUE(etcd_->healthy()) << etcd_->log(0);
    // A label set numbered before any node runs: the pods' numbers start above it in the
    // cluster, where each node alone would start at the first one.
    ASSERT_EQ(in_fabric([&](EtcdIdentityAllocator& ids) -> std::string {
      auto id = ids.acquire(labels_of("seed"));
      return id ? "" : id.error().what();
    }), "");
    const std::vector<std::vector<LabPod>> pods{
        {{"x", "db", "10.96.0.2", {{"app", "db"}}, {}}, {"x", "web0", "10.96.0.3", {{"app", "web"}}, {}}},
        {{"x", "web1", "10.97.0.2", {{"app", "web"}}, {}}, {"x", "other", "10.97.0.3", {{"app", "other"}}, {}}}};
    for (int i = 0; i < 2; ++i) {
      PolicyLabOptions o;
      o.gateway = i == 0 ? "10.96.255.1" : "10.97.255.1";
      o.agent_config = "etcd_endpoints = " + etcd_->client_url(0) + "\netcd_prefix = /netaccel-" + p_ + "\nnode_name = node-" +
                       std::to_string(i) + "\nendpoint_lease_s = 3\n";
      // The node's underlay link and a route to the other node's pods, as a node network has
      // them, made before the lab's daemons start so the agent reaches etcd at once.
      labs_.push_back(std::make_unique<PolicyLab>(p_ + "n" + std::to_string(i), dir_ + "/n" + std::to_string(i), pods[i], o,
                                                  [&, i](const std::string& node) { return join_underlay(node, i); }));
      ASSERT_TRUE(labs_.back()->ok());
    }
    // A drop is counted where it happens: on either node.
    for (auto& lab : labs_) lab->set_drop_counter([this] { return labs_[0]->kernel_denied() + labs_[1]->kernel_denied(); });
  }
  void TearDown() override {
    labs_.clear();
    etcd_.reset();
    if (!fabric_.empty()) sh("ip netns del " + fabric_ + " 2>/dev/null");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  // fn over an allocator on the cluster's etcd, run in the fabric namespace where etcd listens
  // (a thread of its own: setns changes only the calling thread).
  std::string in_fabric(const std::function<std::string(EtcdIdentityAllocator&)>& fn) {
    std::string out = "cannot enter the fabric namespace";
    std::thread t([&] {
      int fd = open(("/run/netns/" + fabric_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) return;
      close(fd);
      EtcdIdentityAllocator ids({etcd_->client_url(0)}, "/netaccel-" + p_);
      if (auto st = ids.load(); !st) {
        out = st.error().what();
        return;
      }
      out = fn(ids);
    });
    t.join();
    return out;
  }
  bool join_underlay(const std::string& node, int i) {
    const std::string me = "10.78.0." + std::to_string(i + 1), peer = "10.78.0." + std::to_string(2 - i);
    const std::string other_pods = i == 0 ? "10.97.0.0/16" : "10.96.0.0/16", port = "un" + std::to_string(i);
    return sh("ip link add u0 netns " + node + " type veth peer name " + port + " netns " + fabric_ + " && ip -n " + fabric_ + " link set " +
              port + " master ub up && ip -n " + node + " addr add " + me + "/24 dev u0 && ip -n " + node + " link set u0 up && ip -n " +
              node + " route add " + other_pods + " via " + peer)
               .status == 0;
  }
  // (identity name -> number) as a node's ListIdentities says, pod identities only.
  std::map<std::string, uint64_t> identities(int node) {
    std::map<std::string, uint64_t> out;
    auto r = labs_[node]->policy().call(kDest, "ListIdentities");
    for (const auto& row : r[0]) {
      const uint64_t id = row[0];
      if (id >= policy::kFirstPodIdentity && id < policy::kFirstCidrIdentity) out[row[1]] = id;
    }
    return out;
  }
  bool cluster_ids(int node) { return labs_[node]->policy().busctl("get-property " + kDest + " ClusterIdentities").out.find("true") != std::string::npos; }

  const std::string kDest = "org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy";
  std::string p_, dir_, fabric_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<PolicyLab>> labs_;
};

TEST_F(PolicyCluster, TwoNodesShareIdentitiesAndEnforceAcrossTheUnderlay) {
  ASSERT_TRUE(cluster_ids(0) && cluster_ids(1)) << labs_[0]->policy().log();
  // Each node sees its own two pods and the other's two: three label sets, numbered alike.
  ASSERT_TRUE(wait_until([&] { return identities(0).size() == 3 && identities(1).size() == 3; }, 15000))
      << "node 0: " << identities(0).size() << ", node 1: " << identities(1).size() << "\n" << labs_[1]->policy().log();
  EXPECT_EQ(identities(0), identities(1));
  // And they are the cluster's numbers, as etcd holds them.
  const auto mine = identities(0);
  EXPECT_EQ(in_fabric([&](EtcdIdentityAllocator& ids) {
              std::string bad;
              if (ids.known() != 4) bad += "etcd holds " + std::to_string(ids.known()) + " identities, not 4; ";
              for (const auto& [name, id] : mine)
                if (!ids.find(static_cast<uint32_t>(id)) || ids.find(static_cast<uint32_t>(id))->to_string() != name)
                  bad += name + " is not " + std::to_string(id) + " in etcd; ";
              return bad;
            }),
            "");
  // Before any policy: every pod reaches db across the underlay.
  ASSERT_EQ(labs_[1]->probe(1, "10.96.0.2", "TCP", 81), Outcome::answered) << labs_[1]->diagnose(1);
  // Applied on node 0, enforced by node 0 for the pods of node 1, whose labels it knows from
  // the cluster view alone.
  const uint64_t gen1 = labs_[1]->generation();
  ASSERT_TRUE(labs_[0]->apply(kDbFromWeb));
  ASSERT_TRUE(wait_until([&] { return labs_[1]->generation() > gen1; }, 15000)) << "node 1 did not follow the policy";
  EXPECT_EQ(labs_[1]->probe(0, "10.96.0.2", "TCP", 80), Outcome::answered) << "node 1's web pod";
  EXPECT_EQ(labs_[1]->probe(0, "10.96.0.2", "UDP", 80), Outcome::dropped) << "TCP 80 only";
  EXPECT_EQ(labs_[1]->probe(0, "10.96.0.2", "TCP", 81), Outcome::dropped);
  EXPECT_EQ(labs_[1]->probe(1, "10.96.0.2", "TCP", 80), Outcome::dropped) << "node 1's app=other pod";
  EXPECT_EQ(labs_[0]->probe(1, "10.96.0.2", "TCP", 80), Outcome::answered) << "node 0's web pod";
  EXPECT_EQ(labs_[0]->probe(0, "10.97.0.3", "TCP", 81), Outcome::answered) << "node 1's pods are not isolated";
  auto words = labs_[1]->policy().call(kDest, "GetEndpointPolicy s x/web1");
  EXPECT_NE(words[0].get<std::string>().find("ingress: unrestricted"), std::string::npos) << words.dump();
}

}  // namespace

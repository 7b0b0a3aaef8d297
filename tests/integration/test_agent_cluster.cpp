// Cluster mode: two nodes' agents (each on its own bus and state directory) on a real
// 3-member etcd 3.4 cluster on loopback. What one node applies the other serves; a node's pods
// are every node's view while it lives and leave when it dies; an etcd member and an agent
// are killed (SIGKILL) during the test and nothing acknowledged is lost.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "etcd_cluster.h"
#include "service_fixture.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

class AgentCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/etcd", X_OK) != 0) GTEST_SKIP() << "etcd-server not installed";
    p_ = unique_prefix("naac");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_);
    etcd_ = std::make_unique<EtcdCluster>(dir_, 3, 25000 + (getpid() % 400) * 10);
    ASSERT_TRUE(etcd_->healthy()) << etcd_->log(0);
    for (const char* n : {"node-a", "node-b"}) {
      std::string urls;
      for (const auto& u : etcd_->client_urls()) urls += (urls.empty() ? "" : ",") + u;
      std::ofstream(dir_ + "/" + n + ".conf") << "[agent]\nstate_dir = " << dir_ << "/" << n << "/state\nwire_fastpath = no\n"
                                              << "etcd_endpoints = " << urls << "\netcd_prefix = /netaccel-" << p_ << "\nnode_name = " << n
                                              << "\nendpoint_lease_s = 3\n";
      nodes_.push_back(std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_ + "/" + n));
      ASSERT_TRUE(nodes_.back()->bus_ok());
      ASSERT_TRUE(nodes_.back()->start(dir_ + "/" + n + ".conf")) << nodes_.back()->log();
    }
  }
  void TearDown() override {
    nodes_.clear();
    etcd_.reset();
    for (const auto& ns : netns_) sh("ip netns del " + ns + " 2>/dev/null");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  ServiceUnderTest& node(int i) { return *nodes_[static_cast<size_t>(i)]; }
  std::string file(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }
  bool has_pod(int i, const std::string& name) { return node(i).ctl("get pods -n shop").out.find(name) != std::string::npos; }
  std::vector<std::pair<std::string, std::string>> cluster_endpoints(int i) {  // (node, id)
    const json data = node(i).call(kAgentDest, "ListClusterEndpoints");
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : data[0]) out.emplace_back(e[0], e[1]);
    return out;
  }
  void register_pod(int i, const std::string& id) {
    const std::string name = p_ + "-" + id;
    sh_ok("ip netns add " + name);
    netns_.push_back(name);
    std::ofstream(dir_ + "/ep.json") << json{{"containerId", id}, {"ifname", "eth0"}, {"netns", "/run/netns/" + name}, {"ipv4", "10.60.0.9"}}.dump();
    auto r = sh("busctl --address=" + node(i).bus_address() + " call " + kAgentDest + " RegisterEndpoint s \"$(cat " + dir_ + "/ep.json)\"");
    ASSERT_EQ(r.status, 0) << r.out;
  }

  std::string p_, dir_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<ServiceUnderTest>> nodes_;
  std::vector<std::string> netns_;
};

const char* kShop =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
    "apiVersion: v1\nkind: Pod\nmetadata: {name: web-1, namespace: shop, labels: {app: web}}\nspec: {containers: [{name: c}]}\n";

TEST_F(AgentCluster, WhatOneNodeAppliesTheOtherServesAndBadInputChangesNothing) {
  auto applied = node(0).ctl("apply -f " + file("shop.yaml", kShop));
  ASSERT_EQ(applied.status, 0) << applied.out;
  ASSERT_TRUE(wait_until([&] { return has_pod(1, "web-1"); }, 20000)) << node(1).log() << node(1).ctl("get pods -n shop").out << node(1).ctl("get ns").out;
  // A refused file reaches no node.
  auto bad = node(1).ctl("apply -f " + file("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web-2, namespace: shop}\n---\n"
                                                        "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name, namespace: shop}\n"));
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("document 2"), std::string::npos) << bad.out;
  // The delete below is the change that follows it: once node 0 sees the delete, it would
  // have seen web-2 before it, had it been written.
  ASSERT_EQ(node(1).ctl("delete pod web-1 -n shop").status, 0);
  ASSERT_TRUE(wait_until([&] { return !has_pod(0, "web-1"); }, 20000)) << node(0).log();
  EXPECT_FALSE(has_pod(0, "web-2"));
  EXPECT_FALSE(has_pod(1, "web-2"));
}

TEST_F(AgentCluster, ANodesPodsAreEveryNodesViewUntilItDies) {
  register_pod(0, "pa1");
  register_pod(1, "pb1");
  auto both = [&](int i) {
    auto eps = cluster_endpoints(i);
    return eps.size() == 2 && std::count(eps.begin(), eps.end(), std::pair<std::string, std::string>{"node-a", "pa1/eth0"}) == 1 &&
           std::count(eps.begin(), eps.end(), std::pair<std::string, std::string>{"node-b", "pb1/eth0"}) == 1;
  };
  ASSERT_TRUE(wait_until([&] { return both(0) && both(1); }, 20000)) << node(0).log() << node(1).log();
  auto status = node(1).ctl("status");
  EXPECT_NE(status.out.find("pods <-> runtime: 1 pod, 4 objects, cluster mode (3 etcd members, pods on 2 nodes)"), std::string::npos)
      << status.out;
  node(0).kill_hard();  // no goodbye: only the lease can tell
  EXPECT_TRUE(wait_until([&] { return cluster_endpoints(1) == std::vector<std::pair<std::string, std::string>>{{"node-b", "pb1/eth0"}}; },
                         20000))
      << node(1).log();
  // Back, it publishes its pods again from its own state.
  ASSERT_TRUE(node(0).start(dir_ + "/node-a.conf")) << node(0).log();
  EXPECT_TRUE(wait_until([&] { return both(1); }, 20000)) << node(0).log();
}

TEST_F(AgentCluster, AnEtcdMemberAndAnAgentKilledLoseNothing) {
  ASSERT_EQ(node(0).ctl("apply -f " + file("shop.yaml", kShop)).status, 0);
  etcd_->kill(0);
  // Every change acknowledged while a member is down, from both nodes.
  for (int i = 0; i < 10; ++i) {
    const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p" + std::to_string(i) + ", namespace: shop}\nspec: {containers: [{name: c}]}\n";
    auto r = node(i % 2).ctl("apply -f " + file("p.yaml", pod));
    ASSERT_EQ(r.status, 0) << r.out << node(i % 2).log();
  }
  node(1).kill_hard();
  ASSERT_EQ(node(0).ctl("delete pod p0 -n shop").status, 0);  // while node 1 is down
  ASSERT_TRUE(node(1).start(dir_ + "/node-b.conf")) << node(1).log();
  ASSERT_TRUE(etcd_->restart(0));
  for (int n = 0; n < 2; ++n)
    EXPECT_TRUE(wait_until(
        [&] {
          const std::string pods = node(n).ctl("get pods -n shop").out;
          for (int i = 1; i < 10; ++i)
            if (pods.find("p" + std::to_string(i) + " ") == std::string::npos && pods.find("p" + std::to_string(i) + "\n") == std::string::npos)
              return false;
          return pods.find("p0") == std::string::npos && pods.find("web-1") != std::string::npos;
        },
        20000))
        << "node " << n << ": " << node(n).ctl("get pods -n shop").out << node(n).log();
}

}  // namespace

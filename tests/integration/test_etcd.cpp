// netaccel's etcd client against a real 3-member etcd 3.4 cluster on loopback: what the agent's
// cluster mode will stand on. Members are killed for real (SIGKILL) while the client works.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "etcd_cluster.h"
#include "netaccel/core/etcd.h"

using namespace netaccel;
using namespace netaccel::test;

namespace {

class Etcd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/usr/bin/etcd", X_OK) != 0) GTEST_SKIP() << "etcd-server not installed";
    dir_ = "/tmp/netaccel-test-" + unique_prefix("naet");
    sh_ok("mkdir -p " + dir_);
    cluster_ = std::make_unique<EtcdCluster>(dir_, 3, 21000 + (getpid() % 400) * 10);
    ASSERT_TRUE(cluster_->healthy()) << cluster_->log(0);
  }
  void TearDown() override {
    cluster_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  std::string dir_;
  std::unique_ptr<EtcdCluster> cluster_;
};

TEST_F(Etcd, WhatOneMemberWritesEveryMemberReads) {
  EtcdClient writer({cluster_->client_url(0)});
  const std::string binary_key = std::string("/na/bin\0\xff", 9);
  ASSERT_TRUE(writer.put("/na/pods/a", "1"));
  ASSERT_TRUE(writer.put("/na/pods/b", "2"));
  ASSERT_TRUE(writer.put("/na/podsx", "not under /na/pods/"));
  ASSERT_TRUE(writer.put(binary_key, std::string("\0\x01\x02", 3)));
  for (int i = 0; i < 3; ++i) {
    EtcdClient reader({cluster_->client_url(i)});
    auto r = reader.range_prefix("/na/pods/");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->kvs.size(), 2u) << "member " << i;
    EXPECT_EQ(r->kvs[0].key, "/na/pods/a");
    EXPECT_EQ(r->kvs[1].value, "2");
    EXPECT_GT(r->revision, 0);
    auto bin = reader.get(binary_key);
    ASSERT_TRUE(bin && *bin);
    EXPECT_EQ((*bin)->value, std::string("\0\x01\x02", 3));
  }
  auto gone = writer.remove("/na/pods/a");
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  EXPECT_FALSE(*writer.get("/na/pods/a"));
  EXPECT_EQ(*writer.remove("/na/pods/a"), 0);
}

TEST_F(Etcd, ATransactionIsAllOrNothingUnderItsGuards) {
  EtcdClient c(cluster_->client_urls());
  ASSERT_TRUE(c.put("/na/objects/x", "v1"));
  const int64_t rev = (*c.get("/na/objects/x"))->mod_revision;
  auto ok = c.txn({{"/na/objects/x", rev}, {"/na/objects/y", 0}},
                  {EtcdOp::put("/na/objects/x", "v2"), EtcdOp::put("/na/objects/y", "new"), EtcdOp::remove("/na/objects/z")});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(*ok);
  // The same guards are stale now: nothing of the second transaction happens.
  auto stale = c.txn({{"/na/objects/x", rev}}, {EtcdOp::put("/na/objects/x", "v3"), EtcdOp::remove("/na/objects/y")});
  ASSERT_TRUE(stale);
  EXPECT_FALSE(*stale);
  EXPECT_EQ((*c.get("/na/objects/x"))->value, "v2");
  EXPECT_EQ((*c.get("/na/objects/y"))->value, "new");
}

TEST_F(Etcd, ALeaseNotKeptAliveTakesItsKeys) {
  EtcdClient c(cluster_->client_urls());
  auto lease = c.lease_grant(5);
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(c.put("/na/endpoints/node-a/p1", "pod", *lease));
  ASSERT_TRUE(c.put("/na/endpoints/node-a/p2", "pod", *lease));
  EXPECT_EQ((*c.get("/na/endpoints/node-a/p1"))->lease, *lease);
  // Kept alive past its TTL (every 0.5 s, 4.5 s of slack each time), it stays.
  for (int i = 0; i < 12; ++i) {
    auto st = c.lease_keepalive(*lease);
    ASSERT_TRUE(st) << st.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(*c.get("/na/endpoints/node-a/p1"));
  // Left alone (a node that died), its keys go: waited on, not timed.
  EXPECT_TRUE(wait_until([&] { return c.range_prefix("/na/endpoints/node-a/")->kvs.empty(); }, 30000));
  auto late = c.lease_keepalive(*lease);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, make_error_code(Errc::not_found)) << late.error().message;
  // Revoked, at once.
  auto l2 = c.lease_grant(60);
  ASSERT_TRUE(l2);
  ASSERT_TRUE(c.put("/na/endpoints/node-b/p1", "pod", *l2));
  ASSERT_TRUE(c.lease_revoke(*l2));
  EXPECT_FALSE(*c.get("/na/endpoints/node-b/p1"));
}

TEST_F(Etcd, OneMemberDownIsNotAnErrorAndItCatchesUpWhenBack) {
  EtcdClient c(cluster_->client_urls(), 2000);
  ASSERT_TRUE(c.put("/na/k", "before"));
  cluster_->kill(0);  // the member this client prefers
  auto put = c.put("/na/k", "while m0 was down");
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ((*c.get("/na/k"))->value, "while m0 was down");
  ASSERT_TRUE(cluster_->restart(0));
  ASSERT_TRUE(cluster_->healthy()) << cluster_->log(0);
  EtcdClient only_m0({cluster_->client_url(0)});
  EXPECT_TRUE(wait_until([&] {
    auto v = only_m0.get("/na/k");
    return v && *v && (*v)->value == "while m0 was down";
  }, 20000));
}

TEST_F(Etcd, AllMembersDownIsAnErrorNamingThem) {
  EtcdClient c(cluster_->client_urls(), 1000);
  for (int i = 0; i < 3; ++i) cluster_->kill(i);
  auto r = c.put("/na/k", "v");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(cluster_->client_url(2)), std::string::npos) << r.error().message;
}

TEST_F(Etcd, AWatchMovesToAnotherMemberAndLosesNothing) {
  EtcdClient setup(cluster_->client_urls());
  auto start = setup.range_prefix("/na/watch/");
  ASSERT_TRUE(start);
  std::atomic<bool> stop{false};
  std::atomic<int> seen{0};
  std::vector<std::string> keys;  // written by the watch thread only, read after it ends
  bool in_order = true;
  int64_t last = 0;
  Status result;
  std::thread watcher([&] {
    EtcdClient w(cluster_->client_urls(), 2000);  // watches m0 first
    result = w.watch_prefix("/na/watch/", start->revision + 1, [&](const std::vector<EtcdEvent>& events, int64_t) {
      for (const auto& e : events) {
        in_order = in_order && e.kv.mod_revision > last;
        last = e.kv.mod_revision;
        keys.push_back((e.deleted ? "-" : "+") + e.kv.key);
        ++seen;
      }
      return true;
    }, stop);
  });
  EtcdClient writer({cluster_->client_url(1), cluster_->client_url(2)}, 2000);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(writer.put("/na/watch/" + std::to_string(i), "v"));
  ASSERT_TRUE(wait_until([&] { return seen.load() == 20; }, 10000)) << seen.load();
  cluster_->kill(0);  // under the watch
  for (int i = 20; i < 50; ++i) ASSERT_TRUE(writer.put("/na/watch/" + std::to_string(i), "v"));
  ASSERT_TRUE(writer.remove("/na/watch/0"));
  EXPECT_TRUE(wait_until([&] { return seen.load() >= 51; }, 20000)) << seen.load();
  stop = true;
  watcher.join();
  EXPECT_TRUE(result) << result.error().message;
  ASSERT_EQ(keys.size(), 51u) << "every change once";
  EXPECT_TRUE(in_order);
  EXPECT_EQ(keys[20], "+/na/watch/20");
  EXPECT_EQ(keys.back(), "-/na/watch/0");
}

}  // namespace

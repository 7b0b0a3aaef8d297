// Garbage collection judges a pod by the namespace its path named at ADD: containerd passes
// /proc/PID/ns/net, and once the pid is reused the path names someone else's namespace. The
// state files are real, and so are the namespaces (this process's own).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent_service.h"
#include "netaccel/core/cgroup.h"

using namespace netaccel;
using namespace netaccel::agent;
using nlohmann::json;

namespace {

json pod(const std::string& id, const std::string& netns, uint64_t inode) {
  return {{"containerId", id}, {"ifname", "eth0"}, {"netns", netns}, {"netnsInode", inode}};
}

class AgentGc : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netaccel-unit-gc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cfg_.state_dir = dir_;
    cfg_.wire_fastpath = false;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_state(const json& endpoints) { std::ofstream(dir_ + "/endpoints.json") << json{{"endpoints", endpoints}}.dump(); }

  std::string dir_;
  AgentConfig cfg_;
};

TEST_F(AgentGc, APathThatNowNamesAnotherNamespaceIsGarbage) {
  auto mine = netns_inode("/proc/self/ns/net");
  ASSERT_TRUE(mine) << mine.error().message;
  write_state(json::array({pod("same", "/proc/self/ns/net", *mine), pod("reused", "/proc/self/ns/net", *mine + 1),
                           pod("unknown-inode", "/proc/self/ns/net", 0), pod("gone", "/proc/0/ns/net", *mine)}));
  auto svc = AgentService::open(cfg_);
  ASSERT_TRUE(svc) << svc.error().message;
  auto n = svc->collect_garbage();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  std::vector<std::string> kept;
  for (const auto& e : svc->endpoints()) kept.push_back(e.container_id);
  EXPECT_EQ(kept, (std::vector<std::string>{"same", "unknown-inode"}));
}

TEST_F(AgentGc, AddRecordsTheInodeThePathNamesNow) {
  auto mine = netns_inode("/proc/self/ns/net");
  ASSERT_TRUE(mine);
  auto svc = AgentService::open(cfg_);
  ASSERT_TRUE(svc);
  // A caller's netnsInode is not believed: the agent looks for itself.
  ASSERT_TRUE(svc->register_endpoint(pod("c1", "/proc/self/ns/net", 7).dump(), "ADD"));
  auto e = svc->endpoint("c1/eth0");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->netns_inode, *mine);
  auto reopened = AgentService::open(cfg_);  // and keeps it across a restart
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->endpoint("c1/eth0")->netns_inode, *mine);
}

TEST(NetnsInode, NamesThePathInTheError) {
  auto r = netns_inode("/proc/0/ns/net");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/proc/0/ns/net"), std::string::npos);
}

}  // namespace

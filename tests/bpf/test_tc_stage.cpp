// The hook order netaccel's TC stages keep on one veth, whichever attaches first: policy runs
// before fwd, on real programs (policy.bpf.o, fwd.bpf.o) in a private namespace; a program
// that is not netaccel's keeps its place; a later stage never runs before an earlier one.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>

#include "bpf_test_env.h"
#include "fwd_skeleton.h"
#include "harness.h"
#include "netaccel/core/tc_stage.h"
#include "policy_skeleton.h"

namespace {

using namespace netaccel;
using namespace netaccel::test;

class TcStageOrder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = enter_private_netns();
    if (!skip_.empty()) return;
    sh_ok("ip link add st0 type veth peer name st1 && ip link set st0 up && ip link set st1 up");
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    auto f = Skeleton<struct fwd>::open("fwd");
    ASSERT_TRUE(f && f->load());
    fwd_ = std::make_unique<Skeleton<struct fwd>>(std::move(*f));
    auto p = Skeleton<struct ::policy>::open("policy");
    ASSERT_TRUE(p && p->load());
    pol_ = std::make_unique<Skeleton<struct ::policy>>(std::move(*p));
    ifindex_ = ifindex_of("st0");
  }
  std::vector<std::string> names(bool ingress) {
    auto progs = tcx_programs(ifindex_, ingress);
    EXPECT_TRUE(progs) << progs.error().what();
    std::vector<std::string> out;
    if (progs)
      for (const auto& p : *progs) out.push_back(p.name);
    return out;
  }
  int fwd_tc() const { return bpf_program__fd((*fwd_)->progs.fwd_tc); }
  int pol_in() const { return bpf_program__fd((*pol_)->progs.pol_from_pod_tc); }

  static inline std::string skip_;
  std::unique_ptr<Skeleton<struct fwd>> fwd_;
  std::unique_ptr<Skeleton<struct ::policy>> pol_;
  int ifindex_ = 0;
};

TEST_F(TcStageOrder, PolicyRunsBeforeFwdWhicheverCameFirst) {
  {
    auto f = attach_tc_stage(fwd_tc(), ifindex_, true, TcStage::fwd);
    ASSERT_TRUE(f) << f.error().what();
    auto p = attach_tc_stage(pol_in(), ifindex_, true, TcStage::policy);
    ASSERT_TRUE(p) << p.error().what();
    EXPECT_EQ(names(true), (std::vector<std::string>{"pol_from_pod_tc", "fwd_tc"}));
  }
  EXPECT_TRUE(names(true).empty()) << "unpinned links detach when closed";
  {
    auto p = attach_tc_stage(pol_in(), ifindex_, true, TcStage::policy);
    ASSERT_TRUE(p) << p.error().what();
    auto f = attach_tc_stage(fwd_tc(), ifindex_, true, TcStage::fwd);
    ASSERT_TRUE(f) << f.error().what();
    EXPECT_EQ(names(true), (std::vector<std::string>{"pol_from_pod_tc", "fwd_tc"}));
  }
}

// A program with no stage prefix (another tool's): loaded here as two instructions,
// "return TCX_NEXT".
UniqueFd foreign_program() {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -1},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  return UniqueFd(bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other_tc", "GPL", insns, 2, nullptr));
}

TEST_F(TcStageOrder, AnotherToolsProgramKeepsItsPlace) {
  UniqueFd other = foreign_program();
  ASSERT_TRUE(other.valid()) << strerror(errno);
  auto foreign = Link::create(other.get(), ifindex_, kAttachTcxEgress);
  ASSERT_TRUE(foreign) << foreign.error().what();
  auto f = attach_tc_stage(fwd_tc(), ifindex_, false, TcStage::fwd);
  ASSERT_TRUE(f) << f.error().what();
  auto p = attach_tc_stage(pol_in(), ifindex_, false, TcStage::policy);
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(names(false), (std::vector<std::string>{"other_tc", "pol_from_pod_tc", "fwd_tc"}));
  EXPECT_EQ(stage_rank_of("other_tc"), 0);
  EXPECT_LT(stage_rank_of("pol_to_pod_tc"), stage_rank_of("fwd_tc"));
}

}  // namespace

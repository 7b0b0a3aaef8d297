// The learning bridge's decision for one frame, table-driven: who learns what, who gets it.
#include <gtest/gtest.h>

#include "forwarding.h"

using namespace netaccel::vswitch;

namespace {

const Mac kA{0x02, 0, 0, 0, 0, 0x0a}, kB{0x02, 0, 0, 0, 0, 0x0b}, kC{0x02, 0, 0, 0, 0, 0x0c};
const Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kMulticast{0x33, 0x33, 0, 0, 0, 1}, kZero{};
constexpr FdbPort L(uint16_t i) { return {FdbPort::local, i}; }
constexpr FdbPort V(uint16_t i) { return {FdbPort::vtep, i}; }

struct Case {
  const char* name;
  FdbPort in;
  Mac src, dst;
  Verdict verdict;
  std::vector<FdbPort> out;
  bool learns;  // a request for the writer
};

// Network: local ports 1, 2, 3 and two VTEPs; the table knows A behind port 1, B behind VTEP 1.
TEST(Forwarding, EachFrameGoesWhereTheTableSays) {
  FdbTable fdb(64);
  fdb.learn(kA, L(1), 0);
  fdb.learn(kB, V(1), 0);
  Network net{{1, 2, 3}, 2, &fdb};
  const std::vector<Case> cases{
      {"known unicast to a local port", L(2), kC, kA, Verdict::unicast, {L(1)}, true},
      {"known unicast to a vtep", L(1), kA, kB, Verdict::unicast, {V(1)}, false},
      {"from a vtep to a local port", V(1), kB, kA, Verdict::unicast, {L(1)}, false},
      {"destination behind the ingress", L(1), kA, kA, Verdict::filtered, {}, false},
      {"broadcast from a local port: every other port and every vtep", L(2), kC, kBroadcast, Verdict::flood,
       {L(1), L(3), V(0), V(1)}, true},
      {"unknown unicast floods too", L(3), kA, kC, Verdict::flood, {L(1), L(2), V(0), V(1)}, true},
      {"multicast from a vtep: local ports only (split horizon)", V(0), kC, kMulticast, Verdict::flood, {L(1), L(2), L(3)}, true},
      {"group source", L(1), kBroadcast, kA, Verdict::dropped_bad_source, {}, false},
      {"all-zero source", L(1), kZero, kA, Verdict::dropped_bad_source, {}, false},
  };
  for (const auto& c : cases) {
    std::vector<LearnRequest> learn;
    Decision d = forward(net, c.in, c.src, c.dst, 1, learn);
    EXPECT_EQ(d.verdict, c.verdict) << c.name;
    EXPECT_EQ(d.out, c.out) << c.name;
    EXPECT_EQ(!learn.empty(), c.learns) << c.name;
    if (!learn.empty()) {
      EXPECT_EQ(learn[0].mac, c.src) << c.name;
      EXPECT_EQ(learn[0].port, c.in) << c.name;
    }
  }
}

// Learning through the writer: A moves from port 1 to VTEP 0 (a pod migrated); once the writer
// learned it, frames for A go there, and a frame from A on its port asks nothing more.
TEST(Forwarding, AMovedStationIsFollowedOnceLearned) {
  FdbTable fdb(64);
  fdb.learn(kA, L(1), 0);
  Network net{{1, 2}, 1, &fdb};
  std::vector<LearnRequest> learn;
  forward(net, V(0), kA, kBroadcast, 5, learn);
  ASSERT_EQ(learn.size(), 1u);
  EXPECT_EQ(forward(net, L(2), kB, kA, 5, learn).out, (std::vector<FdbPort>{L(1)})) << "not learned yet";
  for (const auto& r : learn) fdb.learn(r.mac, r.port, 5);  // the writer drains the queue
  learn.clear();
  EXPECT_EQ(forward(net, L(2), kB, kA, 6, learn).out, (std::vector<FdbPort>{V(0)}));
  learn.clear();
  forward(net, V(0), kA, kB, 7, learn);
  EXPECT_TRUE(learn.empty());
}

}  // namespace

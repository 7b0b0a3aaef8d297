// The agent's rules for giving a pod the fast path, against a recording Dataplanes that
// answers as netaccel-fwd and netaccel-sockmap answer (their bus errors as bus_call_error maps
// them). The real services under the real agent: tests/integration/test_cni.cpp.
#include <gtest/gtest.h>

#include <algorithm>

#include "fastpath.h"
#include "netaccel/core/cgroup.h"

using namespace netaccel;
using namespace netaccel::agent;

namespace {

Error down(const std::string& what) { return errno_error(EHOSTDOWN, what); }

// Holds the state the two services would hold; `running` false answers every call as a
// service that is not on the bus.
struct Services : Dataplanes {
  bool fwd_running = true, sockmap_running = true;
  std::vector<FwdInterface> attached;
  std::vector<std::string> cgroups;
  std::vector<std::string> calls;

  Status fwd_attach(const std::string& ifname, const std::string& mode) override {
    calls.push_back("attach " + ifname + " " + mode);
    if (!fwd_running) return down("fwd");
    for (const auto& a : attached)
      if (a.name == ifname) return make_error(Errc::already_exists, ifname + " is already attached");
    attached.push_back({ifname, mode});
    return {};
  }
  Status fwd_detach(const std::string& ifname) override {
    calls.push_back("detach " + ifname);
    if (!fwd_running) return down("fwd");
    auto it = std::find_if(attached.begin(), attached.end(), [&](const FwdInterface& a) { return a.name == ifname; });
    if (it == attached.end()) return make_error(Errc::not_found, ifname);
    attached.erase(it);
    return {};
  }
  Result<std::vector<FwdInterface>> fwd_interfaces() override {
    if (!fwd_running) return down("fwd");
    return attached;
  }
  Status sockmap_enable(const std::string& cg) override {
    calls.push_back("enable " + cg);
    if (!sockmap_running) return down("sockmap");
    if (std::count(cgroups.begin(), cgroups.end(), cg)) return make_error(Errc::already_exists, cg);
    cgroups.push_back(cg);
    return {};
  }
  Status sockmap_disable(const std::string& cg) override {
    calls.push_back("disable " + cg);
    if (!sockmap_running) return down("sockmap");
    auto it = std::find(cgroups.begin(), cgroups.end(), cg);
    if (it == cgroups.end()) return make_error(Errc::not_found, cg);
    cgroups.erase(it);
    return {};
  }
  Result<std::vector<std::string>> sockmap_cgroups() override {
    if (!sockmap_running) return down("sockmap");
    return cgroups;
  }
};

Endpoint pod(const std::string& bridge = "cni0", const std::string& cgroup = "") {
  Endpoint e;
  e.container_id = "c1";
  e.ifname = "eth0";
  e.netns = "/run/netns/p1";
  e.host_veth = "veth1";
  e.bridge = bridge;
  e.cgroup = cgroup;
  return e;
}

Endpoint with(Endpoint e, const Wiring& w) {
  e.fastpath = w.fastpath;
  return e;
}

const std::string kPodCg = "/sys/fs/cgroup/unified/kubepods/pod1";

TEST(FastPath, BridgePortGetsBridgeModeAndPtpRouterMode) {
  for (auto [bridge, mode] : {std::pair{"cni0", "bridge"}, std::pair{"", "router"}}) {
    Services s;
    Wiring w = wire(s, pod(bridge));
    EXPECT_EQ(w.fastpath.fwd, mode);
    EXPECT_TRUE(w.fastpath.fwd_owned);
    ASSERT_EQ(s.attached.size(), 1u);
    EXPECT_EQ(s.attached[0].mode, mode);
  }
}

TEST(FastPath, AutoAttachedVethIsRecordedButNotOwned) {
  Services s;
  s.attached.push_back({"veth1", "bridge"});
  Wiring w = wire(s, pod());
  EXPECT_EQ(w.fastpath.fwd, "bridge");
  EXPECT_FALSE(w.fastpath.fwd_owned);
  EXPECT_TRUE(w.warnings.empty());
  unwire(s, with(pod(), w));
  EXPECT_EQ(s.attached.size(), 1u) << "fwd's own attachment stays at DEL";
}

TEST(FastPath, RepeatedAddKeepsOwnership) {
  Services s;
  Endpoint e = with(pod(), wire(s, pod()));
  Wiring again = wire(s, e);
  EXPECT_TRUE(again.fastpath.fwd_owned) << "the second ADD met AlreadyExists for the agent's own attachment";
  unwire(s, with(e, again));
  EXPECT_TRUE(s.attached.empty());
}

TEST(FastPath, NodeWideSockmapCoversThePodAndIsNeverDisabledForIt) {
  Services s;
  s.cgroups = {cgroup2_root()};
  for (const std::string& cg : {std::string(), kPodCg}) {
    Wiring w = wire(s, pod("cni0", cg));
    EXPECT_EQ(w.fastpath.sockmap, cgroup2_root());
    EXPECT_FALSE(w.fastpath.sockmap_owned);
    unwire(s, with(pod("cni0", cg), w));
    EXPECT_EQ(s.cgroups, std::vector<std::string>{cgroup2_root()});
  }
}

TEST(FastPath, PodCgroupIsEnabledOnceKnownAndDisabledAtDel) {
  Services s;
  s.cgroups = {"/sys/fs/cgroup/unified/other"};
  Wiring before = wire(s, pod());
  EXPECT_EQ(before.fastpath.sockmap, "") << "no cgroup yet: nothing to enable";
  Wiring w = wire(s, pod("cni0", kPodCg));
  EXPECT_EQ(w.fastpath.sockmap, kPodCg);
  EXPECT_TRUE(w.fastpath.sockmap_owned);
  unwire(s, with(pod("cni0", kPodCg), w));
  EXPECT_EQ(s.cgroups, std::vector<std::string>{"/sys/fs/cgroup/unified/other"});
}

TEST(FastPath, TheRootCgroupIsNeverEnabledForOnePod) {
  Services s;
  Wiring w = wire(s, pod("cni0", cgroup2_root()));
  EXPECT_EQ(w.fastpath.sockmap, "");
  EXPECT_TRUE(s.cgroups.empty());
}

TEST(FastPath, ServicesNotRunningLeaveTheKernelPathWithWarnings) {
  Services s;
  s.fwd_running = s.sockmap_running = false;
  Wiring w = wire(s, pod("cni0", kPodCg));
  EXPECT_EQ(w.fastpath, FastPath{});
  EXPECT_EQ(w.warnings.size(), 2u);
  auto c = check(s, with(pod(), w));
  ASSERT_TRUE(c);
  // A pod wired before fwd stopped keeps its record (the pinned path outlives the daemon).
  Endpoint wired = pod();
  wired.fastpath.fwd = "bridge";
  wired.fastpath.fwd_owned = true;
  EXPECT_EQ(wire(s, wired).fastpath.fwd, "bridge");
  EXPECT_TRUE(check(s, wired)) << "fwd down is a warning, not a failed CHECK";
}

TEST(FastPath, CheckFindsAMissingAttachment) {
  Services s;
  Endpoint e = with(pod("cni0", kPodCg), wire(s, pod("cni0", kPodCg)));
  EXPECT_TRUE(check(s, e));
  s.attached.clear();
  auto c = check(s, e);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("veth1"), std::string::npos);
  s.attached.push_back({"veth1", "bridge"});
  s.cgroups.clear();
  EXPECT_FALSE(check(s, e));
}

TEST(FastPath, RefusedAttachIsAWarningAndCheckReportsIt) {
  struct Refusing : Services {
    Status fwd_attach(const std::string&, const std::string&) override {
      return make_error(Errc::unsupported, "XDP on this device");
    }
  } s;
  Wiring w = wire(s, pod(""));
  EXPECT_EQ(w.fastpath.fwd, "");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("refused veth1"), std::string::npos) << w.warnings[0];
  EXPECT_FALSE(check(s, with(pod(""), w))) << "fwd runs and the pod has no fast path";
}

TEST(FastPath, NoHostVethMeansNoFwd) {
  Services s;
  Endpoint e = pod();
  e.host_veth.clear();
  Wiring w = wire(s, e);
  EXPECT_EQ(w.fastpath.fwd, "");
  EXPECT_TRUE(s.attached.empty());
  ASSERT_FALSE(w.warnings.empty());
  EXPECT_NE(w.warnings[0].find("no host veth"), std::string::npos);
}

}  // namespace

namespace {

// fwd's TC path delivers with bpf_redirect_peer, past the pod's XDP program: a libgazelle pod
// is kept off it, even when fwd auto-attached its veth, and CHECK does not call that missing.
TEST(FastPath, ALibgazellePodStaysOffFwd) {
  Services s;
  Endpoint e = pod();
  e.gazelle_address = "10.95.0.200";
  s.attached.push_back({"veth1", "bridge"});  // fwd's own auto-attach
  Wiring w = wire(s, e);
  EXPECT_EQ(w.fastpath.fwd, "");
  EXPECT_TRUE(s.attached.empty());
  Services fresh;
  EXPECT_EQ(wire(fresh, e).fastpath.fwd, "");
  EXPECT_TRUE(fresh.attached.empty());
  auto c = check(fresh, with(e, w));
  EXPECT_TRUE(c) << c.error().message;
}

}  // namespace

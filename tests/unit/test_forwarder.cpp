// Forwarder logic against a table of links and a recording data path: no kernel, no bus.
#include <gtest/gtest.h>

#include <algorithm>

#include "forwarder.h"

using namespace netaccel;
using namespace netaccel::fwd;

namespace {
class TableLinks : public LinkSource {
 public:
  std::vector<LinkInfo> table;
  std::vector<FdbEntry> fdb_table;
  std::optional<LinkInfo> link(const std::string& n) const override {
    for (const auto& l : table)
      if (l.name == n) return l;
    return std::nullopt;
  }
  std::optional<LinkInfo> link(int i) const override {
    for (const auto& l : table)
      if (l.ifindex == i) return l;
    return std::nullopt;
  }
  std::vector<LinkInfo> links() const override { return table; }
  std::vector<FdbEntry> fdb(int b) const override {
    std::vector<FdbEntry> out;
    for (const auto& e : fdb_table)
      if (e.bridge_ifindex == b) out.push_back(e);
    return out;
  }
  void add(int idx, std::string name, std::string kind, int master = 0) {
    LinkInfo l;
    l.ifindex = idx;
    l.name = std::move(name);
    l.kind = std::move(kind);
    l.master = master;
    table.push_back(l);
  }
  void remove(int idx) {
    table.erase(std::remove_if(table.begin(), table.end(), [&](const LinkInfo& l) { return l.ifindex == idx; }), table.end());
  }
};

class RecordingDataplane : public Dataplane {
 public:
  std::map<int, std::pair<AttachSpec, int>> attached;
  std::map<std::pair<int, std::string>, int> fdb;
  std::vector<HeldIface> held_ifaces;
  bool fail_attach = false;
  int attach_calls = 0;

  Status attach(const LinkInfo& l, const AttachSpec& s, int b) override {
    ++attach_calls;
    if (fail_attach) return make_error(Errc::unsupported, "kernel said no");
    attached[l.ifindex] = {s, b};
    return {};
  }
  Status detach(int i) override {
    attached.erase(i);
    return {};
  }
  Status fdb_set(const FdbEntry& e) override {
    fdb[{e.bridge_ifindex, format_mac(e.mac)}] = e.port_ifindex;
    return {};
  }
  Status fdb_erase(const FdbEntry& e) override {
    fdb.erase({e.bridge_ifindex, format_mac(e.mac)});
    return {};
  }
  Status fdb_flush(int b) override {
    for (auto it = fdb.begin(); it != fdb.end();) it = it->first.first == b ? fdb.erase(it) : std::next(it);
    return {};
  }
  Result<IfaceStats> stats(int i) const override {
    if (!attached.count(i)) return make_error(Errc::not_found, "no stats");
    IfaceStats s;
    s.packets[FWD_STAT_FORWARDED] = 7;
    return s;
  }
  std::vector<HeldIface> held() const override { return held_ifaces; }
};

FdbEntry fdb_entry(int bridge, int port, uint8_t last, bool local = false) {
  FdbEntry e;
  e.bridge_ifindex = bridge;
  e.port_ifindex = port;
  e.mac = {0x02, 0, 0, 0, 0, last};
  e.local = local;
  return e;
}

class ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    links.add(1, "lo", "");
    links.add(2, "cni0", "bridge");
    links.add(3, "veth-a", "veth", 2);
    links.add(4, "veth-b", "veth", 2);
    links.add(5, "cali1", "veth");
    links.add(6, "other0", "veth");
    links.add(7, "eth0", "");
    cfg.bridges = {"cni0"};
    cfg.prefixes = {"cali"};
  }
  TableLinks links;
  RecordingDataplane dp;
  FwdConfig cfg;
};
}  // namespace

TEST_F(ForwarderTest, AutoAttachFollowsTheRules) {
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(dp.attached.size(), 3u);
  EXPECT_EQ(dp.attached[3].first, (AttachSpec{Mode::bridge, Hook::tc}));
  EXPECT_EQ(dp.attached[3].second, 2);
  EXPECT_EQ(dp.attached[4].first.mode, Mode::bridge);
  EXPECT_EQ(dp.attached[5].first, (AttachSpec{Mode::router, Hook::tc}));
  EXPECT_EQ(dp.attached.count(6), 0u);  // matches no rule
  EXPECT_EQ(dp.attached.count(7), 0u);  // not a veth
}

TEST_F(ForwarderTest, AutoAttachOffAttachesNothing) {
  cfg.auto_attach = false;
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  EXPECT_TRUE(dp.attached.empty());
  f.on_link(NlEvent::added, *links.link("cali1"));
  EXPECT_TRUE(dp.attached.empty());
}

TEST_F(ForwarderTest, NewAndRemovedPodsAreFollowed) {
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  links.add(8, "cali2", "veth");
  f.on_link(NlEvent::added, *links.link(8));
  EXPECT_EQ(dp.attached.count(8), 1u);
  LinkInfo gone = *links.link(8);
  links.remove(8);
  f.on_link(NlEvent::removed, gone);
  EXPECT_EQ(dp.attached.count(8), 0u);
  EXPECT_EQ(f.list().size(), 3u);
}

TEST_F(ForwarderTest, ExplicitAttachValidatesBeforeTouchingTheKernel) {
  cfg.auto_attach = false;
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  struct Case {
    std::string ifname, mode;
    Errc code;
  } cases[] = {
      {"nope0", "router", Errc::not_found},
      {"eth0", "router", Errc::unsupported},
      {"other0", "bridge", Errc::invalid_argument},  // not a bridge port
      {"other0", "switch", Errc::invalid_argument},
      {"bad/name", "router", Errc::invalid_argument},
  };
  for (const auto& c : cases) {
    auto st = f.attach(c.ifname, c.mode);
    ASSERT_FALSE(st) << c.ifname << " " << c.mode;
    EXPECT_EQ(st.error().code, c.code) << c.ifname << " " << c.mode << ": " << st.error().what();
  }
  EXPECT_EQ(dp.attach_calls, 0);
  EXPECT_TRUE(f.list().empty());
}

TEST_F(ForwarderTest, AttachTwiceIsAlreadyExistsAndAnotherSpecReattaches) {
  cfg.auto_attach = false;
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  ASSERT_TRUE(f.attach("other0", "router"));
  auto again = f.attach("other0", "router:tc");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  ASSERT_TRUE(f.attach("other0", "router:xdp"));
  EXPECT_EQ(dp.attached[6].first.hook, Hook::xdp);
  ASSERT_EQ(f.list().size(), 1u);
  EXPECT_EQ(f.list()[0].spec.hook, Hook::xdp);
}

TEST_F(ForwarderTest, DataplaneFailureChangesNothing) {
  cfg.auto_attach = false;
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  dp.fail_attach = true;
  auto st = f.attach("other0", "router");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Errc::unsupported);
  EXPECT_TRUE(f.list().empty());
}

TEST_F(ForwarderTest, DetachAndStats) {
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  auto s = f.stats("cali1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->packets[FWD_STAT_FORWARDED], 7u);
  EXPECT_EQ(f.stats("other0").error().code, Errc::not_found);
  ASSERT_TRUE(f.detach("cali1"));
  EXPECT_EQ(dp.attached.count(5), 0u);
  EXPECT_EQ(f.detach("cali1").error().code, Errc::not_found);
}

TEST_F(ForwarderTest, FdbMirrorsOnlyLearnedUnicastOfBridgesInUse) {
  links.fdb_table = {fdb_entry(2, 3, 0xa), fdb_entry(2, 3, 0xb, /*local=*/true)};
  int changes = 0;
  Forwarder f(dp, links, cfg);
  f.on_changed([&] { ++changes; });
  ASSERT_TRUE(f.start());
  EXPECT_GT(changes, 0);
  EXPECT_EQ(dp.fdb.size(), 1u);  // the learned one; the local one stays with the kernel
  EXPECT_EQ((dp.fdb[{2, "02:00:00:00:00:0a"}]), 3);

  f.on_fdb(NlEvent::added, fdb_entry(2, 4, 0xc));
  EXPECT_EQ(dp.fdb.size(), 2u);
  FdbEntry mcast = fdb_entry(2, 4, 0xd);
  mcast.mac[0] = 0x33;
  f.on_fdb(NlEvent::added, mcast);
  f.on_fdb(NlEvent::added, fdb_entry(99, 4, 0xe));  // a bridge we do not serve
  EXPECT_EQ(dp.fdb.size(), 2u);
  f.on_fdb(NlEvent::removed, fdb_entry(2, 4, 0xc));
  EXPECT_EQ(dp.fdb.size(), 1u);

  ASSERT_TRUE(f.detach("veth-a"));
  EXPECT_EQ(dp.fdb.size(), 1u);  // veth-b still uses the bridge
  ASSERT_TRUE(f.detach("veth-b"));
  EXPECT_TRUE(dp.fdb.empty());   // last port gone: flushed
}

TEST_F(ForwarderTest, AdoptsWhatAPreviousRunLeftAndForgetsVanishedLinks) {
  cfg.auto_attach = false;
  dp.held_ifaces = {HeldIface{6, {Mode::router, Hook::xdp}, 0}, HeldIface{42, {Mode::router, Hook::tc}, 0}};
  dp.attached[6] = {{Mode::router, Hook::xdp}, 0};
  dp.attached[42] = {{Mode::router, Hook::tc}, 0};
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(f.list().size(), 1u);
  EXPECT_EQ(f.list()[0].name, "other0");
  EXPECT_EQ(f.list()[0].spec.hook, Hook::xdp);
  EXPECT_EQ(dp.attached.count(42), 0u);
  EXPECT_EQ(dp.attach_calls, 0);  // adoption does not re-attach
}

TEST_F(ForwarderTest, PortLeavingItsBridgeIsReattachedInRouterModeWhenTheRulesSaySo) {
  cfg.interfaces = {"veth-a"};
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(dp.attached[3].first.mode, Mode::bridge);
  for (auto& l : links.table)
    if (l.ifindex == 3) l.master = 0;
  f.on_link(NlEvent::changed, *links.link(3));
  ASSERT_EQ(dp.attached.count(3), 1u);
  EXPECT_EQ(dp.attached[3].first.mode, Mode::router);
}

TEST_F(ForwarderTest, MacChangeAfterAttachReachesTheDataPath) {
  Forwarder f(dp, links, cfg);
  ASSERT_TRUE(f.start());
  int calls = dp.attach_calls;
  LinkInfo l = *links.link(5);
  f.on_link(NlEvent::changed, l);
  EXPECT_EQ(dp.attach_calls, calls) << "no change, no update";
  l.mac = {2, 0, 0, 0, 0, 0x55};
  f.on_link(NlEvent::changed, l);
  EXPECT_EQ(dp.attach_calls, calls + 1);
  EXPECT_EQ(f.list().size(), 3u);
}

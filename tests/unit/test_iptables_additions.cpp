// In-place additions (kube-proxy adding a service with restore --noflush): which inputs take
// the in-place path, that it never accepts what the full path rejects, and that the ruleset it
// leaves (model, compiled tables, data path calls, journal) is the one a recompile gives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "additions.h"
#include "chain_sync.h"
#include "compiled_eval.h"
#include "iptables_service.h"
#include "commands.h"
#include "kube_proxy_rules.h"
#include "rule_parser.h"
#include "restore.h"
#include "save.h"

using namespace netaccel::ipt;
using netaccel::Status;
using namespace netaccel::test;

namespace {

const Endpoint kServer{"10.61.2.2", 7008};

// Records what the service asks of the data path.
class RecordingDataplane : public IptablesDataplane {
 public:
  Status load(const Compiled& c) override {
    ++loads;
    live = c;
    return {};
  }
  Status insert(const Compiled& c, const RuleInsert&) override {
    ++inserts;
    live = c;
    return {};
  }
  Status add_chain(const Compiled& c, uint32_t) override {
    ++chains;
    live = c;
    return {};
  }
  Status remove(const Compiled& c, const RuleDelete&) override {
    ++removes;
    live = c;
    return {};
  }
  Status zero_counters(const Compiled& c, const std::vector<uint32_t>& ids) override {
    zeroed += ids.size();
    live = c;
    return {};
  }
  ipt_counter rule_counter(uint32_t) override { return {}; }
  ipt_counter policy_counter(uint32_t) override { return {}; }
  int loads = 0, inserts = 0, chains = 0, removes = 0;
  size_t zeroed = 0;
  Compiled live;
};

Ruleset restored(const std::string& text, bool noflush = false, const Ruleset& base = empty_ruleset()) {
  auto r = restore(base, text, RestoreOptions{noflush, false});
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? *r : base;
}

std::string saved(const Ruleset& rs) {
  SaveOptions o;
  o.header = false;
  return save(rs, o);
}

// The service's save without its "# Generated ... on <time>" lines (the clock may tick between
// two saves).
std::string saved(IptablesService& svc) {
  std::istringstream in(svc.save(std::nullopt, false));
  std::string line, out;
  while (std::getline(in, line))
    if (line.rfind("#", 0) != 0) out += line + "\n";
  return out;
}

// The first packet of a connection from the client to service i, at nat PREROUTING.
Packet to_service(int i) {
  Packet p;
  p.src = addr4(0x0a3d0102);  // 10.61.1.2
  p.dst = addr4(ntohl(inet_addr(service_ip(i).c_str())));
  p.proto = 6;
  p.sport = 40000;
  p.dport = 80;
  p.in_if = "rc0";
  return p;
}

// In-place tables classify packets to these services as a fresh compile of `expect` does.
void expect_same_verdicts(const Compiled& in_place_tables, const Ruleset& expect, const std::vector<int>& services) {
  auto fresh = compile(expect);
  ASSERT_TRUE(fresh);
  CompiledEvaluator in_place(in_place_tables), full(*fresh);
  for (int i : services)
    for (bool local : {false, true}) {  // local: the NodePort rule (dst-type LOCAL) matches as well
      Packet p = to_service(i);
      p.dst_local = local;
      Decision a = in_place.evaluate(1, IPT_HOOK_PREROUTING, p), b = full.evaluate(1, IPT_HOOK_PREROUTING, p);
      EXPECT_EQ(a.verdict, b.verdict) << service_ip(i);
      EXPECT_TRUE(a.by == b.by) << service_ip(i) << ": " << a.by.chain << " vs " << b.by.chain;
      EXPECT_TRUE(a.matched == b.matched) << service_ip(i) << (local ? " (local)" : "");
    }
}

TEST(IptablesAdditions, KubeProxyServiceIsAdditionsOnly) {
  Ruleset rs = restored(kube_proxy_ruleset(10, kServer));
  auto adds = parse_additions(rs, kube_proxy_add_service(10, kServer));
  ASSERT_TRUE(adds);
  ASSERT_EQ(adds->size(), 7u);  // two chains, five rules
  EXPECT_TRUE((*adds)[0].new_chain);
  EXPECT_TRUE((*adds)[1].new_chain);
  Reach reach[2] = {chain_reach(rs.filter), chain_reach(rs.nat)};
  EXPECT_TRUE(additions_valid(rs, *adds, reach));
  EXPECT_EQ(*adds->back().index, 0u);  // -I KUBE-SERVICES 1
  EXPECT_EQ(*(*adds)[2].index, 0u);    // first -A into the new SVC chain
  EXPECT_EQ(*(*adds)[3].index, 1u);
  EXPECT_EQ(reach[1].count(adds->front().chain), 1u);
}

TEST(IptablesAdditions, AnythingElseTakesTheFullPath) {
  Ruleset rs = restored(kube_proxy_ruleset(10, kServer));
  const char* not_additions[] = {
      "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j RETURN\nCOMMIT\n",  // flushes an existing chain
      "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n",                            // a policy line
      "*nat\n-P PREROUTING DROP\nCOMMIT\n",
      "*nat\n-F KUBE-SERVICES\nCOMMIT\n",
      "*nat\n-X KUBE-NODEPORTS\nCOMMIT\n",
      "*nat\n-A KUBE-SERVICES --bogus\nCOMMIT\n",                             // restore() words the error
      "*nat\n-A KUBE-SERVICES -j RETURN\n",                                  // no COMMIT
      "*nat\n[5:300] -A KUBE-SERVICES -j RETURN\nCOMMIT\n",                  // counters
      "*mangle\n-A PREROUTING -j RETURN\nCOMMIT\n",
      "*nat\n:NEW - [0:0]\n:NEW - [0:0]\nCOMMIT\n",
      "*nat\n:INPUT - [0:0]\nCOMMIT\n",
      "*nat\nCOMMIT\n",                                                       // nothing to add
  };
  for (const char* text : not_additions) EXPECT_FALSE(parse_additions(rs, text)) << text;
}

TEST(IptablesAdditions, RejectsWhatValidateTableRejects) {
  Ruleset rs = restored(kube_proxy_ruleset(10, kServer));
  struct Case {
    const char* what;
    std::string text;
  } cases[] = {
      {"jump to a missing chain", "*nat\n-A KUBE-SERVICES -j NOPE\nCOMMIT\n"},
      {"jump to a built-in chain", "*nat\n-A KUBE-SERVICES -j PREROUTING\nCOMMIT\n"},
      {"rule before its chain", "*nat\n-A NEW -j RETURN\n:NEW - [0:0]\nCOMMIT\n"},
      {"position past the end", "*nat\n:NEW - [0:0]\n-I NEW 2 -j RETURN\nCOMMIT\n"},
      {"loop through a new chain", "*nat\n:NEW - [0:0]\n-A NEW -j KUBE-SERVICES\n-I KUBE-SERVICES 1 -j NEW\nCOMMIT\n"},
      {"loop of new chains", "*nat\n:A - [0:0]\n:B - [0:0]\n-A A -j B\n-A B -j A\nCOMMIT\n"},
      {"DNAT reached from POSTROUTING",
       "*nat\n:NEW - [0:0]\n-A NEW -p tcp -j DNAT --to-destination 10.0.0.1\n-A KUBE-POSTROUTING -j NEW\nCOMMIT\n"},
      {"MASQUERADE reached from PREROUTING", "*nat\n:NEW - [0:0]\n-A NEW -j MASQUERADE\n-A KUBE-SERVICES -j NEW\nCOMMIT\n"},
      {"-o in PREROUTING", "*nat\n-A PREROUTING -o eth0 -j RETURN\nCOMMIT\n"},
      {"widens an existing chain's hooks", "*nat\n-A KUBE-POSTROUTING -j KUBE-SERVICES\nCOMMIT\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Reach reach[2] = {chain_reach(rs.filter), chain_reach(rs.nat)};
    auto adds = parse_additions(rs, c.text);
    if (adds) {
      EXPECT_FALSE(additions_valid(rs, *adds, reach));
    }
  }
  // And the kinds of additions that are fine in place.
  const char* fine[] = {
      "*nat\n-A KUBE-SERVICES -d 10.0.0.9/32 -p tcp -m tcp --dport 80 -j KUBE-MARK-MASQ\nCOMMIT\n",
      "*nat\n-N NEW\n-A NEW -j RETURN\n-I KUBE-NODEPORTS -j NEW\nCOMMIT\n",
      "*filter\n:F - [0:0]\n-A F -p tcp -j REJECT --reject-with tcp-reset\n-I FORWARD 1 -j F\nCOMMIT\n*nat\n-A OUTPUT -j RETURN\nCOMMIT\n",
  };
  for (const char* text : fine) {
    Reach reach[2] = {chain_reach(rs.filter), chain_reach(rs.nat)};
    auto adds = parse_additions(rs, text);
    ASSERT_TRUE(adds) << text;
    EXPECT_TRUE(additions_valid(rs, *adds, reach)) << text;
    // Whatever passes here the full path accepts too.
    EXPECT_TRUE(restore(rs, text, RestoreOptions{true, false})) << text;
  }
}

class ServiceAdditions : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = "/tmp/netaccel-additions-" + std::to_string(getpid()) + ".rules";
    cleanup();
  }
  void TearDown() override { cleanup(); }
  void cleanup() { unlink(state_.c_str()), unlink((state_ + ".journal").c_str()); }
  // Starts svc on state_ with kube-proxy's ruleset for n services; returns that ruleset.
  Ruleset start_with_services(IptablesService& svc, int n) {
    EXPECT_TRUE(svc.start());
    const std::string base = kube_proxy_ruleset(n, kServer);
    EXPECT_TRUE(svc.restore(base, RestoreFlags{}));
    return restored(base);
  }
  std::string state_;
};

TEST_F(ServiceAdditions, AddingServicesInPlaceEqualsRecompiling) {
  RecordingDataplane dp;
  IptablesService svc(dp, state_);
  ASSERT_TRUE(svc.start());
  const std::string base = kube_proxy_ruleset(300, kServer);  // 1,500+ rules: the in-place size
  ASSERT_TRUE(svc.restore(base, RestoreFlags{}));
  ASSERT_EQ(dp.loads, 2);
  Ruleset expect = restored(base);
  for (int i = 300; i < 305; ++i) {
    const std::string add = kube_proxy_add_service(i, kServer);
    ASSERT_TRUE(svc.restore(add, RestoreFlags{true, false, false}));
    expect = restored(add, true, expect);
  }
  EXPECT_EQ(dp.loads, 2) << "nothing recompiled";
  EXPECT_EQ(dp.chains, 10);
  EXPECT_EQ(dp.inserts, 25);
  EXPECT_EQ(saved(svc), saved(expect));
  // The in-place tables classify as a fresh compile does, for packets to every new service.
  expect_same_verdicts(dp.live, expect, {299, 300, 301, 302, 303, 304, 305});
  // A restart replays the journal onto the saved file.
  RecordingDataplane dp2;
  IptablesService again(dp2, state_);
  ASSERT_TRUE(again.start());
  EXPECT_EQ(saved(again), saved(expect));
}

// -D by number and by rule in place: the ruleset, the compiled tables' verdicts for packets to
// the services around the deleted ones, and the journal equal what a recompile gives.
TEST_F(ServiceAdditions, DeletesInPlaceEqualRecompiling) {
  RecordingDataplane dp;
  IptablesService svc(dp, state_);
  Ruleset expect = start_with_services(svc, 300);
  // By number (the top, the middle) and by the rule itself (service 7's portal, as -S prints it).
  const Chain* services = expect.nat.find("KUBE-SERVICES");
  ASSERT_TRUE(services);
  auto spec7 = split_words(rule_spec(services->rules[7], Family::v4));
  ASSERT_TRUE(spec7);
  std::vector<std::vector<std::string>> run = {{"-t", "nat", "-D", "KUBE-SERVICES", "1"},
                                               {"-t", "nat", "-D", "KUBE-SERVICES", "150"},
                                               {"-t", "nat", "-D", "KUBE-SERVICES"}};
  run[2].insert(run[2].end(), spec7->begin(), spec7->end());
  for (const auto& c : run) {
    auto r = svc.command(c);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(run_command(expect, c)) << c[4];
  }
  EXPECT_EQ(dp.loads, 2) << "nothing recompiled";
  EXPECT_EQ(dp.removes, 3);
  EXPECT_EQ(saved(svc), saved(expect));
  expect_same_verdicts(dp.live, expect, {0, 1, 6, 7, 8, 149, 150, 151, 299});
  // A rule that is not there: the full path's error, nothing changes.
  EXPECT_FALSE(svc.command({"-t", "nat", "-D", "KUBE-SERVICES", "-d", "10.0.0.1/32", "-j", "RETURN"}));
  EXPECT_EQ(saved(svc), saved(expect));
  RecordingDataplane dp2;
  IptablesService again(dp2, state_);
  ASSERT_TRUE(again.start());
  EXPECT_EQ(saved(again), saved(expect)) << "the journal replays the deletes";
}

// The chain that service i's portal rule jumps to (KUBE-SVC-...).
std::string service_chain(const Ruleset& rs, int i) {
  for (const Rule& r : rs.nat.find("KUBE-SERVICES")->rules)
    if (r.dst && r.dst->addr == addr4(ntohl(inet_addr(service_ip(i).c_str()))))
      if (auto* j = std::get_if<Jump>(&r.target)) return j->chain;
  return "";
}

// kube-proxy's own syncs (its top-level chains re-declared and rewritten in a new order each
// time) applied in place: ruleset, compiled verdicts, journal-free restart and the single
// commands and additions that follow all equal what recompiling gives; only inputs that need
// it recompile.
TEST_F(ServiceAdditions, KubeProxySyncsApplyInPlaceAndEqualRecompiling) {
  RecordingDataplane dp;
  IptablesService svc(dp, state_);
  const Ruleset base = start_with_services(svc, 300);
  Ruleset expect = base;
  const int loads = dp.loads;
  const RestoreFlags noflush{true, false, false};
  // Ten syncs, each adding a service, each in another order.
  for (int n = 301; n <= 310; ++n) {
    const std::string sync = kube_proxy_sync(n, kServer, static_cast<unsigned>(n));
    ASSERT_TRUE(svc.restore(sync, noflush));
    expect = restored(sync, true, expect);
    ASSERT_EQ(saved(svc), saved(expect)) << "sync to " << n << " services";
  }
  EXPECT_EQ(dp.loads, loads) << "nothing recompiled";
  EXPECT_GT(dp.zeroed, 300u) << "the re-declared chains' counters restart";
  expect_same_verdicts(dp.live, expect, {0, 1, 150, 298, 299, 300, 304, 309});
  // A sync that drops service 150's portal, and one that changes service 7's chain (an
  // endpoint change): a dropped keyed rule, a small exact edit.
  std::string sync = kube_proxy_sync(310, kServer, 99);
  const std::string portal150 = "-d " + service_ip(150) + " ";
  std::istringstream in(sync);
  std::string without150;
  for (std::string line; std::getline(in, line);)
    if (line.find(portal150) == std::string::npos) without150 += line + "\n";
  ASSERT_TRUE(svc.restore(without150, noflush));
  expect = restored(without150, true, expect);
  const std::string svc7 = service_chain(expect, 7);
  ASSERT_FALSE(svc7.empty());
  const std::string endpoints = "*nat\n:" + svc7 + " - [0:0]\n-A " + svc7 + " -j KUBE-MARK-MASQ\n-A " + svc7 +
                                " -m comment --comment moved -j " + service_chain(expect, 0) + "\nCOMMIT\n";
  ASSERT_TRUE(svc.restore(endpoints, noflush));
  expect = restored(endpoints, true, expect);
  EXPECT_EQ(saved(svc), saved(expect));
  EXPECT_EQ(dp.loads, loads) << "still nothing recompiled";
  expect_same_verdicts(dp.live, expect, {0, 7, 149, 150, 151, 309});
  // kube-proxy's minimal update on the reordered chain: in place, by the sync path.
  const std::string add = kube_proxy_add_service(310, kServer);
  ASSERT_TRUE(svc.restore(add, noflush));
  expect = restored(add, true, expect);
  EXPECT_EQ(saved(svc), saved(expect));
  EXPECT_EQ(dp.loads, loads);
  expect_same_verdicts(dp.live, expect, {0, 150, 309, 310});
  // -D by number on the reordered chain: the model's numbering, through a recompile.
  const std::vector<std::string> del = {"-t", "nat", "-D", "KUBE-SERVICES", "5"};
  ASSERT_TRUE(svc.command(del));
  ASSERT_TRUE(run_command(expect, del));
  EXPECT_EQ(saved(svc), saved(expect));
  EXPECT_EQ(dp.loads, loads + 1);
  expect_same_verdicts(dp.live, expect, {0, 1, 2, 3, 4, 5, 150, 310});
  // A sync that deletes a chain (-X) recompiles; a restart reads the same ruleset back.
  const std::string svc150 = service_chain(base, 150);  // as kube-proxy deletes one: flushed, then -X
  const std::string drop = "*nat\n:" + svc150 + " - [0:0]\n-X " + svc150 + "\nCOMMIT\n";
  ASSERT_TRUE(svc.restore(drop, noflush));
  expect = restored(drop, true, expect);
  EXPECT_EQ(saved(svc), saved(expect));
  EXPECT_EQ(dp.loads, loads + 2);
  RecordingDataplane dp2;
  IptablesService again(dp2, state_);
  ASSERT_TRUE(again.start());
  EXPECT_EQ(saved(again), saved(expect));
}

TEST(IptablesChainSync, PlansOnlyEquivalentReorders) {
  auto rules = [](const std::string& text) { return restored("*filter\n:X - [0:0]\n" + text + "COMMIT\n").filter.find("X")->rules; };
  const std::string a = "-A X -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j RETURN\n";
  const std::string b = "-A X -d 10.0.0.2/32 -p tcp -m tcp --dport 80 -j RETURN\n";
  const std::string b443 = "-A X -d 10.0.0.2/32 -p tcp -m tcp --dport 443 -j RETURN\n";
  const std::string b2 = "-A X -d 10.0.0.2/32 -p tcp -m tcp --dport 80 -j ACCEPT\n";
  const std::string wide = "-A X -d 10.0.0.0/8 -j DROP\n";  // overlaps everything: a barrier
  auto plan = [&](const std::string& from, const std::string& to) { return plan_chain_edit(rules(from), rules(to), Family::v4, 1); };
  EXPECT_EQ(plan(a + b, a + b)->kind, ChainEdit::unchanged);
  EXPECT_EQ(plan(a + b, b + a)->kind, ChainEdit::permuted) << "disjoint keys";
  EXPECT_EQ(plan(a + b + wide, b + a + wide)->kind, ChainEdit::permuted);
  EXPECT_FALSE(plan(a + wide + b, b + wide + a)) << "moved across a barrier";
  EXPECT_FALSE(plan(a + b + wide, a + wide + b)) << "a barrier moved";
  EXPECT_FALSE(plan(b + b2, b2 + b)) << "same key: order matters";
  EXPECT_EQ(plan(b + b443 + a, a + b443 + b)->kind, ChainEdit::permuted) << "same address, other port";
  EXPECT_FALSE(plan(a + b, b + a + wide)) << "an added barrier";
  EXPECT_FALSE(plan(a + b + b443, b443 + a + b2)) << "two changes, one allowed";
  auto added = plan_chain_edit(rules(a + b + wide), rules(b443 + b + a + wide), Family::v4, 1, false);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->kind, ChainEdit::permuted);
  EXPECT_FALSE(added->old_of_new[0]);
  EXPECT_EQ(added->segment_of_new[0], 0u);
  auto exact = plan(a + wide, a + b + wide);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->kind, ChainEdit::exact);
  EXPECT_EQ(exact->first, 1u);
  EXPECT_EQ(exact->added, 1u);
}

TEST_F(ServiceAdditions, BadAdditionChangesNothingAndNamesTheLine) {
  RecordingDataplane dp;
  IptablesService svc(dp, state_);
  ASSERT_TRUE(svc.start());
  ASSERT_TRUE(svc.restore(kube_proxy_ruleset(300, kServer), RestoreFlags{}));
  const std::string before = saved(svc);
  auto st = svc.restore("*nat\n:NEW - [0:0]\n-A NEW -j KUBE-SERVICES\n-I KUBE-SERVICES 1 -j NEW\nCOMMIT\n", RestoreFlags{true, false, false});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("loop"), std::string::npos) << st.error().message;
  st = svc.restore("*nat\n:NEW - [0:0]\n-A NEW -p tcp --dport\nCOMMIT\n", RestoreFlags{true, false, false});
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("line 3"), std::string::npos) << st.error().message;
  EXPECT_EQ(saved(svc), before);
  EXPECT_EQ(dp.loads, 2);
}

}  // namespace

// In-place additions (kube-proxy adding a service with restore --noflush): which inputs take
// the in-place path, that it never accepts what the full path rejects, and that the ruleset it
// leaves (model, compiled tables, data path calls, journal) is the one a recompile gives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <fstream>
#include <sstream>

#include "additions.h"
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
  ipt_counter rule_counter(uint32_t) override { return {}; }
  ipt_counter policy_counter(uint32_t) override { return {}; }
  int loads = 0, inserts = 0, chains = 0, removes = 0;
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
  for (int i : services) {
    Packet p = to_service(i);
    Decision a = in_place.evaluate(1, IPT_HOOK_PREROUTING, p), b = full.evaluate(1, IPT_HOOK_PREROUTING, p);
    EXPECT_EQ(a.verdict, b.verdict) << service_ip(i);
    EXPECT_TRUE(a.by == b.by) << service_ip(i) << ": " << a.by.chain << " vs " << b.by.chain;
    EXPECT_EQ(a.matched.size(), b.matched.size()) << service_ip(i);
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
  ASSERT_TRUE(svc.start());
  const std::string base = kube_proxy_ruleset(300, kServer);
  ASSERT_TRUE(svc.restore(base, RestoreFlags{}));
  Ruleset expect = restored(base);
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

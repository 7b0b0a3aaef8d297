// The compiled classifier (tuple space search, the BPF program's algorithm) against iptables'
// rule-by-rule semantics (ReferenceEvaluator) on random rulesets and random packets: the same
// verdict, deciding rule, every matched rule in order (counters), and final mark.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>

#include "compiled_eval.h"
#include "compiler.h"
#include "reference_eval.h"
#include "restore.h"
#include "ruleset.h"
#include "random_packet.h"
#include "ruleset_generator.h"

using namespace netaccel::ipt;
using namespace netaccel::test;

namespace {

std::string describe(const Decision& d) {
  std::string s = "verdict " + std::to_string(d.verdict) + " by " + d.by.chain + "#" + std::to_string(d.by.index) + " mark " +
                  std::to_string(d.mark) + " matched:";
  for (const auto& m : d.matched) s += " " + m.chain + "#" + std::to_string(m.index);
  return s;
}

struct Coverage {
  long decisions = 0, by_rule = 0, matched = 0;
};

void compare_on(const Ruleset& rs, int table, std::mt19937& rng, int packets, const std::string& text, Coverage* cov = nullptr,
                bool ipv6 = false) {
  auto compiled = compile(rs);
  ASSERT_TRUE(compiled) << compiled.error().what();
  ReferenceEvaluator ref(rs);
  CompiledEvaluator cev(*compiled);
  const TableId tid = table == 0 ? TableId::filter : TableId::nat;
  const std::vector<std::pair<std::string, int>> hooks =
      table == 0 ? std::vector<std::pair<std::string, int>>{{"INPUT", IPT_HOOK_INPUT}, {"FORWARD", IPT_HOOK_FORWARD}, {"OUTPUT", IPT_HOOK_OUTPUT}}
                 : std::vector<std::pair<std::string, int>>{{"PREROUTING", IPT_HOOK_PREROUTING}, {"INPUT", IPT_HOOK_INPUT},
                                                            {"OUTPUT", IPT_HOOK_OUTPUT}, {"POSTROUTING", IPT_HOOK_POSTROUTING}};
  for (int i = 0; i < packets; ++i) {
    Packet p = ipv6 ? random_packet6(rng) : random_packet(rng);
    for (const auto& [chain, hook] : hooks) {
      Decision a = ref.evaluate(tid, chain, p);
      Decision b = cev.evaluate(table, hook, p);
      ASSERT_FALSE(b.steps_exceeded);
      ASSERT_EQ(a.verdict, b.verdict) << chain << "\n" << describe(a) << "\n" << describe(b) << "\n" << text;
      ASSERT_EQ(a.by, b.by) << chain << "\n" << describe(a) << "\n" << describe(b) << "\n" << text;
      ASSERT_EQ(a.matched, b.matched) << chain << "\n" << describe(a) << "\n" << describe(b) << "\n" << text;
      ASSERT_EQ(a.mark, b.mark) << chain;
      if (cov) {
        cov->decisions++;
        cov->by_rule += !a.by.chain.empty();
        cov->matched += static_cast<long>(a.matched.size());
      }
    }
  }
}

TEST(IptablesClassifier, CompiledAgreesWithReferenceOnRandomRulesets) {
  std::mt19937 rng(4242);
  Coverage cov;
  for (int round = 0; round < 60; ++round) {
    RulesetShape shape;
    shape.nat = round % 4 == 3;
    shape.rules = 10 + static_cast<int>(rng() % 120);
    std::string text = random_ruleset(rng, shape);
    auto rs = restore(empty_ruleset(), text, {});
    ASSERT_TRUE(rs) << rs.error().what() << "\n" << text;
    compare_on(*rs, shape.nat ? 1 : 0, rng, 300, text, &cov);
    if (HasFatalFailure()) return;
  }
  // The packets really exercise the rules, not just the policies.
  EXPECT_GT(cov.by_rule * 4, cov.decisions) << cov.by_rule << " of " << cov.decisions;
  EXPECT_GT(cov.matched, cov.decisions) << "matched rules per decision";
  RecordProperty("decisions", static_cast<int>(cov.decisions));
  RecordProperty("by_rule", static_cast<int>(cov.by_rule));
}

// The same over IPv6: 128-bit prefixes (lengths past 32, 64 and 96 bits), ICMPv6 types, the
// ip6tables vocabulary; NAT targets included.
TEST(IptablesClassifier, CompiledAgreesWithReferenceOnRandomIp6Rulesets) {
  std::mt19937 rng(6262);
  Coverage cov;
  for (int round = 0; round < 40; ++round) {
    RulesetShape shape;
    shape.ipv6 = true;
    shape.nat = round % 4 == 3;
    shape.dnat_to = "fd00::9";
    shape.snat_to = "fd00::8";
    shape.rules = 10 + static_cast<int>(rng() % 120);
    std::string text = random_ruleset(rng, shape);
    auto rs = restore(empty_ruleset(Family::v6), text, {});
    ASSERT_TRUE(rs) << rs.error().what() << "\n" << text;
    compare_on(*rs, shape.nat ? 1 : 0, rng, 300, text, &cov, true);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(cov.by_rule * 4, cov.decisions) << cov.by_rule << " of " << cov.decisions;
  EXPECT_GT(cov.matched, cov.decisions) << "matched rules per decision";
}

TEST(IptablesClassifier, ManyShapesAreMergedIntoSixteenTuples) {
  // 40 rules with 40 different shapes in one chain: the compiler must merge tuples and keep
  // first-match order exact.
  std::string text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 40; ++i)
    text += "-A FORWARD -s 10.1.0.0/" + std::to_string(8 + i % 25) + " -d 10.2.0.0/" + std::to_string(8 + (i * 7) % 25) +
            (i % 3 ? " -p tcp --dport " + std::to_string(80 + i % 2) : std::string()) + " -j " + (i % 2 ? "ACCEPT" : "DROP") + "\n";
  text += "COMMIT\n";
  auto rs = restore(empty_ruleset(), text, {});
  ASSERT_TRUE(rs) << rs.error().what();
  auto c = compile(*rs);
  ASSERT_TRUE(c);
  for (const auto& ch : c->chains) EXPECT_LE(ch.ntuples, static_cast<uint32_t>(IPT_MAX_TUPLES));
  std::mt19937 rng(7);
  compare_on(*rs, 0, rng, 2000, text);
}

TEST(IptablesClassifier, LargeChainOfDistinctRulesHasShortBuckets) {
  // The benchmark's shape: 50,000 FORWARD rules, each one flow.
  std::string text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 50000; ++i)
    text += "-A FORWARD -s 10.10." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/32 -d 10.20.0.1/32 -p udp -m udp --dport " +
            std::to_string(1000 + i % 50000) + " -j ACCEPT\n";
  text += "COMMIT\n";
  auto rs = restore(empty_ruleset(), text, {});
  ASSERT_TRUE(rs) << rs.error().what();
  auto c = compile(*rs);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->max_bucket, 1u);
  EXPECT_EQ(c->chains[1].ntuples, 1u);  // filter/FORWARD: one shape
  CompiledEvaluator cev(*c);
  Packet p;
  p.src = addr4(ipv4_host("10.10.199.250"));  // the last rule
  p.dst = addr4(ipv4_host("10.20.0.1"));
  p.proto = 17;
  p.dport = 1000 + 49999;
  Decision d = cev.evaluate(0, IPT_HOOK_FORWARD, p);
  EXPECT_EQ(d.verdict, static_cast<uint32_t>(IPT_V_ACCEPT));
  EXPECT_EQ(d.by.index, 49999u);
}

// In-place inserts (the daemon's fast -A/-I path) keep the compiled ruleset equal to a fresh
// compile of the changed model: same answers for random packets after every insert.
TEST(IptablesClassifier, InPlaceInsertsAndDeletesAgreeWithTheReference) {
  std::mt19937 rng(777);
  int in_place = 0, refused = 0, deleted = 0;
  const std::vector<std::string> chains = {"INPUT", "FORWARD", "OUTPUT", "U0", "U1"};
  for (int round = 0; round < 20; ++round) {
    RulesetShape shape;
    shape.rules = 60;
    auto rs = restore(empty_ruleset(), random_ruleset(rng, shape), {});
    ASSERT_TRUE(rs);
    auto c = compile(*rs);
    ASSERT_TRUE(c);
    for (int k = 0; k < 15; ++k) {
      std::string name = chains[rng() % chains.size()];
      Chain* ch = rs->filter.find(name);
      if (!ch) continue;
      std::string what;
      if (k % 3 == 2) {  // every third change deletes a rule instead (jumps included)
        if (ch->rules.empty()) continue;
        size_t index = rng() % ch->rules.size();
        auto del = delete_rule(*c, TableId::filter, name, index);
        ASSERT_TRUE(del) << del.error().message;
        ch->rules.erase(ch->rules.begin() + static_cast<long>(index));
        ++deleted;
        what = "after deleting rule " + std::to_string(index) + " of " + name;
      } else {
        // A rule from another random ruleset of the same vocabulary, without jumps.
        RulesetShape donor;
        donor.rules = 5;
        donor.user_chains = 0;
        auto d = restore(empty_ruleset(), random_ruleset(rng, donor), {});
        ASSERT_TRUE(d);
        const Chain* from = nullptr;
        for (const auto& dc : d->filter.chains)
          if (!dc.rules.empty()) from = &dc;
        if (!from) continue;
        const Rule& rule = from->rules[rng() % from->rules.size()];
        if ((!rule.in_if.empty() && name == "OUTPUT") || (!rule.out_if.empty() && name == "INPUT")) continue;
        size_t index = rng() % (ch->rules.size() + 1);
        auto ins = insert_rule(*c, TableId::filter, name, index, rule);
        ch->rules.insert(ch->rules.begin() + static_cast<long>(index), rule);
        if (!ins) {
          ++refused;
          auto again = compile(*rs);
          ASSERT_TRUE(again);
          *c = std::move(*again);
          continue;
        }
        ++in_place;
        what = "after inserting into " + name + " at " + std::to_string(index);
      }
      ReferenceEvaluator ref(*rs);
      CompiledEvaluator cev(*c);
      for (int i = 0; i < 100; ++i) {
        Packet p = random_packet(rng);
        for (auto [chain, hook] : std::vector<std::pair<std::string, int>>{{"INPUT", IPT_HOOK_INPUT}, {"FORWARD", IPT_HOOK_FORWARD}, {"OUTPUT", IPT_HOOK_OUTPUT}}) {
          Decision a = ref.evaluate(TableId::filter, chain, p);
          Decision b = cev.evaluate(0, hook, p);
          ASSERT_EQ(a.verdict, b.verdict) << what;
          ASSERT_EQ(a.matched, b.matched) << what;
        }
      }
    }
  }
  EXPECT_GT(in_place, 100) << refused << " needed a full compile";
  EXPECT_GT(deleted, 50);
}

}  // namespace

// The classifier in BPF (ipt_classify_test.bpf.o under BPF_PROG_RUN) against the compiled
// evaluator in C++ (itself held to iptables' semantics by unit_iptables_classifier): random
// rulesets loaded into the maps, random frames, every hook; same verdict, deciding rule,
// matched rules in order, mark, and per-rule counters. Both families: the object loaded with
// rodata ipt_family for IPv4 and for IPv6 (ip6tables rulesets, IPv6 frames).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "compiled_eval.h"
#include "compiler.h"
#include "harness.h"
#include "ipt_classify_test.skel.h"
#include "map_loader.h"
#include "netaccel/core/skeleton.h"
#include "packet_builder.h"
#include "restore.h"
#include "random_packet.h"
#include "ruleset_generator.h"

template <>
struct netaccel::SkeletonTraits<ipt_classify_test> {
  static ipt_classify_test* open(const bpf_object_open_opts* o) { return ipt_classify_test__open_opts(o); }
  static int load(ipt_classify_test* s) { return ipt_classify_test__load(s); }
  static void destroy(ipt_classify_test* s) { ipt_classify_test__destroy(s); }
};

using namespace netaccel;
using namespace netaccel::ipt;
using namespace netaccel::test;

namespace {

std::string ip_text(uint32_t host) {
  in_addr a{htonl(host)};
  char b[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, b, sizeof(b));
  return b;
}

// Interfaces get fixed fake ifindexes: the classifier only looks them up in ipt_ifaces.
int ifindex_of(const std::string& name) {
  const auto& ifs = generator_interfaces();
  for (size_t i = 0; i < ifs.size(); ++i)
    if (ifs[i] == name) return 101 + static_cast<int>(i);
  return 0;
}

std::vector<uint8_t> frame_of(const Packet& p, Family family) {
  PacketBuilder b;
  b.eth("02:00:00:00:00:02", "02:00:00:00:00:01");
  if (family == Family::v6) b.ipv6(format_addr(p.src, family), format_addr(p.dst, family));
  else b.ipv4(ip_text(p.src[0]), ip_text(p.dst[0]));
  const size_t l4 = 14 + (family == Family::v6 ? 40 : 20);
  if (p.proto == 6) b.tcp(p.sport, p.dport, 10);
  else if (p.proto == 17) b.udp(p.sport, p.dport, 10);
  else if (p.proto == 58) b.icmp6(p.icmp_type, p.icmp_code, {0, 1, 0, 1});
  else b.icmp_echo();
  auto f = b.build();
  if (p.proto == 6) f[l4 + 13] = p.tcp_flags;
  if (p.proto == 1) f[l4] = p.icmp_type, f[l4 + 1] = p.icmp_code;
  return f;
}

class IptablesClassifyProgRun : public ::testing::Test {
 protected:
  virtual Family family() const { return Family::v4; }
  void SetUp() override {
    if (auto why = missing_privileges(); !why.empty()) GTEST_SKIP() << why;
    auto skel = Skeleton<ipt_classify_test>::open("ipt_classify_test");
    ASSERT_TRUE(skel);
    (*skel)->rodata->ipt_family = family() == Family::v4 ? IPT_FAMILY_V4 : IPT_FAMILY_V6;
    ASSERT_TRUE(skel->load()) << "the verifier refused the classifier";
    skel_ = std::make_unique<Skeleton<ipt_classify_test>>(std::move(*skel));
    auto* m = (*skel_)->maps.ipt_config;
    (void)m;
    maps_.config = bpf_map__fd((*skel_)->maps.ipt_config);
    maps_.chains = bpf_map__fd((*skel_)->maps.ipt_chains);
    maps_.rules = bpf_map__fd((*skel_)->maps.ipt_rules);
    maps_.buckets = bpf_map__fd((*skel_)->maps.ipt_buckets);
    maps_.ifaces = bpf_map__fd((*skel_)->maps.ipt_ifaces);
    maps_.counters = bpf_map__fd((*skel_)->maps.ipt_counters);
    maps_.nth = bpf_map__fd((*skel_)->maps.ipt_nth);
    // Both hook tables of both slots start empty (IPT_NONE).
    ipt_config cfg{};
    for (auto& slot : cfg.hook_chain)
      for (auto& c : slot) c = IPT_NONE;
    uint32_t zero = 0;
    ASSERT_EQ(bpf_map_update_elem(maps_.config, &zero, &cfg, BPF_ANY), 0);
  }

  ipt_decision run(const Packet& p, int hook, int table) {
    auto frame = frame_of(p, family());
    __sk_buff ctx{};
    ctx.mark = p.mark;
    ctx.ingress_ifindex = static_cast<uint32_t>(ifindex_of(p.in_if));
    ctx.cb[IPT_TCB_HOOK_TABLE] = static_cast<uint32_t>(hook * 2 + table);
    ctx.cb[IPT_TCB_OUT_IFINDEX] = static_cast<uint32_t>(ifindex_of(p.out_if));
    ctx.cb[IPT_TCB_CTSTATE] = p.ctstate;
    ctx.cb[IPT_TCB_LOCAL] = (p.src_local ? 1u : 0u) | (p.dst_local ? 2u : 0u);
    ctx.cb[IPT_TCB_RANDOM31] = p.random31;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_size_in = static_cast<uint32_t>(frame.size()),
                .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
    EXPECT_EQ(bpf_prog_test_run_opts(bpf_program__fd((*skel_)->progs.ipt_classify_test), &opts), 0) << strerror(errno);
    ipt_decision d{};
    uint32_t zero = 0;
    bpf_map_lookup_elem(bpf_map__fd((*skel_)->maps.ipt_last_decision), &zero, &d);
    return d;
  }

  void agrees_on_random_rulesets();

  std::unique_ptr<Skeleton<ipt_classify_test>> skel_;
  ClassifierMaps maps_;
};

class Ip6tablesClassifyProgRun : public IptablesClassifyProgRun {
 protected:
  Family family() const override { return Family::v6; }
};

TEST_F(IptablesClassifyProgRun, BpfAgreesWithCompiledEvaluatorOnRandomRulesets) { agrees_on_random_rulesets(); }
TEST_F(Ip6tablesClassifyProgRun, BpfAgreesWithCompiledEvaluatorOnRandomRulesets) { agrees_on_random_rulesets(); }

void IptablesClassifyProgRun::agrees_on_random_rulesets() {
  const bool v6 = family() == Family::v6;
  std::mt19937 rng(v6 ? 66 : 99);
  std::map<std::string, int> ifaces;
  for (const auto& n : generator_interfaces()) ifaces[n] = ifindex_of(n);
  uint32_t slot = 0;
  MapLoader loader(maps_);
  for (int round = 0; round < 16; ++round) {
    RulesetShape shape;
    shape.ipv6 = v6;
    shape.nat = round % 4 == 3;
    if (v6) shape.dnat_to = "fd00::9", shape.snat_to = "fd00::8";
    shape.rules = 20 + static_cast<int>(rng() % 80);
    std::string text = random_ruleset(rng, shape);
    auto rs = restore(empty_ruleset(family()), text, {});
    ASSERT_TRUE(rs) << rs.error().what();
    auto c = compile(*rs);
    ASSERT_TRUE(c) << c.error().what();
    // Alternate slots: every round is also an atomic swap from the previous ruleset.
    slot ^= 1;
    ASSERT_TRUE(loader.load(*c, slot));
    ASSERT_TRUE(loader.set_interfaces(*c, ifaces));
    ASSERT_TRUE(loader.activate(slot, *c));
    CompiledEvaluator cev(*c);
    const int table = shape.nat ? 1 : 0;
    std::vector<int> hooks = shape.nat ? std::vector<int>{IPT_HOOK_PREROUTING, IPT_HOOK_INPUT, IPT_HOOK_OUTPUT, IPT_HOOK_POSTROUTING}
                                       : std::vector<int>{IPT_HOOK_INPUT, IPT_HOOK_FORWARD, IPT_HOOK_OUTPUT};
    std::vector<uint64_t> expected_hits(c->rules.size(), 0);
    for (int i = 0; i < 150; ++i) {
      Packet p = v6 ? random_packet6(rng, true) : random_packet(rng, true);
      for (int hook : hooks) {
        Decision want = cev.evaluate(table, hook, p);
        ipt_decision got = run(p, hook, table);
        ASSERT_EQ(got.flags & IPT_D_STEPS_EXCEEDED, 0u);
        ASSERT_EQ(got.verdict, want.verdict) << "round " << round << " hook " << hook << "\n" << text;
        std::vector<RuleRef> path;
        for (uint32_t k = 0; k < got.npath && k < IPT_MAX_PATH; ++k) path.push_back(c->rule_refs[got.path[k] - slot * kRulesPerSlot]);
        ASSERT_EQ(path, want.matched) << "round " << round << " hook " << hook << "\n" << text;
        if (want.by.chain.empty()) ASSERT_EQ(got.by, IPT_NONE);
        else ASSERT_EQ(c->rule_refs[got.by - slot * kRulesPerSlot], want.by);
        ASSERT_EQ(got.mark, want.mark);
        for (uint32_t k = 0; k < got.npath && k < IPT_MAX_PATH; ++k) expected_hits[got.path[k] - slot * kRulesPerSlot]++;
      }
    }
    // Per-rule counters: every match counted once, with its bytes; read one by one and in a
    // batch (either slot: the batch starts at the slot's first id).
    auto all = loader.counters(slot, static_cast<uint32_t>(c->rules.size()));
    ASSERT_TRUE(all) << all.error().what();
    ASSERT_EQ(all->size(), c->rules.size());
    for (uint32_t id = 0; id < c->rules.size(); ++id) {
      auto cnt = loader.counter(slot, id);
      ASSERT_TRUE(cnt);
      ASSERT_EQ(cnt->packets, expected_hits[id]) << "rule " << id;
      ASSERT_EQ((*all)[id].packets, cnt->packets) << "rule " << id;
      ASSERT_EQ((*all)[id].bytes, cnt->bytes) << "rule " << id;
    }
  }
}

TEST_F(IptablesClassifyProgRun, FiftyThousandRulesStillOneLookup) {
  std::string text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int i = 0; i < 50000; ++i)
    text += "-A FORWARD -s 10.10." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
            "/32 -d 10.20.0.1/32 -p udp -m udp --dport 5000 -j ACCEPT\n";
  text += "COMMIT\n";
  auto rs = restore(empty_ruleset(), text, {});
  ASSERT_TRUE(rs);
  auto c = compile(*rs);
  ASSERT_TRUE(c);
  MapLoader loader(maps_);
  ASSERT_TRUE(loader.load(*c, 0));
  ASSERT_TRUE(loader.activate(0, *c));
  Packet last;
  last.src = addr4(ipv4_host("10.10.199.250"));
  last.dst = addr4(ipv4_host("10.20.0.1"));
  last.proto = 17;
  last.sport = 4000;
  last.dport = 5000;
  ipt_decision d = run(last, IPT_HOOK_FORWARD, 0);
  EXPECT_EQ(d.verdict, static_cast<uint32_t>(IPT_V_ACCEPT));
  EXPECT_EQ(d.by, 49999u);
  EXPECT_EQ(d.steps, 1u) << "one candidate examined for the last of 50,000 rules";
  Packet miss = last;
  miss.src = addr4(ipv4_host("10.99.0.1"));
  d = run(miss, IPT_HOOK_FORWARD, 0);
  EXPECT_EQ(d.verdict, static_cast<uint32_t>(IPT_V_DROP));  // the policy
  EXPECT_EQ(d.by, IPT_NONE);
  EXPECT_EQ(d.steps, 0u);
}

}  // namespace

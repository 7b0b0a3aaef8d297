#include "compiled_eval.h"

#include <arpa/inet.h>

namespace netaccel::ipt {

namespace {

struct Cursor {
  uint32_t rule = IPT_NONE;
  uint64_t pos = UINT64_MAX;
};

struct Frame {
  uint32_t chain = IPT_NONE;
  Cursor cur[IPT_MAX_TUPLES];
};

bool in_range(uint16_t v, uint16_t lo, uint16_t hi) { return v >= lo && v <= hi; }

// (a & mask) == addr over all four words, as the BPF classifier compares.
bool addr_in(const ipt_addr& a, const ipt_addr& addr, const ipt_addr& mask) {
  for (int i = 0; i < 4; ++i)
    if ((a.w[i] & mask.w[i]) != addr.w[i]) return false;
  return true;
}

}  // namespace

bool CompiledEvaluator::residual(uint32_t id, const Packet& p, const ipt_iface& in, const ipt_iface& out, Decision& d) {
  const ipt_rule& r = c_.rules[id];
  const uint32_t ck = r.check;
  if (ck & IPT_C_PER_PACKET) d.cacheable = false;
  if ((ck & IPT_C_SRC) && (addr_in(to_be(p.src), r.src_addr, r.src_mask) == !!(ck & IPT_C_SRC_NEG))) return false;
  if ((ck & IPT_C_DST) && (addr_in(to_be(p.dst), r.dst_addr, r.dst_mask) == !!(ck & IPT_C_DST_NEG))) return false;
  if ((ck & IPT_C_PROTO) && ((p.proto == r.proto) == !!(ck & IPT_C_PROTO_NEG))) return false;
  if ((ck & IPT_C_IN) && ((((in.patterns >> r.in_pattern) & 1) != 0) == !!(ck & IPT_C_IN_NEG))) return false;
  if ((ck & IPT_C_OUT) && ((((out.patterns >> r.out_pattern) & 1) != 0) == !!(ck & IPT_C_OUT_NEG))) return false;
  // Port checks apply to the rule's own protocol (the parser insists on -p tcp/udp/sctp).
  if ((ck & (IPT_C_SPORT | IPT_C_DPORT | IPT_C_TCPFLAGS | IPT_C_MULTIPORT)) && p.proto != r.proto) return false;
  if ((ck & IPT_C_SPORT) && (in_range(p.sport, r.sport_lo, r.sport_hi) == !!(ck & IPT_C_SPORT_NEG))) return false;
  if ((ck & IPT_C_DPORT) && (in_range(p.dport, r.dport_lo, r.dport_hi) == !!(ck & IPT_C_DPORT_NEG))) return false;
  if ((ck & IPT_C_TCPFLAGS) && (((p.tcp_flags & r.tcp_mask) == r.tcp_comp) == !!(ck & IPT_C_TCPFLAGS_NEG))) return false;
  if (ck & IPT_C_MULTIPORT) {
    bool any = false;
    for (uint32_t i = 0; i < r.mp_count && i < IPT_MAX_MULTIPORT; ++i)
      if ((r.mp_dir != 1 && in_range(p.sport, r.mp[i].lo, r.mp[i].hi)) || (r.mp_dir != 0 && in_range(p.dport, r.mp[i].lo, r.mp[i].hi)))
        any = true;
    if (any == !!(ck & IPT_C_MULTIPORT_NEG)) return false;
  }
  if ((ck & IPT_C_CTSTATE) && !(p.ctstate & r.ctstates)) return false;
  if ((ck & IPT_C_MARK) && (((p.mark & r.mark_mask) == r.mark_value) == !!(ck & IPT_C_MARK_NEG))) return false;
  if ((ck & IPT_C_SRC_LOCAL) && (p.src_local == !!(ck & IPT_C_SRC_LOCAL_NEG))) return false;
  if ((ck & IPT_C_DST_LOCAL) && (p.dst_local == !!(ck & IPT_C_DST_LOCAL_NEG))) return false;
  if (ck & IPT_C_ICMP) {
    if (p.proto != r.proto) return false;  // icmp or ipv6-icmp, as the rule's -p
    bool hit = r.icmp_any_code == 2 || (p.icmp_type == r.icmp_type && (r.icmp_any_code || p.icmp_code == r.icmp_code));
    if (hit == !!(ck & IPT_C_ICMP_NEG)) return false;
  }
  if ((ck & IPT_C_RANDOM) && !(p.random31 < r.probability)) return false;
  if (ck & IPT_C_NTH) {  // last: only packets that pass everything else advance the counter
    uint32_t e = ++nth_[id];  // xt_statistic: starts at --packet, matches when it wraps to 0
    if ((static_cast<uint64_t>(r.nth_packet) + e) % (static_cast<uint64_t>(r.nth_every) + 1) != 0) return false;
  }
  return true;
}

Decision CompiledEvaluator::evaluate(int table, int hook, const Packet& p) {
  Decision d;
  d.mark = p.mark;
  uint32_t start = c_.hook_chain[hook * 2 + table];
  if (start == IPT_NONE) return d;
  const ipt_iface in = iface_entry(c_, p.in_if), out = iface_entry(c_, p.out_if);
  std::vector<Frame> stack;
  Frame f;
  Packet cur = p;
  auto enter = [&](uint32_t chain) {
    f = Frame{};
    f.chain = chain;
    const ipt_chain& ch = c_.chains[chain];
    for (uint32_t t = 0; t < ch.ntuples && t < IPT_MAX_TUPLES; ++t) {
      auto it = c_.buckets.find(packet_key(chain, t, ch.tuples[t], cur, c_));
      if (it == c_.buckets.end()) continue;
      f.cur[t] = Cursor{it->second.first, c_.rules[it->second.first].pos};
    }
  };
  // The end of a chain, or RETURN: back to the calling chain, or (at the top) the policy.
  // False when the decision is made.
  auto leave = [&]() {
    if (stack.empty()) {
      d.verdict = c_.chains[f.chain].policy == IPT_V_DROP ? IPT_V_DROP : IPT_V_ACCEPT;
      d.by = RuleRef{table, "", 0};
      return false;
    }
    f = stack.back();
    stack.pop_back();
    return true;
  };
  enter(start);
  for (int steps = 0; steps < IPT_MAX_STEPS; ++steps) {
    int best = -1;
    for (int t = 0; t < IPT_MAX_TUPLES; ++t)
      if (f.cur[t].rule != IPT_NONE && (best < 0 || f.cur[t].pos < f.cur[best].pos)) best = t;
    if (best < 0) {  // end of chain
      if (!leave()) return d;
      continue;
    }
    uint32_t id = f.cur[best].rule;
    const ipt_rule& r = c_.rules[id];
    f.cur[best] = r.next == IPT_NONE ? Cursor{} : Cursor{r.next, c_.rules[r.next].pos};
    cur.mark = d.mark;
    if (!residual(id, cur, in, out, d)) continue;
    d.matched.push_back(c_.rule_refs[id]);
    switch (r.verdict) {
      case IPT_V_NONE:
      case IPT_V_LOG:
        continue;
      case IPT_V_MARK:
        d.mark = (d.mark & ~r.set_mark_mask) ^ r.set_mark_value;
        continue;
      case IPT_V_RETURN:
        if (!leave()) return d;
        continue;
      case IPT_V_JUMP:
        if (stack.size() >= IPT_MAX_DEPTH) {
          d.steps_exceeded = true;
          return d;
        }
        stack.push_back(f);
        enter(r.arg);
        continue;
      case IPT_V_GOTO:
        enter(r.arg);
        continue;
      default:
        d.verdict = r.verdict;
        d.by = c_.rule_refs[id];
        return d;
    }
  }
  d.steps_exceeded = true;
  return d;
}

}  // namespace netaccel::ipt

#include "reference_eval.h"

namespace netaccel::ipt {

bool ReferenceEvaluator::matches(const Rule& r, const Packet& p, const RuleRef& ref, Decision& d) {
  if (r.src && (r.src->contains(p.src) == r.src_neg)) return false;
  if (r.dst && (r.dst->contains(p.dst) == r.dst_neg)) return false;
  if (!r.in_if.empty() && (iface_matches(r.in_if, p.in_if) == r.in_neg)) return false;
  if (!r.out_if.empty() && (iface_matches(r.out_if, p.out_if) == r.out_neg)) return false;
  if (r.proto && ((p.proto == r.proto) == r.proto_neg)) return false;
  bool nth_pending = false;
  const StatisticMatch* nth = nullptr;
  for (const auto& m : r.matches) {
    bool ok = true;
    if (auto* pm = std::get_if<PortMatch>(&m)) {
      if (p.proto != pm->proto) return false;
      if (pm->sport && (pm->sport->contains(p.sport) == pm->sport_neg)) ok = false;
      if (pm->dport && (pm->dport->contains(p.dport) == pm->dport_neg)) ok = false;
      if (pm->tcp_flags) {
        d.cacheable = false;
        if (((p.tcp_flags & pm->tcp_flags->first) == pm->tcp_flags->second) == pm->tcp_flags_neg) ok = false;
      }
    } else if (auto* mp = std::get_if<MultiportMatch>(&m)) {
      bool any = false;
      for (const auto& range : mp->ports)
        if ((mp->dir != MultiportMatch::dst && range.contains(p.sport)) || (mp->dir != MultiportMatch::src && range.contains(p.dport)))
          any = true;
      ok = any != mp->neg;  // the rule's -p (tcp, udp or sctp) was checked above
    } else if (auto* st = std::get_if<StateMatch>(&m)) {
      ok = ((st->states & p.ctstate) != 0) != st->neg;
    } else if (auto* mk = std::get_if<MarkMatch>(&m)) {
      d.cacheable = false;
      ok = ((p.mark & mk->mask) == mk->value) != mk->neg;
    } else if (auto* s = std::get_if<StatisticMatch>(&m)) {
      d.cacheable = false;
      if (s->random) ok = p.random31 < s->probability;
      else nth = s, nth_pending = true;  // counted last (see compiler.h)
    } else if (auto* a = std::get_if<AddrtypeMatch>(&m)) {
      if (a->src_set && (p.src_local == a->src_neg)) ok = false;
      if (a->dst_set && (p.dst_local == a->dst_neg)) ok = false;
    } else if (auto* ic = std::get_if<IcmpMatch>(&m)) {
      bool hit = p.proto == r.proto && (ic->any || (p.icmp_type == ic->type && (!ic->code || p.icmp_code == *ic->code)));
      ok = p.proto == r.proto && (hit != ic->neg);  // r.proto: icmp or ipv6-icmp, which the parser insists on
    }
    if (!ok) return false;
  }
  if (nth_pending) {  // xt_statistic: the counter starts at --packet and matches when it wraps to 0
    uint32_t& e = nth_[{ref.table, ref.chain, ref.index}];
    ++e;
    if ((static_cast<uint64_t>(nth->packet) + e) % (static_cast<uint64_t>(nth->every) + 1) != 0) return false;
  }
  return true;
}

Decision ReferenceEvaluator::evaluate(TableId t, const std::string& hook_chain, const Packet& p) {
  Decision d;
  d.mark = p.mark;
  const Table& table = rs_.table(t);
  const int tid = t == TableId::filter ? 0 : 1;
  struct Frame {
    const Chain* chain;
    size_t next;
  };
  std::vector<Frame> stack;
  const Chain* chain = table.find(hook_chain);
  if (!chain) return d;
  size_t i = 0;
  Packet cur = p;
  for (int steps = 0; steps < 1000000; ++steps) {
    if (i >= chain->rules.size()) {
      if (stack.empty()) {
        d.verdict = chain->policy == Policy::drop ? IPT_V_DROP : IPT_V_ACCEPT;
        d.by = RuleRef{tid, "", 0};
        return d;
      }
      chain = stack.back().chain;
      i = stack.back().next;
      stack.pop_back();
      continue;
    }
    const Rule& r = chain->rules[i];
    RuleRef ref{tid, chain->name, static_cast<uint32_t>(i)};
    cur.mark = d.mark;
    if (!matches(r, cur, ref, d)) {
      ++i;
      continue;
    }
    d.matched.push_back(ref);
    const Target& tg = r.target;
    if (auto* v = std::get_if<Verdict>(&tg)) {
      if (v->kind == Verdict::ret) {
        i = chain->rules.size();  // end of this chain: pop or policy
        if (stack.empty()) continue;
        chain = stack.back().chain;
        i = stack.back().next;
        stack.pop_back();
        continue;
      }
      d.verdict = v->kind == Verdict::accept ? IPT_V_ACCEPT : IPT_V_DROP;
      d.by = ref;
      return d;
    }
    if (auto* j = std::get_if<Jump>(&tg)) {
      const Chain* target = table.find(j->chain);
      if (!j->is_goto) stack.push_back({chain, i + 1});
      chain = target;
      i = 0;
      continue;
    }
    if (std::holds_alternative<Reject>(tg)) d.verdict = IPT_V_REJECT;
    else if (auto* n = std::get_if<NatTarget>(&tg)) d.verdict = n->dnat ? IPT_V_DNAT : IPT_V_SNAT;
    else if (std::holds_alternative<Masquerade>(tg)) d.verdict = IPT_V_MASQUERADE;
    else if (std::holds_alternative<Redirect>(tg)) d.verdict = IPT_V_REDIRECT;
    else if (auto* mk = std::get_if<MarkTarget>(&tg)) {
      d.mark = (d.mark & ~mk->mask) ^ mk->value;
      ++i;
      continue;
    } else {  // LOG, no target: count and go on
      ++i;
      continue;
    }
    d.by = ref;
    return d;
  }
  d.steps_exceeded = true;
  return d;
}

}  // namespace netaccel::ipt

#include "compiler.h"

#include <algorithm>
#include <functional>
#include <set>

// ipt_tuple is a C struct of the ABI (global namespace): ordering for the compiler's maps.
static bool operator<(const ipt_tuple& a, const ipt_tuple& b) {
  return std::tie(a.src_len, a.dst_len, a.use) < std::tie(b.src_len, b.dst_len, b.use);
}
static bool operator==(const ipt_tuple& a, const ipt_tuple& b) {
  return a.src_len == b.src_len && a.dst_len == b.dst_len && a.use == b.use;
}

namespace netaccel::ipt {

size_t KeyHash::operator()(const ipt_key& k) const {
  // FNV-1a over the key bytes: the compiler's own map only.
  const auto* b = reinterpret_cast<const unsigned char*>(&k);
  size_t h = 1469598103934665603ull;
  for (size_t i = 0; i < sizeof(k); ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

namespace {

constexpr uint64_t kPosStep = 1024;  // gaps between positions: single inserts need no renumbering


// The most specific tuple a rule could be filed under, and the values for its key.
struct Shape {
  ipt_tuple full{};
  Addr src{}, dst{};  // masked
  uint8_t proto = 0;
  uint16_t sport = 0, dport = 0;
  uint32_t in_id = 0, out_id = 0;  // pattern id + 1
};

// Fieldwise meet: what two tuples have in common.
ipt_tuple meet(const ipt_tuple& a, const ipt_tuple& b) {
  ipt_tuple t{};
  t.src_len = std::min(a.src_len, b.src_len);
  t.dst_len = std::min(a.dst_len, b.dst_len);
  t.use = a.use & b.use;
  return t;
}

int specificity(const ipt_tuple& t) {
  return t.src_len + t.dst_len + __builtin_popcount(t.use) * 16;
}

std::string where(TableId t, const std::string& chain, size_t i) {
  return std::string(table_name(t)) + "/" + chain + " rule " + std::to_string(i + 1);
}

class RuleCompiler {
 public:
  RuleCompiler(Compiled& c, std::map<std::string, uint32_t>& patterns) : c_(c), patterns_(patterns) {}

  Result<uint32_t> pattern(const std::string& name) {
    auto it = patterns_.find(name);
    if (it != patterns_.end()) return it->second;
    if (patterns_.size() >= IPT_MAX_IFACE_PATTERNS)
      return make_error(Errc::unsupported, "more than 64 distinct interface names in the ruleset");
    uint32_t id = static_cast<uint32_t>(patterns_.size());
    patterns_[name] = id;
    c_.iface_patterns.push_back(name);
    return id;
  }

  // Fills rule (residual checks and target) and its shape; `never` when it cannot match.
  Status build(const Rule& r, const std::string& w, const ChainIds& chain_ids, uint32_t rule_id,
               ipt_rule& out, Shape& sh, bool& never) {
    out = ipt_rule{};
    sh = Shape{};
    never = false;
    if (r.src && !r.src_neg) {
      sh.full.src_len = r.src->len;
      sh.src = r.src->addr;
    }
    if (r.src) {
      out.src_addr = to_be(r.src->addr);
      out.src_mask = to_be(prefix_mask(r.src->len));
      if (r.src_neg) out.check |= IPT_C_SRC | IPT_C_SRC_NEG;
    }
    if (r.dst && !r.dst_neg) {
      sh.full.dst_len = r.dst->len;
      sh.dst = r.dst->addr;
    }
    if (r.dst) {
      out.dst_addr = to_be(r.dst->addr);
      out.dst_mask = to_be(prefix_mask(r.dst->len));
      if (r.dst_neg) out.check |= IPT_C_DST | IPT_C_DST_NEG;
    }
    if (r.proto) {
      out.proto = r.proto;
      if (r.proto_neg) out.check |= IPT_C_PROTO | IPT_C_PROTO_NEG;
      else sh.full.use |= IPT_USE_PROTO, sh.proto = r.proto;
    }
    for (int dir = 0; dir < 2; ++dir) {
      const std::string& name = dir == 0 ? r.in_if : r.out_if;
      bool neg = dir == 0 ? r.in_neg : r.out_neg;
      if (name.empty()) continue;
      auto id = pattern(name);
      if (!id) return make_error(Errc::unsupported, w + ": " + id.error().message);
      (dir == 0 ? out.in_pattern : out.out_pattern) = *id;
      if (neg || name.back() == '+') {
        out.check |= dir == 0 ? (IPT_C_IN | (neg ? IPT_C_IN_NEG : 0)) : (IPT_C_OUT | (neg ? IPT_C_OUT_NEG : 0));
      } else {
        sh.full.use |= dir == 0 ? IPT_USE_IN : IPT_USE_OUT;
        (dir == 0 ? sh.in_id : sh.out_id) = *id + 1;
      }
    }
    int ports = 0, multiports = 0, marks = 0, stats = 0, icmps = 0;
    uint8_t allowed_states = 0x7f;
    bool has_state = false;
    int src_local = -1, dst_local = -1;  // -1 any, 0 not local, 1 local
    for (const auto& m : r.matches) {
      if (auto* pm = std::get_if<PortMatch>(&m)) {
        if (++ports > 1) return make_error(Errc::unsupported, w + ": two tcp/udp/sctp matches in one rule are not supported by the eBPF classifier");
        if (pm->sport) {
          out.sport_lo = pm->sport->lo;
          out.sport_hi = pm->sport->hi;
          if (pm->sport_neg || pm->sport->lo != pm->sport->hi) out.check |= IPT_C_SPORT | (pm->sport_neg ? IPT_C_SPORT_NEG : 0);
          else sh.full.use |= IPT_USE_SPORT, sh.sport = pm->sport->lo;
        }
        if (pm->dport) {
          out.dport_lo = pm->dport->lo;
          out.dport_hi = pm->dport->hi;
          if (pm->dport_neg || pm->dport->lo != pm->dport->hi) out.check |= IPT_C_DPORT | (pm->dport_neg ? IPT_C_DPORT_NEG : 0);
          else sh.full.use |= IPT_USE_DPORT, sh.dport = pm->dport->lo;
        }
        if (pm->tcp_flags) {
          out.check |= IPT_C_TCPFLAGS | (pm->tcp_flags_neg ? IPT_C_TCPFLAGS_NEG : 0);
          out.tcp_mask = pm->tcp_flags->first;
          out.tcp_comp = pm->tcp_flags->second;
        }
      } else if (auto* mp = std::get_if<MultiportMatch>(&m)) {
        if (++multiports > 1) return make_error(Errc::unsupported, w + ": two multiport matches in one rule are not supported by the eBPF classifier");
        out.check |= IPT_C_MULTIPORT | (mp->neg ? IPT_C_MULTIPORT_NEG : 0);
        out.mp_dir = mp->dir == MultiportMatch::src ? 0 : mp->dir == MultiportMatch::dst ? 1 : 2;
        out.mp_count = static_cast<uint8_t>(mp->ports.size());
        for (size_t i = 0; i < mp->ports.size() && i < IPT_MAX_MULTIPORT; ++i) out.mp[i] = {mp->ports[i].lo, mp->ports[i].hi};
      } else if (auto* st = std::get_if<StateMatch>(&m)) {
        has_state = true;
        allowed_states &= st->neg ? static_cast<uint8_t>(~st->states & 0x7f) : st->states;
      } else if (auto* mk = std::get_if<MarkMatch>(&m)) {
        if (++marks > 1) return make_error(Errc::unsupported, w + ": two mark matches in one rule are not supported by the eBPF classifier");
        out.check |= IPT_C_MARK | (mk->neg ? IPT_C_MARK_NEG : 0);
        out.mark_value = mk->value;
        out.mark_mask = mk->mask;
      } else if (auto* s = std::get_if<StatisticMatch>(&m)) {
        if (++stats > 1) return make_error(Errc::unsupported, w + ": two statistic matches in one rule are not supported by the eBPF classifier");
        if (s->random) {
          out.check |= IPT_C_RANDOM;
          out.probability = s->probability;
        } else {
          out.check |= IPT_C_NTH;
          out.nth_every = s->every;
          out.nth_packet = s->packet;
        }
      } else if (auto* a = std::get_if<AddrtypeMatch>(&m)) {
        if (a->limit_iface_in || a->limit_iface_out)
          return make_error(Errc::unsupported, w + ": addrtype --limit-iface-in/out is not supported by the eBPF classifier");
        for (int side = 0; side < 2; ++side) {
          bool set = side == 0 ? a->src_set : a->dst_set;
          if (!set) continue;
          int want = (side == 0 ? a->src_neg : a->dst_neg) ? 0 : 1;
          int& cur = side == 0 ? src_local : dst_local;
          if (cur >= 0 && cur != want) never = true;
          cur = want;
        }
      } else if (auto* ic = std::get_if<IcmpMatch>(&m)) {
        if (++icmps > 1) return make_error(Errc::unsupported, w + ": two icmp matches in one rule are not supported by the eBPF classifier");
        out.check |= IPT_C_ICMP | (ic->neg ? IPT_C_ICMP_NEG : 0);
        out.icmp_type = ic->type;
        out.icmp_code = ic->code.value_or(0);
        out.icmp_any_code = ic->code ? 0 : 1;
        if (ic->any) out.icmp_type = 255, out.icmp_any_code = 2;  // 2: any type
      }
    }
    if (has_state) {
      if (!allowed_states) never = true;
      out.check |= IPT_C_CTSTATE;
      out.ctstates = allowed_states;
    }
    if (src_local >= 0) out.check |= IPT_C_SRC_LOCAL | (src_local ? 0 : IPT_C_SRC_LOCAL_NEG);
    if (dst_local >= 0) out.check |= IPT_C_DST_LOCAL | (dst_local ? 0 : IPT_C_DST_LOCAL_NEG);
    return target(r.target, w, chain_ids, rule_id, out);
  }

 private:
  Status target(const Target& tg, const std::string& w, const ChainIds& chain_ids, uint32_t rule_id,
                ipt_rule& out) {
    if (auto* v = std::get_if<Verdict>(&tg)) {
      out.verdict = v->kind == Verdict::accept ? IPT_V_ACCEPT : v->kind == Verdict::drop ? IPT_V_DROP : IPT_V_RETURN;
    } else if (auto* j = std::get_if<Jump>(&tg)) {
      auto it = chain_ids.find(j->chain);
      if (it == chain_ids.end()) return make_error(Errc::invalid_argument, w + ": jumps to unknown chain " + j->chain);
      out.verdict = j->is_goto ? IPT_V_GOTO : IPT_V_JUMP;
      out.arg = it->second;
    } else if (auto* rj = std::get_if<Reject>(&tg)) {
      static const std::map<std::string, uint32_t> codes = {
          {"icmp-port-unreachable", IPT_REJ_PORT_UNREACH}, {"icmp-net-unreachable", IPT_REJ_NET_UNREACH},
          {"icmp-host-unreachable", IPT_REJ_HOST_UNREACH}, {"icmp-proto-unreachable", IPT_REJ_PROTO_UNREACH},
          {"icmp-net-prohibited", IPT_REJ_NET_PROHIB}, {"icmp-host-prohibited", IPT_REJ_HOST_PROHIB},
          {"icmp-admin-prohibited", IPT_REJ_ADMIN_PROHIB}, {"tcp-reset", IPT_REJ_TCP_RESET},
          {"icmp6-no-route", IPT_REJ6_NO_ROUTE}, {"icmp6-adm-prohibited", IPT_REJ6_ADM_PROHIB},
          {"icmp6-addr-unreachable", IPT_REJ6_ADDR_UNREACH}, {"icmp6-port-unreachable", IPT_REJ6_PORT_UNREACH},
          {"icmp6-policy-fail", IPT_REJ6_POLICY_FAIL}, {"icmp6-reject-route", IPT_REJ6_REJECT_ROUTE}};
      out.verdict = IPT_V_REJECT;
      out.arg = codes.at(rj->with);
    } else if (auto* n = std::get_if<NatTarget>(&tg)) {
      out.verdict = n->dnat ? IPT_V_DNAT : IPT_V_SNAT;
      out.nat_addr_lo = to_be(n->addr_lo);
      out.nat_addr_hi = to_be(n->addr_hi);
      if (n->ports) out.nat_port_lo = n->ports->lo, out.nat_port_hi = n->ports->hi;
      out.nat_flags = (n->random ? IPT_NAT_RANDOM : 0) | (n->persistent ? IPT_NAT_PERSISTENT : 0);
    } else if (auto* m = std::get_if<Masquerade>(&tg)) {
      out.verdict = IPT_V_MASQUERADE;
      if (m->ports) out.nat_port_lo = m->ports->lo, out.nat_port_hi = m->ports->hi;
      out.nat_flags = (m->random ? IPT_NAT_RANDOM : 0) | (m->random_fully ? IPT_NAT_RANDOM_FULLY : 0);
    } else if (auto* rd = std::get_if<Redirect>(&tg)) {
      out.verdict = IPT_V_REDIRECT;
      if (rd->ports) out.nat_port_lo = rd->ports->lo, out.nat_port_hi = rd->ports->hi;
    } else if (std::holds_alternative<Log>(tg)) {
      out.verdict = IPT_V_LOG;
      out.arg = rule_id;
    } else if (auto* mk = std::get_if<MarkTarget>(&tg)) {
      out.verdict = IPT_V_MARK;
      out.set_mark_value = mk->value;
      out.set_mark_mask = mk->mask;
    } else {
      out.verdict = IPT_V_NONE;
    }
    return {};
  }

  Compiled& c_;
  std::map<std::string, uint32_t>& patterns_;
};

// At most IPT_MAX_TUPLES per chain: merge the least used tuple into its closest one.
std::map<ipt_tuple, ipt_tuple> choose_tuples(const std::map<ipt_tuple, size_t>& used) {
  std::map<ipt_tuple, size_t> cur = used;
  std::map<ipt_tuple, ipt_tuple> assign;
  for (const auto& [t, n] : used) assign[t] = t;
  while (cur.size() > IPT_MAX_TUPLES) {
    auto least = std::min_element(cur.begin(), cur.end(), [](auto& a, auto& b) { return a.second < b.second; });
    ipt_tuple a = least->first;
    ipt_tuple best{};
    int best_spec = -1;
    for (const auto& [t, n] : cur) {
      if (t == a) continue;
      int s = specificity(meet(a, t));
      if (s > best_spec) best_spec = s, best = t;
    }
    ipt_tuple m = meet(a, best);
    size_t total = cur[a] + cur[best];
    cur.erase(a);
    cur.erase(best);
    cur[m] += total;
    for (auto& [orig, to] : assign)
      if (to == a || to == best) to = m;
  }
  return assign;
}

}  // namespace

ipt_key packet_key(uint32_t chain, uint32_t tuple_index, const ipt_tuple& t, const Packet& p, const Compiled& c) {
  ipt_key k{};
  k.chain = chain;
  k.tuple = tuple_index;
  k.src = to_be(masked(p.src, t.src_len));
  k.dst = to_be(masked(p.dst, t.dst_len));
  if (t.use & IPT_USE_PROTO) k.proto = p.proto;
  if (t.use & IPT_USE_SPORT) k.sport = p.sport;
  if (t.use & IPT_USE_DPORT) k.dport = p.dport;
  if (t.use & IPT_USE_IN) k.in_if = iface_entry(c, p.in_if).exact_id;
  if (t.use & IPT_USE_OUT) k.out_if = iface_entry(c, p.out_if).exact_id;
  return k;
}

ipt_iface iface_entry(const Compiled& c, const std::string& ifname) {
  ipt_iface e{};
  if (ifname.empty()) return e;
  for (size_t i = 0; i < c.iface_patterns.size(); ++i) {
    const std::string& pat = c.iface_patterns[i];
    if (!iface_matches(pat, ifname)) continue;
    e.patterns |= 1ull << i;
    if (pat.back() != '+') e.exact_id = static_cast<uint32_t>(i + 1);
  }
  return e;
}

Result<Compiled> compile(const Ruleset& rs) {
  Compiled c;
  std::map<std::string, uint32_t> patterns;
  c.hook_chain.fill(IPT_NONE);
  for (TableId tid : kTables) {
    const Table& t = rs.table(tid);
    const int table_index = tid == TableId::filter ? 0 : 1;
    // Chain ids of this table (jumps stay within a table).
    ChainIds& ids = c.chain_ids[table_index];
    for (const auto& ch : t.chains) {
      ids[ch.name] = static_cast<uint32_t>(c.chains.size());
      ipt_chain chain{};
      chain.policy = ch.builtin ? (ch.policy == Policy::drop ? IPT_V_DROP : IPT_V_ACCEPT) : IPT_V_RETURN;
      c.chains.push_back(chain);
      c.chain_names.push_back(std::string(table_name(tid)) + "/" + ch.name);
      c.chain_rules.emplace_back();
    }
    if (t.present || !t.chains.empty()) {
      static const std::map<std::string, int> filter_hooks = {{"INPUT", IPT_HOOK_INPUT}, {"FORWARD", IPT_HOOK_FORWARD}, {"OUTPUT", IPT_HOOK_OUTPUT}};
      static const std::map<std::string, int> nat_hooks = {{"PREROUTING", IPT_HOOK_PREROUTING}, {"INPUT", IPT_HOOK_INPUT},
                                                           {"OUTPUT", IPT_HOOK_OUTPUT}, {"POSTROUTING", IPT_HOOK_POSTROUTING}};
      for (const auto& [name, hook] : (tid == TableId::filter ? filter_hooks : nat_hooks))
        if (auto it = ids.find(name); it != ids.end()) c.hook_chain[hook * 2 + table_index] = it->second;
    }
    RuleCompiler rc(c, patterns);
    for (const auto& ch : t.chains) {
      const uint32_t chain_id = ids.at(ch.name);
      struct Pending {
        uint32_t id;
        Shape shape;
      };
      std::vector<Pending> pending;
      std::map<ipt_tuple, size_t> used;
      for (size_t i = 0; i < ch.rules.size(); ++i) {
        ipt_rule r{};
        Shape sh;
        bool never = false;
        uint32_t id = static_cast<uint32_t>(c.rules.size());
        if (id >= IPT_MAX_RULES) return make_error(Errc::unsupported, "more than " + std::to_string(IPT_MAX_RULES) + " rules");
        if (auto st = rc.build(ch.rules[i], where(tid, ch.name, i), ids, id, r, sh, never); !st) return st.error();
        r.pos = (i + 1) * kPosStep;
        r.next = IPT_NONE;
        r.chain = chain_id;
        c.rules.push_back(r);
        c.rule_refs.push_back(RuleRef{table_index, ch.name, static_cast<uint32_t>(i)});
        c.rule_keys.emplace_back();
        c.chain_rules[chain_id].push_back(id);
        if (never) continue;  // filed nowhere: it can never match
        pending.push_back({id, sh});
        used[sh.full]++;
      }
      auto assign = choose_tuples(used);
      std::vector<ipt_tuple> tuples;
      for (const auto& [orig, to] : assign)
        if (std::find(tuples.begin(), tuples.end(), to) == tuples.end()) tuples.push_back(to);
      std::sort(tuples.begin(), tuples.end(), [](const ipt_tuple& a, const ipt_tuple& b) { return specificity(a) > specificity(b); });
      ipt_chain& chain = c.chains[chain_id];
      chain.ntuples = static_cast<uint32_t>(tuples.size());
      for (size_t k = 0; k < tuples.size(); ++k) chain.tuples[k] = tuples[k];
      std::unordered_map<ipt_key, uint32_t, KeyHash, KeyEq> tail;
      std::unordered_map<ipt_key, size_t, KeyHash, KeyEq> lengths;
      for (const auto& p : pending) {
        const ipt_tuple& t = assign[p.shape.full];
        uint32_t ti = static_cast<uint32_t>(std::find(tuples.begin(), tuples.end(), t) - tuples.begin());
        ipt_rule& r = c.rules[p.id];
        // Fields the chosen tuple does not key on become residual checks.
        if (p.shape.full.src_len > t.src_len) r.check |= IPT_C_SRC;
        if (p.shape.full.dst_len > t.dst_len) r.check |= IPT_C_DST;
        uint8_t lost = p.shape.full.use & ~t.use;
        if (lost & IPT_USE_PROTO) r.check |= IPT_C_PROTO;
        if (lost & IPT_USE_SPORT) r.check |= IPT_C_SPORT;
        if (lost & IPT_USE_DPORT) r.check |= IPT_C_DPORT;
        if (lost & IPT_USE_IN) r.check |= IPT_C_IN;
        if (lost & IPT_USE_OUT) r.check |= IPT_C_OUT;
        ipt_key k{};
        k.chain = chain_id;
        k.tuple = ti;
        k.src = to_be(masked(p.shape.src, t.src_len));
        k.dst = to_be(masked(p.shape.dst, t.dst_len));
        if (t.use & IPT_USE_PROTO) k.proto = p.shape.proto;
        if (t.use & IPT_USE_SPORT) k.sport = p.shape.sport;
        if (t.use & IPT_USE_DPORT) k.dport = p.shape.dport;
        if (t.use & IPT_USE_IN) k.in_if = p.shape.in_id;
        if (t.use & IPT_USE_OUT) k.out_if = p.shape.out_id;
        auto it = tail.find(k);
        c.rule_keys[p.id] = k;
        if (it == tail.end()) c.buckets[k] = ipt_bucket{p.id};
        else c.rules[it->second].next = p.id;
        tail[k] = p.id;
        c.max_bucket = std::max(c.max_bucket, ++lengths[k]);
      }
    }
  }
  return c;
}

Result<RuleInsert> insert_rule(Compiled& c, TableId t, const std::string& chain, size_t index, const Rule& rule) {
  const int table_index = t == TableId::filter ? 0 : 1;
  const ChainIds& ids = c.chain_ids[table_index];
  auto it = ids.find(chain);
  if (it == ids.end()) return make_error(Errc::not_found, "chain " + chain + " is not compiled");
  const uint32_t chain_id = it->second;
  // The chain's rules by index, to find the neighbours' positions.
  const std::vector<uint32_t>& order = c.chain_rules[chain_id];
  if (index > order.size()) return make_error(Errc::invalid_argument, "insert position past the end of " + chain);
  uint64_t lo = index > 0 ? c.rules[order[index - 1]].pos : 0;
  std::optional<uint64_t> hi;
  if (index < order.size()) hi = c.rules[order[index]].pos;
  uint64_t pos = hi ? lo + (*hi - lo) / 2 : lo + kPosStep;
  if (pos <= lo || (hi && pos >= *hi)) return make_error(Errc::unsupported, "no position left between two rules");
  if (c.rules.size() >= IPT_MAX_RULES / 2) return make_error(Errc::unsupported, "rule table full");

  // Build on a copy of the pattern list: nothing in c changes until we know it fits.
  Compiled scratch;
  scratch.iface_patterns = c.iface_patterns;
  std::map<std::string, uint32_t> patterns;
  for (uint32_t i = 0; i < c.iface_patterns.size(); ++i) patterns[c.iface_patterns[i]] = i;
  RuleCompiler rc(scratch, patterns);
  RuleInsert ins;
  ins.rule_id = static_cast<uint32_t>(c.rules.size());
  ins.chain_id = chain_id;
  ipt_rule r{};
  Shape sh;
  bool never = false;
  if (auto st = rc.build(rule, where(t, chain, index), ids, ins.rule_id, r, sh, never); !st) return st.error();
  // A tuple of the chain that the rule's exact fields cover, the most specific one.
  ipt_chain ch = c.chains[chain_id];
  int best = -1;
  for (uint32_t k = 0; k < ch.ntuples; ++k) {
    const ipt_tuple& tu = ch.tuples[k];
    if (tu.src_len > sh.full.src_len || tu.dst_len > sh.full.dst_len || (tu.use & ~sh.full.use)) continue;
    if (best < 0 || specificity(tu) > specificity(ch.tuples[best])) best = static_cast<int>(k);
  }
  if (!never && (best < 0 || specificity(ch.tuples[best]) < specificity(sh.full))) {
    if (ch.ntuples < IPT_MAX_TUPLES) {  // its own shape is new to the chain: add it
      ch.tuples[ch.ntuples] = sh.full;
      best = static_cast<int>(ch.ntuples++);
      ins.chain_changed = true;
    } else if (best < 0) {
      return make_error(Errc::unsupported, "chain " + chain + " has no tuple slot left for this rule's shape");
    }
  }
  r.pos = pos;
  r.next = IPT_NONE;
  r.chain = chain_id;
  if (never) {
    ins.linked = false;
  } else {
    const ipt_tuple& tu = ch.tuples[best];
    if (sh.full.src_len > tu.src_len) r.check |= IPT_C_SRC;
    if (sh.full.dst_len > tu.dst_len) r.check |= IPT_C_DST;
    uint8_t lost = sh.full.use & ~tu.use;
    if (lost & IPT_USE_PROTO) r.check |= IPT_C_PROTO;
    if (lost & IPT_USE_SPORT) r.check |= IPT_C_SPORT;
    if (lost & IPT_USE_DPORT) r.check |= IPT_C_DPORT;
    if (lost & IPT_USE_IN) r.check |= IPT_C_IN;
    if (lost & IPT_USE_OUT) r.check |= IPT_C_OUT;
    ipt_key& k = ins.key;
    k.chain = chain_id;
    k.tuple = static_cast<uint32_t>(best);
    k.src = to_be(masked(sh.src, tu.src_len));
    k.dst = to_be(masked(sh.dst, tu.dst_len));
    if (tu.use & IPT_USE_PROTO) k.proto = sh.proto;
    if (tu.use & IPT_USE_SPORT) k.sport = sh.sport;
    if (tu.use & IPT_USE_DPORT) k.dport = sh.dport;
    if (tu.use & IPT_USE_IN) k.in_if = sh.in_id;
    if (tu.use & IPT_USE_OUT) k.out_if = sh.out_id;
  }
  // Everything fits: change c.
  ins.patterns_changed = scratch.iface_patterns.size() != c.iface_patterns.size();
  c.iface_patterns = scratch.iface_patterns;
  c.chains[chain_id] = ch;
  for (size_t k = index; k < order.size(); ++k) c.rule_refs[order[k]].index++;
  if (ins.linked) {
    auto b = c.buckets.find(ins.key);
    uint32_t cur = b == c.buckets.end() ? IPT_NONE : b->second.first;
    size_t len = 1;
    while (cur != IPT_NONE && c.rules[cur].pos < pos) {
      ins.pred = cur;
      cur = c.rules[cur].next;
      ++len;
    }
    r.next = cur;
    for (uint32_t x = cur; x != IPT_NONE; x = c.rules[x].next) ++len;
    if (ins.pred) c.rules[*ins.pred].next = ins.rule_id;
    else c.buckets[ins.key] = ipt_bucket{ins.rule_id};
    c.max_bucket = std::max(c.max_bucket, len);
  }
  c.rules.push_back(r);
  c.rule_refs.push_back(RuleRef{table_index, chain, static_cast<uint32_t>(index)});
  c.rule_keys.push_back(ins.linked ? std::optional<ipt_key>(ins.key) : std::nullopt);
  c.chain_rules[chain_id].insert(c.chain_rules[chain_id].begin() + static_cast<long>(index), ins.rule_id);
  return ins;
}

Result<uint32_t> add_chain(Compiled& c, TableId t, const std::string& name) {
  const int table_index = t == TableId::filter ? 0 : 1;
  if (c.chain_ids[table_index].count(name)) return make_error(Errc::already_exists, "chain " + name + " is compiled already");
  if (c.chains.size() >= IPT_MAX_CHAINS / 2) return make_error(Errc::unsupported, "chain table full");
  const uint32_t id = static_cast<uint32_t>(c.chains.size());
  ipt_chain chain{};
  chain.policy = IPT_V_RETURN;  // a user chain: falling off its end returns
  c.chains.push_back(chain);
  c.chain_names.push_back(std::string(table_name(t)) + "/" + name);
  c.chain_rules.emplace_back();
  c.chain_ids[table_index][name] = id;
  return id;
}

Result<RuleDelete> delete_rule(Compiled& c, TableId t, const std::string& chain, size_t index) {
  const int table_index = t == TableId::filter ? 0 : 1;
  auto it = c.chain_ids[table_index].find(chain);
  if (it == c.chain_ids[table_index].end()) return make_error(Errc::not_found, "chain " + chain + " is not compiled");
  std::vector<uint32_t>& order = c.chain_rules[it->second];
  if (index >= order.size()) return make_error(Errc::invalid_argument, "no rule " + std::to_string(index + 1) + " in " + chain);
  RuleDelete del;
  del.rule_id = order[index];
  if (const auto& key = c.rule_keys[del.rule_id]) {
    // Unlink it from its bucket: its predecessor (or the bucket head) skips to its successor.
    del.key = *key;
    const uint32_t next = c.rules[del.rule_id].next;
    auto b = c.buckets.find(*key);
    if (b == c.buckets.end()) return make_error(Errc::invalid_argument, "rule " + std::to_string(del.rule_id) + " is not in its bucket");
    if (b->second.first == del.rule_id) {
      del.head = next;
      if (next == IPT_NONE) c.buckets.erase(b);
      else b->second.first = next;
    } else {
      uint32_t cur = b->second.first;
      while (cur != IPT_NONE && c.rules[cur].next != del.rule_id) cur = c.rules[cur].next;
      if (cur == IPT_NONE) return make_error(Errc::invalid_argument, "rule " + std::to_string(del.rule_id) + " is not in its bucket");
      c.rules[cur].next = next;
      del.pred = cur;
    }
  }
  // The id stays taken (ids are not reused before the next full compile) but names nothing.
  c.rule_keys[del.rule_id].reset();
  c.rule_refs[del.rule_id] = RuleRef{table_index, "", UINT32_MAX};
  for (size_t k = index + 1; k < order.size(); ++k) c.rule_refs[order[k]].index--;
  order.erase(order.begin() + static_cast<long>(index));
  return del;
}

}  // namespace netaccel::ipt

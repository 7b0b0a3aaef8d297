// IptablesService's in-place sync: a --noflush restore that re-declares existing chains
// (kube-proxy's every sync) applied as edits of the live compiled tables (chain_sync.h plans
// them) instead of a recompile and a reload of every map.
#include <algorithm>

#include "chain_sync.h"
#include "iptables_service.h"

namespace netaccel::ipt {

namespace {

constexpr size_t kSyncMinRules = 1000;  // below this a recompile is as quick
constexpr size_t kMaxEditsPerChain = 256;

int table_index(TableId t) { return t == TableId::filter ? 0 : 1; }

// Compiled position of `id` in its chain's order.
size_t compiled_index(const std::vector<uint32_t>& order, uint32_t id) {
  return static_cast<size_t>(std::find(order.begin(), order.end(), id) - order.begin());
}

// Whether `count` rules inserted one after another where compiled rules [first, next) were
// find a position each (insert_rule halves the gap every time).
bool gap_fits(const Compiled& c, const std::vector<uint32_t>& order, size_t first, size_t next, size_t count) {
  if (next >= order.size()) return true;  // at the end: no upper neighbour
  uint64_t lo = first > 0 ? c.rules[order[first - 1]].pos : 0;
  const uint64_t hi = c.rules[order[next]].pos;
  for (size_t k = 0; k < count; ++k) {
    uint64_t pos = lo + (hi - lo) / 2;
    if (pos <= lo || pos >= hi) return false;
    lo = pos;
  }
  return true;
}

// Where in [start, end] (compiled indexes of one segment) a rule whose neighbours' order does
// not matter goes: the end of the chain if the segment reaches it, else the widest gap.
std::optional<size_t> widest_gap(const Compiled& c, const std::vector<uint32_t>& order, size_t start, size_t end) {
  if (end >= order.size()) return order.size();
  std::optional<size_t> best;
  uint64_t widest = 1;
  for (size_t k = start; k <= end; ++k) {
    const uint64_t lo = k > 0 ? c.rules[order[k - 1]].pos : 0, hi = c.rules[order[k]].pos;
    if (hi - lo > widest) widest = hi - lo, best = k;
  }
  return best;
}

}  // namespace

std::optional<Status> IptablesService::restore_sync(const std::string& text, const RestoreFlags& f) {
  if (!f.noflush || f.test || compiled_.rules.size() < kSyncMinRules) return std::nullopt;
  // Restored from the model (base counters, not the live totals): what stays keeps counting in
  // the data path, what a declaration flushed starts again from the input's counters.
  std::vector<std::pair<TableId, std::string>> flushed;
  auto next = ipt::restore(model_, text, RestoreOptions{true, f.counters, &flushed});
  if (!next) return Status{next.error()};
  return apply_sync(std::move(*next), flushed);
}

std::optional<Status> IptablesService::apply_sync(Ruleset next, const std::vector<std::pair<TableId, std::string>>& flushed) {
  struct Plan {
    TableId table;
    std::string chain;
    ChainEdit edit;
  };
  std::vector<Plan> plans;
  std::vector<std::pair<TableId, const Chain*>> new_chains;
  size_t added_rules = 0;
  // Plan everything before changing anything: an input only a recompile can take changes nothing here.
  for (TableId t : kTables) {
    const Table& old = model_.table(t);
    const Table& neu = next.table(t);
    if (old.present != neu.present) return std::nullopt;
    for (const Chain& c : old.chains) {
      const Chain* n = neu.find(c.name);
      if (!n) return std::nullopt;  // a chain deleted
      if (c.builtin && (c.policy != n->policy || c.packets != n->packets || c.bytes != n->bytes)) return std::nullopt;
      const bool diverged = diverged_.count({table_index(t), c.name}) > 0;
      auto edit = plan_chain_edit(c.rules, n->rules, family_, kMaxEditsPerChain, !diverged);
      if (!edit) return std::nullopt;
      if (edit->kind == ChainEdit::unchanged) continue;
      const uint32_t id = compiled_.chain_ids[table_index(t)].at(c.name);
      if (edit->kind == ChainEdit::exact) {
        if (!gap_fits(compiled_, compiled_.chain_rules[id], edit->first, edit->first + edit->removed, edit->added)) return std::nullopt;
        added_rules += edit->added;
      } else {
        added_rules += static_cast<size_t>(std::count(edit->old_of_new.begin(), edit->old_of_new.end(), std::nullopt));
      }
      plans.push_back({t, c.name, std::move(*edit)});
    }
    for (const Chain& n : neu.chains)
      if (!old.find(n.name)) {
        new_chains.emplace_back(t, &n);
        added_rules += n.rules.size();
      }
  }
  if (compiled_.rules.size() + added_rules > IPT_MAX_RULES / 2 || compiled_.chains.size() + new_chains.size() > IPT_MAX_CHAINS / 2)
    return std::nullopt;  // the full path says which limit
  // New chains with their rules first, so nothing reaches a half-built chain; then the edits.
  Status outcome;
  auto insert = [&](TableId t, const std::string& chain, size_t at, const Rule& r) -> std::optional<uint32_t> {
    auto ins = insert_rule(compiled_, t, chain, at, r);
    if (!ins) {
      outcome = ins.error();
      return std::nullopt;
    }
    if (auto st = dp_.insert(compiled_, *ins); !st) {
      outcome = st;
      return std::nullopt;
    }
    return ins->rule_id;
  };
  auto remove = [&](TableId t, const std::string& chain, size_t at) {
    auto del = delete_rule(compiled_, t, chain, at);
    if (!del) return (outcome = del.error(), false);
    if (auto st = dp_.remove(compiled_, *del); !st) return (outcome = st, false);
    return true;
  };
  for (const auto& [t, chain] : new_chains) {  // all of them first: they jump to each other
    auto id = add_chain(compiled_, t, chain->name);
    if (!id) {
      outcome = id.error();
      break;
    }
    if (!(outcome = dp_.add_chain(compiled_, *id))) break;
  }
  for (const auto& [t, chain] : new_chains)
    for (size_t k = 0; k < chain->rules.size() && outcome; ++k) insert(t, chain->name, k, chain->rules[k]);
  for (const Plan& p : plans) {
    if (!outcome) break;
    const int ti = table_index(p.table);
    const uint32_t chain_id = compiled_.chain_ids[ti].at(p.chain);
    const std::deque<Rule>& new_rules = next.table(p.table).find(p.chain)->rules;
    const ChainEdit& e = p.edit;
    if (e.kind == ChainEdit::exact) {  // compiled order is the model's here
      for (size_t k = e.removed; k-- > 0 && outcome;) remove(p.table, p.chain, e.first + k);
      for (size_t k = 0; k < e.added && outcome; ++k) insert(p.table, p.chain, e.first + k, new_rules[e.first + k]);
      continue;
    }
    // Permuted: the kept rules stay where they are in the data path.
    std::vector<uint32_t> id_of_old(compiled_.chain_rules[chain_id].size());
    for (uint32_t id : compiled_.chain_rules[chain_id]) id_of_old[compiled_.rule_refs[id].index] = id;
    std::vector<size_t> doomed;
    for (size_t i : e.dropped) doomed.push_back(compiled_index(compiled_.chain_rules[chain_id], id_of_old[i]));
    std::sort(doomed.rbegin(), doomed.rend());
    for (size_t at : doomed)
      if (!remove(p.table, p.chain, at)) break;
    std::vector<uint32_t> id_of_new(new_rules.size());
    for (size_t j = 0; j < new_rules.size() && outcome; ++j) {
      if (e.old_of_new[j]) {
        id_of_new[j] = id_of_old[*e.old_of_new[j]];
        continue;
      }
      // Anywhere between the barriers around its segment.
      const std::vector<uint32_t>& order = compiled_.chain_rules[chain_id];
      const size_t s = e.segment_of_new[j];
      const size_t start = s > 0 ? compiled_index(order, id_of_old[e.barriers[s - 1]]) + 1 : 0;
      const size_t end = s < e.barriers.size() ? compiled_index(order, id_of_old[e.barriers[s]]) : order.size();
      auto at = widest_gap(compiled_, order, start, end);
      if (!at) {
        outcome = make_error(Errc::unsupported, "no position left in " + p.chain);
        break;
      }
      auto id = insert(p.table, p.chain, *at, new_rules[j]);
      if (!id) break;
      id_of_new[j] = *id;
    }
    if (!outcome) break;
    // The model's order from now on; the compiled order stays as the positions say.
    for (size_t j = 0; j < new_rules.size(); ++j) compiled_.rule_refs[id_of_new[j]].index = static_cast<uint32_t>(j);
    if (compiled_.chain_rules[chain_id] != id_of_new) diverged_.insert({ti, p.chain});
    else diverged_.erase({ti, p.chain});
  }
  if (outcome) {
    // A flushed chain's rules count again from the input's counters, as iptables' do.
    std::vector<uint32_t> restart;
    for (const auto& [t, name] : flushed) {
      auto it = compiled_.chain_ids[table_index(t)].find(name);
      if (it != compiled_.chain_ids[table_index(t)].end())
        restart.insert(restart.end(), compiled_.chain_rules[it->second].begin(), compiled_.chain_rules[it->second].end());
    }
    outcome = dp_.zero_counters(compiled_, restart);
  }
  if (!outcome) {
    // No room in place, or a map write failed: the tables are part-way; recompile the target
    // (counts since the last full load start again, as for additions that do not fit).
    return apply(std::move(next));
  }
  model_ = std::move(next);
  reach_stale_ = true;  // worked out again by the next in-place addition that needs it
  ++generation_;
  if (auto st = persist(); !st) return st;
  if (changed_) changed_();
  return Status{};
}

}  // namespace netaccel::ipt

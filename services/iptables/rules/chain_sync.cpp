#include "chain_sync.h"

#include <map>
#include <string>
#include <unordered_map>

#include "save.h"

namespace netaccel::ipt {

std::optional<DisjointKey> disjoint_key(const Rule& r, Family f) {
  if (!r.dst || r.dst_neg || r.dst->len != max_prefix(f) || !r.proto || r.proto_neg) return std::nullopt;
  for (const auto& m : r.matches) {
    const auto* p = std::get_if<PortMatch>(&m);
    if (p && p->dport && !p->dport_neg && p->dport->lo == p->dport->hi) return DisjointKey{r.dst->addr, r.proto, p->dport->lo};
  }
  return std::nullopt;
}

namespace {

// The permuted edit, if the two orders are equivalent (see chain_sync.h).
std::optional<ChainEdit> plan_permuted(const std::deque<Rule>& old_rules, const std::deque<Rule>& new_rules, Family f, size_t max_edits) {
  ChainEdit e;
  e.kind = ChainEdit::permuted;
  // Match equal rules (by their printed form), the k-th copy to the k-th copy.
  std::unordered_map<std::string, std::deque<size_t>> by_text;
  for (size_t i = 0; i < old_rules.size(); ++i) by_text[rule_spec(old_rules[i], f)].push_back(i);
  std::vector<bool> kept(old_rules.size(), false);
  size_t added = 0;
  e.old_of_new.resize(new_rules.size());
  for (size_t j = 0; j < new_rules.size(); ++j) {
    auto it = by_text.find(rule_spec(new_rules[j], f));
    if (it == by_text.end() || it->second.empty()) {
      ++added;
      continue;
    }
    e.old_of_new[j] = it->second.front();
    kept[it->second.front()] = true;
    it->second.pop_front();
  }
  for (size_t i = 0; i < old_rules.size(); ++i)
    if (!kept[i]) e.dropped.push_back(i);
  if (added + e.dropped.size() > max_edits) return std::nullopt;
  for (size_t i : e.dropped)
    if (!disjoint_key(old_rules[i], f)) return std::nullopt;  // a barrier goes
  // Keys in the new order; an added rule's key must be its own.
  std::vector<std::optional<DisjointKey>> key_new(new_rules.size());
  std::map<DisjointKey, size_t> key_count;
  for (size_t j = 0; j < new_rules.size(); ++j)
    if ((key_new[j] = disjoint_key(new_rules[j], f))) ++key_count[*key_new[j]];
  for (size_t j = 0; j < new_rules.size(); ++j)
    if (!e.old_of_new[j] && (!key_new[j] || key_count[*key_new[j]] > 1)) return std::nullopt;
  // Barriers and segments in the old order.
  std::vector<size_t> segment_old(old_rules.size());
  for (size_t i = 0; i < old_rules.size(); ++i) {
    segment_old[i] = e.barriers.size();
    if (!disjoint_key(old_rules[i], f)) e.barriers.push_back(i);
  }
  // The new order: the same barriers in the same sequence, kept keyed rules in their segment,
  // one key's rules in their old order.
  size_t barriers_seen = 0;
  std::map<DisjointKey, size_t> last_of_key;
  e.segment_of_new.resize(new_rules.size());
  for (size_t j = 0; j < new_rules.size(); ++j) {
    e.segment_of_new[j] = barriers_seen;
    if (!key_new[j]) {
      if (barriers_seen >= e.barriers.size() || e.old_of_new[j] != e.barriers[barriers_seen]) return std::nullopt;
      ++barriers_seen;
      continue;
    }
    if (!e.old_of_new[j]) continue;
    const size_t i = *e.old_of_new[j];
    if (segment_old[i] != barriers_seen) return std::nullopt;
    auto [it, first] = last_of_key.try_emplace(*key_new[j], i);
    if (!first) {
      if (i < it->second) return std::nullopt;
      it->second = i;
    }
  }
  if (barriers_seen != e.barriers.size()) return std::nullopt;
  return e;
}

}  // namespace

std::optional<ChainEdit> plan_chain_edit(const std::deque<Rule>& old_rules, const std::deque<Rule>& new_rules, Family f,
                                         size_t max_edits, bool allow_exact) {
  size_t prefix = 0;
  while (prefix < old_rules.size() && prefix < new_rules.size() && same_rule(old_rules[prefix], new_rules[prefix])) ++prefix;
  if (prefix == old_rules.size() && prefix == new_rules.size()) return ChainEdit{};
  size_t suffix = 0;
  while (suffix < old_rules.size() - prefix && suffix < new_rules.size() - prefix &&
         same_rule(old_rules[old_rules.size() - 1 - suffix], new_rules[new_rules.size() - 1 - suffix]))
    ++suffix;
  ChainEdit e;
  e.kind = ChainEdit::exact;
  e.first = prefix;
  e.removed = old_rules.size() - prefix - suffix;
  e.added = new_rules.size() - prefix - suffix;
  if (allow_exact && e.removed + e.added <= max_edits) return e;
  return plan_permuted(old_rules, new_rules, f, max_edits);
}

}  // namespace netaccel::ipt

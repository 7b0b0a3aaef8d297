// kube-proxy's sync applied in place. Every sync re-declares its top-level chains (which
// flushes them) and writes them again in full, KUBE-SERVICES in Go's map order, which changes
// from sync to sync. What changed in one chain, worked out here as edits the compiled tables can
// make without a recompile:
//  - exact: a small run of rules in the middle is replaced (common prefix and suffix kept);
//  - permuted: the same rules in another order plus a few added or dropped, where the order
//    provably does not matter. Rules keyed by an exact destination address, a protocol and one
//    destination port (kube-proxy's portal rules) can never match the same packet unless their
//    keys are equal; every other rule is a barrier. The orders are equivalent when the barriers
//    keep their sequence, every kept keyed rule stays between the same two barriers, and rules
//    with one key keep their order. Added and dropped rules must be keyed, an added one's key
//    its own.
// Pure logic: the service applies the edits (and knows positions, ids and the data path).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "ruleset.h"

namespace netaccel::ipt {

struct DisjointKey {
  Addr dst{};
  uint8_t proto = 0;
  uint16_t dport = 0;
  auto operator<=>(const DisjointKey&) const = default;
};
// The key of a rule that matches one destination address, protocol and port (none negated).
std::optional<DisjointKey> disjoint_key(const Rule& r, Family f);

struct ChainEdit {
  enum Kind { unchanged, exact, permuted } kind = unchanged;
  // exact: old rules [first, first + removed) give way to new rules [first, first + added).
  size_t first = 0, removed = 0, added = 0;
  // permuted: for each new rule the old rule it is (nullopt: added), and the number of barrier
  // rules before it in the new order; the old rules that go; the barriers' old indexes.
  std::vector<std::optional<size_t>> old_of_new;
  std::vector<size_t> segment_of_new;
  std::vector<size_t> dropped;
  std::vector<size_t> barriers;
};

// How old_rules become new_rules in place, changing at most max_edits rules; nullopt when only
// a recompile can. allow_exact = false: only a permuted edit (the chain's compiled order no
// longer follows the model's, so indexes cannot be used).
std::optional<ChainEdit> plan_chain_edit(const std::deque<Rule>& old_rules, const std::deque<Rule>& new_rules, Family f,
                                         size_t max_edits, bool allow_exact = true);

}  // namespace netaccel::ipt

// kube-proxy's incremental update applied in place: a --noflush restore input that only
// creates user chains and adds rules to chains (-N, ':NEW - [0:0]', -A, -I). Everything else
// (declaring an existing chain flushes it, policies, deletions, counters) and every input with
// an error go through restore() and a recompile, which also words the errors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "restore.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct Addition {
  TableId table = TableId::filter;
  std::string chain;
  bool new_chain = false;           // creates `chain`; no rule
  std::optional<size_t> index;      // where the rule goes (0-based); additions_valid() resolves it
  bool top = false;                 // -I without a number
  Rule rule;
};

// nullopt: the input is not additions only, or restore() would reject it.
std::optional<std::vector<Addition>> parse_additions(const Ruleset& rs, const std::string& text);

// Chain reachability of both tables (chain_reach()), kept between in-place updates.
using Reach = ChainReach;

// True when applying `adds` to rs in order gives a ruleset validate_table() accepts, checked
// without copying rs: chains exist, positions, -i/-o on built-ins, jumps to user chains, no
// loops, NAT targets where their hooks allow. Resolves every rule's index and adds the new
// chains to `reach`. False also when only a whole-table check can tell (a new jump widens the
// hooks that reach an existing chain).
bool additions_valid(const Ruleset& rs, std::vector<Addition>& adds, Reach reach[2]);

}  // namespace netaccel::ipt

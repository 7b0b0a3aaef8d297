// iptables-restore semantics over a Ruleset: tables, chain declarations, commands, COMMIT,
// --noflush, --counters. The result is a new Ruleset; the current one is never half-changed.
#pragma once

#include <istream>
#include <map>
#include <string>
#include <utility>
#include <vector>
#include <unordered_map>

#include "netaccel/core/result.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct RestoreOptions {
  bool noflush = false;   // keep what the input does not mention (kube-proxy's mode)
  bool counters = false;  // take [packets:bytes] from the input
  // If set: the existing user chains a declaration emptied (--noflush), in input order.
  std::vector<std::pair<TableId, std::string>>* flushed = nullptr;
};

// Every error reads "line N: ..." (or "table X: ..." for a table-level problem).
// current is taken by value: a caller that has no further use for it moves it in (no copy).
Result<Ruleset> restore(Ruleset current, const std::string& text, const RestoreOptions& opt);

// The next line of restore input that says something (comments and blank lines skipped,
// whitespace trimmed); n counts lines read.
bool next_statement(std::istream& in, std::string& line, int& n);

// Which built-in chains reach each chain of t: bit i = builtin_chains(t.id)[i].
using ChainReach = std::unordered_map<std::string, unsigned>;
ChainReach chain_reach(const Table& t);
// Why target tg may not sit in a chain that the hooks `reach` reach ("" when it may).
std::string hook_violation(TableId table, const Target& tg, unsigned reach);

// Checks one table after a change: jumps to existing chains, no loops, NAT and REJECT targets
// only where their hooks allow them.
Status validate_table(const Table& t);

}  // namespace netaccel::ipt

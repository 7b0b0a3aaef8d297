// iptables-restore semantics over a Ruleset: tables, chain declarations, commands, COMMIT,
// --noflush, --counters. The result is a new Ruleset; the current one is never half-changed.
#pragma once

#include <string>

#include "netaccel/core/result.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct RestoreOptions {
  bool noflush = false;   // keep what the input does not mention (kube-proxy's mode)
  bool counters = false;  // take [packets:bytes] from the input
};

// Every error reads "line N: ..." (or "table X: ..." for a table-level problem).
Result<Ruleset> restore(const Ruleset& current, const std::string& text, const RestoreOptions& opt);

// Checks one table after a change: jumps to existing chains, no loops, NAT and REJECT targets
// only where their hooks allow them.
Status validate_table(const Table& t);

}  // namespace netaccel::ipt

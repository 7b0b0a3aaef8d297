// netaccel-iptables' single commands (-A -I -D -R -N -X -F -Z -P -L -S) on the model, with
// iptables' argument syntax and errors. Transport-free: the daemon runs them on its ruleset.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct CommandResult {
  std::string output;  // -L / -S text
  bool changed = false;
};

// args: the command line after the program name, e.g. {"-t", "nat", "-A", "X", "-j", "DNAT", ...}.
// rs is changed only when the whole command succeeds.
Result<CommandResult> run_command(Ruleset& rs, const std::vector<std::string>& args);
// -A or -I, parsed: where the rule goes and the rule. nullopt for any other command.
struct InsertCommand {
  TableId table = TableId::filter;
  std::string chain;
  std::optional<size_t> position;  // -I N (0-based); nullopt: -A, or -I without a number (top)
  bool append = false;
  Rule rule;
};
std::optional<Result<InsertCommand>> parse_insert(const std::vector<std::string>& args, Family f);

// -D, parsed: the chain and either a rule number (0-based, not checked against the chain) or
// the rule to find. nullopt for any other command.
struct DeleteCommand {
  TableId table = TableId::filter;
  std::string chain;
  std::optional<size_t> position;
  std::optional<Rule> rule;
};
std::optional<Result<DeleteCommand>> parse_delete(const std::vector<std::string>& args, Family f);

// The table a -L command lists; nullopt for any other command (or one that does not parse).
std::optional<TableId> listed_table(const std::vector<std::string>& args);

// True for commands that only read (-L, -S): unprivileged callers may run them.
bool is_read_only(const std::vector<std::string>& args);

}  // namespace netaccel::ipt

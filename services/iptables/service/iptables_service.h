// netaccel-iptables' logic, transport-free: the ruleset model, restores and single commands
// on it, counters (the model's baseline plus the live generation's), persistence of the
// ruleset across daemon restarts. The data path is behind IptablesDataplane.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <set>
#include <vector>

#include "additions.h"
#include "commands.h"
#include "compiler.h"
#include "netaccel/core/result.h"
#include "restore.h"
#include "ruleset.h"

namespace netaccel::ipt {

class IptablesDataplane {
 public:
  virtual ~IptablesDataplane() = default;
  // Loads c beside the live ruleset and switches to it in one step.
  virtual Status load(const Compiled& c) = 0;
  // Makes an in-place insert of the live compiled ruleset `c` live (RuleInsert says what changed).
  virtual Status insert(const Compiled& c, const RuleInsert& ins) = 0;
  // Makes a chain added in place (add_chain) exist in the data path; nothing refers to it yet.
  virtual Status add_chain(const Compiled& c, uint32_t chain_id) = 0;
  // Makes an in-place delete of the live compiled ruleset `c` live (RuleDelete says what changed).
  virtual Status remove(const Compiled& c, const RuleDelete& del) = 0;
  // Counters of the live generation.
  virtual ipt_counter rule_counter(uint32_t rule_id) = 0;
  virtual ipt_counter policy_counter(uint32_t chain_id) = 0;
  // Restarts the counters of these rules (live generation) from zero.
  virtual Status zero_counters(const Compiled& c, const std::vector<uint32_t>& rule_ids) = 0;
  // Rules 0 .. count-1 at once (a ruleset's worth of reads is a restore's hot spot).
  virtual std::vector<ipt_counter> rule_counters(uint32_t count) {
    std::vector<ipt_counter> all(count);
    for (uint32_t id = 0; id < count; ++id) all[id] = rule_counter(id);
    return all;
  }
};

struct RestoreFlags {
  bool noflush = false;
  bool counters = false;
  bool test = false;  // check only, change nothing
};

class IptablesService {
 public:
  // One service per family: iptables (v4) and ip6tables (v6) rulesets are independent.
  IptablesService(IptablesDataplane& dp, std::string state_file, Family f = Family::v4)
      : dp_(dp), state_file_(std::move(state_file)), family_(f) {}
  Family family() const { return family_; }

  // Loads the saved ruleset (with its counters), or an empty one.
  Status start();
  Status restore(const std::string& text, const RestoreFlags& f);
  std::string save(std::optional<TableId> table, bool counters);
  Result<CommandResult> command(const std::vector<std::string>& args);
  // The model with live counters folded in.
  Ruleset current();
  // Saves the ruleset with live counters (at shutdown: the next start continues from them).
  Status persist_now();

  uint32_t rule_count() const;
  uint32_t chain_count() const;
  uint32_t generation() const { return generation_; }
  // LOG target of a live rule id (prefix, level), for the journal.
  std::optional<Log> log_target(uint32_t rule_id) const;
  std::optional<RuleRef> rule_ref(uint32_t rule_id) const;
  void on_changed(std::function<void()> cb) { changed_ = std::move(cb); }

 private:
  Status apply(Ruleset next);
  // -A/-I of a plain rule into a large ruleset, without recompiling: false when not applicable.
  std::optional<Result<CommandResult>> fast_insert(const std::vector<std::string>& args);
  // A --noflush restore that only adds chains and rules, applied in place (kube-proxy adding a
  // service); nullopt when the full path must run.
  std::optional<Status> restore_additions(const std::string& text, const RestoreFlags& f);
  // Validates and applies additions in place; nullopt when only the full path can.
  std::optional<Status> apply_additions(std::vector<Addition>& adds);
  // -D of one rule from a large ruleset, without recompiling; nullopt when not applicable.
  std::optional<Result<CommandResult>> fast_delete(const std::vector<std::string>& args);
  // A --noflush restore that re-declares existing chains (kube-proxy's sync) as edits of the
  // live tables (iptables_sync.cpp); nullopt when the full path must run.
  std::optional<Status> restore_sync(const std::string& text, const RestoreFlags& f);
  std::optional<Status> apply_sync(Ruleset next, const std::vector<std::pair<TableId, std::string>>& flushed);
  // A chain whose compiled order no longer follows the model's (a permuted sync kept its rules
  // where they were): single-rule changes by index go through a recompile.
  bool diverged(TableId t, const std::string& chain) const { return diverged_.count({t == TableId::filter ? 0 : 1, chain}) > 0; }
  Status persist() const;
  Status append_journal(const std::vector<std::vector<std::string>>& commands);
  Status replay_journal();
  static Result<Ruleset> restore_fn(const Ruleset& base, const std::string& text);

  IptablesDataplane& dp_;
  std::string state_file_;
  Family family_;
  Ruleset model_ = empty_ruleset(family_);
  Compiled compiled_;
  uint32_t generation_ = 0;
  ChainReach reach_[2];  // chain_reach() per table, for in-place additions
  bool reach_stale_ = false;  // reach_ no longer describes model_ (after an in-place sync)
  std::set<std::pair<int, std::string>> diverged_;  // (table 0/1, chain), see diverged()
  mutable size_t journal_lines_ = 0;
  std::function<void()> changed_;
};

}  // namespace netaccel::ipt

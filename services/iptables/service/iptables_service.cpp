#include "iptables_service.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "additions.h"
#include "netaccel/core/files.h"
#include "rule_parser.h"
#include "save.h"

namespace netaccel::ipt {

Status IptablesService::start() {
  std::ifstream f(state_file_);
  Ruleset rs = empty_ruleset(family_);
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    auto r = restore_fn(rs, ss.str());
    if (!r) return Error{r.error().code, "saved ruleset " + state_file_ + ": " + r.error().message};
    rs = std::move(*r);
  }
  model_ = std::move(rs);
  // Single commands applied in place since the last full save.
  if (auto st = replay_journal(); !st) return st;
  return apply(model_);
}

Result<Ruleset> IptablesService::restore_fn(const Ruleset& base, const std::string& text) {
  return ipt::restore(base, text, RestoreOptions{false, true});
}

Ruleset IptablesService::current() {
  Ruleset rs = model_;
  const std::vector<ipt_counter> counts = dp_.rule_counters(static_cast<uint32_t>(compiled_.rule_refs.size()));
  for (uint32_t id = 0; id < compiled_.rule_refs.size(); ++id) {
    const RuleRef& ref = compiled_.rule_refs[id];
    Chain* c = rs.table(ref.table == 0 ? TableId::filter : TableId::nat).find(ref.chain);
    if (!c || ref.index >= c->rules.size()) continue;
    const ipt_counter& n = counts[id];
    c->rules[ref.index].packets += n.packets;
    c->rules[ref.index].bytes += n.bytes;
  }
  for (uint32_t id = 0; id < compiled_.chain_names.size(); ++id) {
    const std::string& full = compiled_.chain_names[id];  // "filter/INPUT"
    auto slash = full.find('/');
    TableId t = full.substr(0, slash) == "filter" ? TableId::filter : TableId::nat;
    Chain* c = rs.table(t).find(full.substr(slash + 1));
    if (!c || !c->builtin) continue;
    ipt_counter n = dp_.policy_counter(id);
    c->packets += n.packets;
    c->bytes += n.bytes;
  }
  return rs;
}

Status IptablesService::apply(Ruleset next) {
  auto c = compile(next);
  if (!c) return c.error();
  if (auto st = dp_.load(*c); !st) return st;
  model_ = std::move(next);
  compiled_ = std::move(*c);
  diverged_.clear();
  // Ready for in-place additions (kube-proxy adds services right after a full sync).
  reach_[0] = chain_reach(model_.filter);
  reach_[1] = chain_reach(model_.nat);
  reach_stale_ = false;
  ++generation_;
  if (auto st = persist(); !st) return st;
  if (changed_) changed_();
  return {};
}

Status IptablesService::restore(const std::string& text, const RestoreFlags& f) {
  if (auto in_place = restore_additions(text, f)) return *in_place;
  if (auto synced = restore_sync(text, f)) return *synced;
  // Rules that survive (--noflush) keep their counts: start from the live totals.
  auto next = ipt::restore(current(), text, RestoreOptions{f.noflush, f.counters});
  if (!next) return next.error();
  if (f.test) {
    auto c = compile(*next);  // the data path's limits are part of the check
    return c ? Status{} : Status{c.error()};
  }
  return apply(std::move(*next));
}

std::string IptablesService::save(std::optional<TableId> table, bool counters) {
  SaveOptions o;
  o.only = table;
  o.counters = counters;
  if (family_ == Family::v6) o.generated_by = "netaccel-ip6tables-save v0.1.0";
  return ipt::save(current(), o);
}

namespace {

// Below this size a full compile takes about as long as the in-place path: keep one path.
constexpr size_t kFastInsertMinRules = 1000;
constexpr size_t kJournalFoldLines = 1000;

std::string quote(const std::string& a) {
  std::string q = "\"";
  for (char ch : a) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

}  // namespace

std::optional<Result<CommandResult>> IptablesService::fast_insert(const std::vector<std::string>& args) {
  if (compiled_.rules.size() < kFastInsertMinRules) return std::nullopt;
  auto parsed = parse_insert(args, model_.family);
  if (!parsed || !*parsed) return std::nullopt;  // not -A/-I, or an error the full path words
  InsertCommand& ic = **parsed;
  if (diverged(ic.table, ic.chain)) return std::nullopt;
  Addition a;
  a.table = ic.table;
  a.chain = ic.chain;
  a.index = ic.position;
  a.top = !ic.append && !ic.position;
  a.rule = std::move(ic.rule);
  std::vector<Addition> adds;
  adds.push_back(std::move(a));
  auto st = apply_additions(adds);
  if (!st) return std::nullopt;
  if (!*st) return Result<CommandResult>(st->error());
  return Result<CommandResult>(CommandResult{"", true});
}

std::optional<Result<CommandResult>> IptablesService::fast_delete(const std::vector<std::string>& args) {
  if (compiled_.rules.size() < kFastInsertMinRules) return std::nullopt;
  auto parsed = parse_delete(args, model_.family);
  if (!parsed || !*parsed) return std::nullopt;  // not -D, or an error the full path words
  const DeleteCommand& dc = **parsed;
  if (diverged(dc.table, dc.chain)) return std::nullopt;
  Table& t = model_.table(dc.table);
  Chain* ch = t.find(dc.chain);
  if (!ch) return std::nullopt;
  size_t index = dc.position.value_or(ch->rules.size());
  if (dc.rule) {  // the first rule that prints the same, as iptables -D finds it
    const std::string want = rule_spec(*dc.rule, model_.family);
    for (size_t i = 0; i < ch->rules.size(); ++i)
      if (rule_spec(ch->rules[i], model_.family) == want) {
        index = i;
        break;
      }
  }
  if (index >= ch->rules.size()) return std::nullopt;  // the full path says what is wrong
  // Removing a rule cannot close a loop or put a target where its hooks forbid it; the hooks
  // that reach a chain only shrink (reach_ stays a superset: in-place additions stay safe).
  auto del = delete_rule(compiled_, dc.table, dc.chain, index);
  if (!del) return std::nullopt;
  ch->rules.erase(ch->rules.begin() + static_cast<long>(index));
  if (auto st = dp_.remove(compiled_, *del); !st) {
    // The maps may be half-written: rebuild everything from the model (without the rule).
    if (auto re = apply(model_); !re) return Result<CommandResult>(re.error());
    return Result<CommandResult>(CommandResult{"", true});
  }
  ++generation_;
  if (auto st = append_journal({{"-t", table_name(dc.table), "-D", dc.chain, std::to_string(index + 1)}}); !st)
    return Result<CommandResult>(st.error());
  if (changed_) changed_();
  return Result<CommandResult>(CommandResult{"", true});
}

std::optional<Status> IptablesService::restore_additions(const std::string& text, const RestoreFlags& f) {
  if (!f.noflush || f.test || compiled_.rules.size() < kFastInsertMinRules) return std::nullopt;
  auto adds = parse_additions(model_, text);
  if (!adds) return std::nullopt;
  return apply_additions(*adds);
}

std::optional<Status> IptablesService::apply_additions(std::vector<Addition>& adds) {
  size_t new_chains = 0;
  for (const Addition& a : adds) {
    new_chains += a.new_chain;
    if (!a.new_chain && diverged(a.table, a.chain)) return std::nullopt;
  }
  if (compiled_.rules.size() + adds.size() - new_chains > IPT_MAX_RULES / 2 || compiled_.chains.size() + new_chains > IPT_MAX_CHAINS / 2)
    return std::nullopt;  // the full path says which limit
  // (From here on the additions are applied: additions_valid() records the new chains' reach.)
  if (reach_stale_) {
    reach_[0] = chain_reach(model_.filter);
    reach_[1] = chain_reach(model_.nat);
    reach_stale_ = false;
  }
  if (!additions_valid(model_, adds, reach_)) return std::nullopt;
  // New chains, then their rules, then the rules that jump to them: the data path never sees a
  // half-built chain reachable. (additions_valid() saw each chain created before its rules.)
  std::stable_partition(adds.begin(), adds.end(), [&](const Addition& a) { return a.new_chain || !model_.table(a.table).find(a.chain); });
  std::vector<std::vector<std::string>> journal;
  size_t done = 0;
  Status outcome;  // OK unless a step below fails
  for (; done < adds.size() && outcome; ++done) {
    const Addition& a = adds[done];
    journal.push_back({"-t", table_name(a.table)});
    if (a.new_chain) {
      journal.back().insert(journal.back().end(), {"-N", a.chain});
      auto id = add_chain(compiled_, a.table, a.chain);
      if (!id) {
        outcome = id.error();
        break;
      }
      model_.table(a.table).add_chain(Chain{a.chain, false, Policy::none, 0, 0, {}});
      outcome = dp_.add_chain(compiled_, *id);
      continue;
    }
    journal.back().insert(journal.back().end(), {"-I", a.chain, std::to_string(*a.index + 1)});
    if (auto words = split_words(rule_spec(a.rule, model_.family)))  // save's canonical form, which restore reads back
      journal.back().insert(journal.back().end(), words->begin(), words->end());
    auto ins = insert_rule(compiled_, a.table, a.chain, *a.index, a.rule);
    if (!ins) {
      outcome = ins.error();
      break;
    }
    Table& t = model_.table(a.table);
    Chain* ch = t.find(a.chain);
    ch->rules.insert(ch->rules.begin() + static_cast<long>(*a.index), a.rule);
    t.present = true;
    outcome = dp_.insert(compiled_, *ins);
  }
  if (outcome) {
    ++generation_;
    if (auto st = append_journal(journal); !st) return st;
    if (changed_) changed_();
    return Status{};
  }
  // No room in place (positions, tuple slots), or a map write failed: the model takes the rest
  // and everything is recompiled from it.
  for (; done < adds.size(); ++done) {
    const Addition& a = adds[done];
    Table& t = model_.table(a.table);
    if (a.new_chain) {
      t.add_chain(Chain{a.chain, false, Policy::none, 0, 0, {}});
    } else {
      Chain* ch = t.find(a.chain);
      ch->rules.insert(ch->rules.begin() + static_cast<long>(*a.index), a.rule);
      t.present = true;
    }
  }
  return apply(model_);
}

Status IptablesService::append_journal(const std::vector<std::vector<std::string>>& commands) {
  if (state_file_.empty()) return {};
  std::ofstream f(state_file_ + ".journal", std::ios::app);
  if (!f) return errno_error(errno, "append to " + state_file_ + ".journal");
  for (const auto& args : commands) {
    for (size_t i = 0; i < args.size(); ++i) f << (i ? " " : "") << quote(args[i]);
    f << "\n";
  }
  f.flush();
  if (!f) return errno_error(errno, "append to " + state_file_ + ".journal");
  // Replaying a long journal at start costs a ruleset copy per line: fold it into the state
  // file now and then.
  journal_lines_ += commands.size();
  if (journal_lines_ >= kJournalFoldLines) return persist_now();
  return {};
}

Status IptablesService::replay_journal() {
  std::ifstream f(state_file_ + ".journal");
  std::string line;
  while (std::getline(f, line)) {
    auto words = split_words(line);
    if (!words) continue;
    // Inserts and new chains (nearly every line) in place; run_command copies the ruleset.
    if (auto ins = parse_insert(*words, model_.family); ins && *ins) {
      Chain* ch = model_.table((*ins)->table).find((*ins)->chain);
      size_t at = (*ins)->append ? (ch ? ch->rules.size() : 0) : (*ins)->position.value_or(0);
      if (ch && at <= ch->rules.size()) {
        ch->rules.insert(ch->rules.begin() + static_cast<long>(at), std::move((*ins)->rule));
        model_.table((*ins)->table).present = true;
      }
      continue;
    }
    const auto& w = *words;
    if (w.size() == 5 && w[0] == "-t" && (w[1] == "filter" || w[1] == "nat") && w[2] == "-D" && is_number(w[4])) {
      Chain* ch = model_.table(w[1] == "nat" ? TableId::nat : TableId::filter).find(w[3]);
      size_t at = std::stoul(w[4]) - 1;
      if (ch && at < ch->rules.size()) ch->rules.erase(ch->rules.begin() + static_cast<long>(at));
      continue;
    }
    if (w.size() == 4 && w[0] == "-t" && (w[1] == "filter" || w[1] == "nat") && w[2] == "-N") {
      Table& t = model_.table(w[1] == "nat" ? TableId::nat : TableId::filter);
      if (!t.find(w[3])) t.add_chain(Chain{w[3], false, Policy::none, 0, 0, {}});
      continue;
    }
    auto r = run_command(model_, *words);
    (void)r;  // it applied once already; a line that no longer applies is skipped
  }
  return {};
}

Result<CommandResult> IptablesService::command(const std::vector<std::string>& args) {
  if (auto fast = fast_insert(args)) return std::move(*fast);
  if (auto fast = fast_delete(args)) return std::move(*fast);
  Ruleset rs = current();
  auto r = run_command(rs, args);
  if (!r) return r;
  if (r->changed)
    if (auto st = apply(std::move(rs)); !st) return st.error();
  return r;
}

uint32_t IptablesService::rule_count() const { return static_cast<uint32_t>(compiled_.rules.size()); }
uint32_t IptablesService::chain_count() const { return static_cast<uint32_t>(compiled_.chains.size()); }

std::optional<RuleRef> IptablesService::rule_ref(uint32_t id) const {
  if (id >= compiled_.rule_refs.size()) return std::nullopt;
  return compiled_.rule_refs[id];
}

std::optional<Log> IptablesService::log_target(uint32_t id) const {
  auto ref = rule_ref(id);
  if (!ref) return std::nullopt;
  const Chain* c = model_.table(ref->table == 0 ? TableId::filter : TableId::nat).find(ref->chain);
  if (!c || ref->index >= c->rules.size()) return std::nullopt;
  if (auto* l = std::get_if<Log>(&c->rules[ref->index].target)) return *l;
  return std::nullopt;
}

Status IptablesService::persist_now() {
  Ruleset live = current();
  std::swap(live, model_);
  Status st = persist();
  std::swap(live, model_);
  return st;
}

Status IptablesService::persist() const {
  if (state_file_.empty()) return {};
  SaveOptions o;
  o.counters = true;
  o.header = false;
  if (auto st = write_file_atomic(state_file_, ipt::save(model_, o)); !st) return st;
  unlink((state_file_ + ".journal").c_str());  // the full file now has what the journal had
  journal_lines_ = 0;
  return {};
}

}  // namespace netaccel::ipt

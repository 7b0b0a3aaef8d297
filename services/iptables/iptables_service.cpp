#include "iptables_service.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "rule_parser.h"
#include "save.h"

namespace netaccel::ipt {

Status IptablesService::start() {
  std::ifstream f(state_file_);
  Ruleset rs = empty_ruleset();
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
  for (uint32_t id = 0; id < compiled_.rule_refs.size(); ++id) {
    const RuleRef& ref = compiled_.rule_refs[id];
    Chain* c = rs.table(ref.table == 0 ? TableId::filter : TableId::nat).find(ref.chain);
    if (!c || ref.index >= c->rules.size()) continue;
    ipt_counter n = dp_.rule_counter(id);
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
  ++generation_;
  if (auto st = persist(); !st) return st;
  if (changed_) changed_();
  return {};
}

Status IptablesService::restore(const std::string& text, const RestoreFlags& f) {
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
  return ipt::save(current(), o);
}

namespace {

// Below this size a full compile takes about as long as the in-place path: keep one path.
constexpr size_t kFastInsertMinRules = 1000;

std::string quote(const std::string& a) {
  std::string q = "\"";
  for (char ch : a) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

bool needs_whole_table_checks(const Target& t) {
  // A jump can close a loop; NAT targets depend on the hooks that reach the chain.
  return std::holds_alternative<Jump>(t) || std::holds_alternative<NatTarget>(t) ||
         std::holds_alternative<Masquerade>(t) || std::holds_alternative<Redirect>(t);
}

}  // namespace

std::optional<Result<CommandResult>> IptablesService::fast_insert(const std::vector<std::string>& args) {
  if (compiled_.rules.size() < kFastInsertMinRules) return std::nullopt;
  auto parsed = parse_insert(args);
  if (!parsed || !*parsed) return std::nullopt;  // not -A/-I, or an error the full path words
  const InsertCommand& ic = **parsed;
  Chain* ch = model_.table(ic.table).find(ic.chain);
  if (!ch || needs_whole_table_checks(ic.rule.target)) return std::nullopt;
  if (!ic.rule.in_if.empty() && ch->builtin && (ic.chain == "OUTPUT" || ic.chain == "POSTROUTING")) return std::nullopt;
  if (!ic.rule.out_if.empty() && ch->builtin && (ic.chain == "INPUT" || ic.chain == "PREROUTING")) return std::nullopt;
  size_t index = ic.append ? ch->rules.size() : ic.position.value_or(0);
  if (index > ch->rules.size()) return std::nullopt;
  auto ins = insert_rule(compiled_, ic.table, ic.chain, index, ic.rule);
  if (!ins) return std::nullopt;  // no room in place: recompile
  ch->rules.insert(ch->rules.begin() + static_cast<long>(index), ic.rule);
  model_.table(ic.table).present = true;
  if (auto st = dp_.insert(compiled_, *ins); !st) {
    // The maps may be half-written: rebuild everything from the model (which has the rule).
    if (auto re = apply(model_); !re) return Result<CommandResult>(re.error());
    return Result<CommandResult>(CommandResult{"", true});
  }
  ++generation_;
  if (auto st = append_journal(args); !st) return Result<CommandResult>(st.error());
  if (changed_) changed_();
  return Result<CommandResult>(CommandResult{"", true});
}

Status IptablesService::append_journal(const std::vector<std::string>& args) const {
  if (state_file_.empty()) return {};
  std::ofstream f(state_file_ + ".journal", std::ios::app);
  if (!f) return errno_error(errno, "append to " + state_file_ + ".journal");
  for (size_t i = 0; i < args.size(); ++i) f << (i ? " " : "") << quote(args[i]);
  f << "\n";
  f.flush();
  if (!f) return errno_error(errno, "append to " + state_file_ + ".journal");
  return {};
}

Status IptablesService::replay_journal() {
  std::ifstream f(state_file_ + ".journal");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    auto words = split_words(line);
    if (!words) continue;
    auto r = run_command(model_, *words);
    (void)r;  // it applied once already; a line that no longer applies is skipped
  }
  return {};
}

Result<CommandResult> IptablesService::command(const std::vector<std::string>& args) {
  if (auto fast = fast_insert(args)) return std::move(*fast);
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
  std::string tmp = state_file_ + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return errno_error(errno, "write " + tmp);
    f << ipt::save(model_, o);
    if (!f) return errno_error(errno, "write " + tmp);
  }
  if (rename(tmp.c_str(), state_file_.c_str()) < 0) return errno_error(errno, "rename " + tmp);
  unlink((state_file_ + ".journal").c_str());  // the full file now has what the journal had
  return {};
}

}  // namespace netaccel::ipt

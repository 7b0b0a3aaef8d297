#include "iptables_service.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

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
  return apply(std::move(rs));
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

Result<CommandResult> IptablesService::command(const std::vector<std::string>& args) {
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
  return {};
}

}  // namespace netaccel::ipt

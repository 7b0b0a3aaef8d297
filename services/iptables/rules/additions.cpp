#include "additions.h"

#include <set>
#include <sstream>

#include "restore.h"
#include "rule_parser.h"

namespace netaccel::ipt {

namespace {

int table_index(TableId t) { return t == TableId::filter ? 0 : 1; }

}  // namespace

std::optional<std::vector<Addition>> parse_additions(const Ruleset& rs, const std::string& text) {
  std::vector<Addition> adds;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  std::optional<TableId> table;
  std::set<std::string> created[2];
  auto new_chain = [&](const std::string& name) {
    if (name.empty() || name.size() > 28 || name[0] == '-' || is_builtin_chain(*table, name)) return false;
    if (rs.table(*table).find(name) || !created[table_index(*table)].insert(name).second) return false;
    Addition a;
    a.table = *table;
    a.chain = name;
    a.new_chain = true;
    adds.push_back(std::move(a));
    return true;
  };
  while (next_statement(in, line, n)) {
    if (line[0] == '*') {
      if (table) return std::nullopt;
      if (line == "*filter") table = TableId::filter;
      else if (line == "*nat") table = TableId::nat;
      else return std::nullopt;
      continue;
    }
    if (!table) return std::nullopt;
    if (line == "COMMIT") {
      table.reset();
      continue;
    }
    auto words = split_words(line[0] == ':' ? line.substr(1) : line);
    if (!words || words->size() < 2) return std::nullopt;
    std::vector<std::string>& w = *words;
    if (line[0] == ':') {  // only a new user chain; an existing one would be flushed
      if (w.size() > 3 || w[1] != "-" || !new_chain(w[0])) return std::nullopt;
      continue;
    }
    if (w[0] == "-N" || w[0] == "--new-chain") {
      if (w.size() != 2 || !new_chain(w[1])) return std::nullopt;
      continue;
    }
    Addition a;
    a.table = *table;
    a.chain = w[1];
    std::vector<std::string> spec(w.begin() + 2, w.end());
    if (w[0] == "-I" || w[0] == "--insert") {
      if (!spec.empty() && is_number(spec[0])) {
        long k = strtol(spec[0].c_str(), nullptr, 10);
        if (k < 1) return std::nullopt;
        a.index = static_cast<size_t>(k - 1);
        spec.erase(spec.begin());
      } else {
        a.top = true;
      }
    } else if (w[0] != "-A" && w[0] != "--append") {
      return std::nullopt;
    }
    auto r = parse_rule(spec, *table, rs.family);
    if (!r) return std::nullopt;
    a.rule = std::move(*r);
    a.rule.packets = a.rule.bytes = 0;
    adds.push_back(std::move(a));
  }
  if (table || adds.empty()) return std::nullopt;
  return adds;
}

namespace {

// The jumps out of a chain: its rules in rs, then those being added.
std::vector<std::string> jumps_of(const Table& t, const std::vector<Addition>& adds, const std::string& chain) {
  std::vector<std::string> out;
  if (const Chain* c = t.find(chain))
    for (const auto& r : c->rules)
      if (auto* j = std::get_if<Jump>(&r.target)) out.push_back(j->chain);
  for (const auto& a : adds)
    if (!a.new_chain && a.table == t.id && a.chain == chain)
      if (auto* j = std::get_if<Jump>(&a.rule.target)) out.push_back(j->chain);
  return out;
}

bool reaches(const Table& t, const std::vector<Addition>& adds, const std::string& from, const std::string& to) {
  std::set<std::string> seen;
  std::vector<std::string> todo = {from};
  while (!todo.empty()) {
    std::string c = todo.back();
    todo.pop_back();
    if (c == to) return true;
    if (!seen.insert(c).second) continue;
    for (auto& n : jumps_of(t, adds, c)) todo.push_back(n);
  }
  return false;
}

// `added` gets the reach of the chains the additions create.
bool table_additions_valid(const Table& t, std::vector<Addition>& adds, const Reach& reach, Reach& added) {
  std::set<std::string> created;
  std::map<std::string, size_t> size;  // chain -> rules after the additions so far
  auto exists = [&](const std::string& c) { return created.count(c) || t.find(c); };
  for (auto& a : adds) {
    if (a.table != t.id) continue;
    if (a.new_chain) {
      created.insert(a.chain);
      size[a.chain] = 0;
      continue;
    }
    const Chain* existing = t.find(a.chain);
    if (!existing && !created.count(a.chain)) return false;
    size_t& sz = size.try_emplace(a.chain, existing ? existing->rules.size() : 0).first->second;
    if (a.top) a.index = 0;
    else if (!a.index) a.index = sz;
    if (*a.index > sz) return false;
    ++sz;
    bool builtin = existing && existing->builtin;
    if (builtin && !a.rule.in_if.empty() && (a.chain == "OUTPUT" || a.chain == "POSTROUTING")) return false;
    if (builtin && !a.rule.out_if.empty() && (a.chain == "INPUT" || a.chain == "PREROUTING")) return false;
    if (auto* j = std::get_if<Jump>(&a.rule.target)) {
      if (!exists(j->chain) || is_builtin_chain(t.id, j->chain)) return false;
      if (reaches(t, adds, j->chain, a.chain)) return false;  // the new edge closes a loop
    }
  }
  // Hooks reaching the new chains, through the new jumps (a fixpoint over a handful of edges).
  auto reach_of = [&](const std::string& c) {
    if (created.count(c)) return added[c];
    auto it = reach.find(c);
    return it == reach.end() ? 0u : it->second;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& a : adds) {
      auto* j = a.table == t.id && !a.new_chain ? std::get_if<Jump>(&a.rule.target) : nullptr;
      if (!j) continue;
      unsigned from = reach_of(a.chain);
      if (!created.count(j->chain)) {
        if (from & ~reach_of(j->chain)) return false;  // widens an existing chain: whole-table check
        continue;
      }
      if ((added[j->chain] | from) != added[j->chain]) {
        added[j->chain] |= from;
        changed = true;
      }
    }
  }
  for (const auto& a : adds)
    if (a.table == t.id && !a.new_chain && !hook_violation(t.id, a.rule.target, reach_of(a.chain)).empty()) return false;
  for (const auto& c : created) added[c];  // unreachable new chains are known too
  return true;
}

}  // namespace

bool additions_valid(const Ruleset& rs, std::vector<Addition>& adds, Reach reach[2]) {
  // Both tables are checked before either reach map changes.
  Reach added[2];
  for (TableId t : kTables)
    if (!table_additions_valid(rs.table(t), adds, reach[table_index(t)], added[table_index(t)])) return false;
  for (int i = 0; i < 2; ++i)
    for (const auto& [chain, bits] : added[i]) reach[i].insert_or_assign(chain, bits);
  return true;
}

}  // namespace netaccel::ipt

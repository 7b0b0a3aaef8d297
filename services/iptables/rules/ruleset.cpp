#include "ruleset.h"

#include <string>
#include <utility>

namespace netaccel::ipt {

bool iface_matches(const std::string& pattern, const std::string& name) {
  if (!pattern.empty() && pattern.back() == '+')
    return name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0 && !name.empty();
  return pattern == name;
}


const char* table_name(TableId t) { return t == TableId::filter ? "filter" : "nat"; }

const std::vector<std::string>& builtin_chains(TableId t) {
  static const std::vector<std::string> filter = {"INPUT", "FORWARD", "OUTPUT"};
  static const std::vector<std::string> nat = {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"};
  return t == TableId::filter ? filter : nat;
}

bool is_builtin_chain(TableId t, const std::string& name) {
  for (const auto& b : builtin_chains(t))
    if (b == name) return true;
  return false;
}

const Chain* Table::find(const std::string& name) const {
  if (indexed_ > chains.size()) drop_index();
  for (; indexed_ < chains.size(); ++indexed_) index_[chains[indexed_].name] = indexed_;
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  if (it->second < chains.size() && chains[it->second].name == name) return &chains[it->second];
  // Someone edited `chains` behind the index: rebuild once and look again.
  drop_index();
  return find(name);
}

Chain* Table::find(const std::string& name) { return const_cast<Chain*>(std::as_const(*this).find(name)); }

Chain& Table::add_chain(Chain c) {
  chains.push_back(std::move(c));
  return chains.back();
}

void Table::erase_chain(const std::string& name) {
  if (const Chain* c = find(name)) chains.erase(chains.begin() + (c - chains.data()));
  drop_index();
}

void Table::drop_index() const {
  index_.clear();
  indexed_ = 0;
}

Table empty_table(TableId t) {
  Table table{t, {}};
  for (const auto& name : builtin_chains(t)) table.add_chain(Chain{name, true, Policy::accept, 0, 0, {}});
  return table;
}

Ruleset empty_ruleset(Family f) { return Ruleset{empty_table(TableId::filter), empty_table(TableId::nat), f}; }

bool same_rule(const Rule& a, const Rule& b) {
  return a.src == b.src && a.dst == b.dst && a.src_neg == b.src_neg && a.dst_neg == b.dst_neg && a.in_if == b.in_if &&
         a.out_if == b.out_if && a.in_neg == b.in_neg && a.out_neg == b.out_neg && a.proto == b.proto &&
         a.proto_neg == b.proto_neg && a.matches == b.matches && a.target == b.target;
}

}  // namespace netaccel::ipt

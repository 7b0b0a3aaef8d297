#include "ruleset.h"

namespace netaccel::ipt {

const char* table_name(TableId t) { return t == TableId::filter ? "filter" : "nat"; }

const std::vector<std::string>& builtin_chains(TableId t) {
  static const std::vector<std::string> filter = {"INPUT", "FORWARD", "OUTPUT"};
  static const std::vector<std::string> nat = {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"};
  return t == TableId::filter ? filter : nat;
}

Chain* Table::find(const std::string& name) {
  for (auto& c : chains)
    if (c.name == name) return &c;
  return nullptr;
}

const Chain* Table::find(const std::string& name) const {
  for (const auto& c : chains)
    if (c.name == name) return &c;
  return nullptr;
}

Table empty_table(TableId t) {
  Table table{t, {}};
  for (const auto& name : builtin_chains(t)) table.chains.push_back(Chain{name, true, Policy::accept, 0, 0, {}});
  return table;
}

Ruleset empty_ruleset() { return Ruleset{empty_table(TableId::filter), empty_table(TableId::nat)}; }

}  // namespace netaccel::ipt

// iptables' semantics rule by rule, straight from the model: the yardstick the compiled
// classifier (and the BPF program) are tested against. Not used on the data path.
#pragma once

#include <map>

#include "packet.h"
#include "ruleset.h"

namespace netaccel::ipt {

class ReferenceEvaluator {
 public:
  explicit ReferenceEvaluator(const Ruleset& rs) : rs_(rs) {}
  // Evaluates built-in chain `hook_chain` of table t.
  Decision evaluate(TableId t, const std::string& hook_chain, const Packet& p);

 private:
  bool matches(const Rule& r, const Packet& p, const RuleRef& ref, Decision& d);
  const Ruleset& rs_;
  std::map<std::tuple<int, std::string, uint32_t>, uint32_t> nth_;  // statistic nth state
};

}  // namespace netaccel::ipt

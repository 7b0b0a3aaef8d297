// The classifier's algorithm over Compiled, in C++: per chain, one cursor per tuple into the
// bucket for the packet's key, merged by rule position (first match), residual checks, jumps
// on an explicit stack. iptables.bpf.c does the same over maps; the tests hold all three
// (reference, this, BPF) to the same answers.
#pragma once

#include <vector>

#include "compiler.h"
#include "packet.h"

namespace netaccel::ipt {

class CompiledEvaluator {
 public:
  explicit CompiledEvaluator(const Compiled& c) : c_(c), nth_(c.rules.size(), 0) {}
  // Evaluates the table (0 filter, 1 nat) at a hook; a missing chain accepts.
  Decision evaluate(int table, int hook, const Packet& p);

 private:
  bool residual(uint32_t rule_id, const Packet& p, const ipt_iface& in, const ipt_iface& out, Decision& d);
  const Compiled& c_;
  std::vector<uint32_t> nth_;
};

}  // namespace netaccel::ipt

// What classification sees of a packet, and what it decides. Shared by the reference
// evaluator (iptables semantics, rule by rule), the compiled evaluator (the BPF algorithm in
// C++) and the tests that compare them with each other and with the BPF program.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "address.h"
#include "bpf/iptables/ipt_abi.h"

namespace netaccel::ipt {

struct Packet {
  Addr src{}, dst{};  // address.h
  uint8_t proto = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0, icmp_code = 0;
  std::string in_if, out_if;  // "" when the hook has none
  uint8_t ctstate = IPT_CT_NEW;
  uint32_t mark = 0;
  bool src_local = false, dst_local = false;
  uint32_t random31 = 0;      // statistic --mode random matches when random31 < probability
  uint32_t len = 64;
};

// A rule as the model names it: table, chain, index (0-based).
struct RuleRef {
  int table = 0;  // 0 filter, 1 nat
  std::string chain;
  uint32_t index = 0;
  bool operator==(const RuleRef& o) const { return table == o.table && chain == o.chain && index == o.index; }
};

struct Decision {
  uint32_t verdict = IPT_V_ACCEPT;  // ACCEPT, DROP, REJECT, DNAT, SNAT, MASQUERADE, REDIRECT
  RuleRef by;                       // the rule that decided (empty chain: a policy)
  std::vector<RuleRef> matched;     // every rule that matched, in order (counters, LOG)
  uint32_t mark = 0;                // after MARK targets
  bool cacheable = true;            // no per-packet check was examined
  bool steps_exceeded = false;      // the compiled walk gave up (never in the reference)
};

}  // namespace netaccel::ipt

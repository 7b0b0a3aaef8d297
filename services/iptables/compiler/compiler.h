// Compiles a Ruleset into the tables the classifier walks (ipt_abi.h): chains with their
// tuples, rules with residual checks, buckets keyed by tuple and exact fields, interface
// patterns. Knows nothing of maps or the kernel: the data path loader copies these into maps,
// and CompiledEvaluator walks them exactly as the BPF program does.
#pragma once

#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "netaccel/core/result.h"
#include "packet.h"
#include "ruleset.h"

namespace netaccel::ipt {

struct KeyHash {
  size_t operator()(const ipt_key& k) const;
};
struct KeyEq {
  bool operator()(const ipt_key& a, const ipt_key& b) const { return memcmp(&a, &b, sizeof(a)) == 0; }
};

using ChainIds = std::unordered_map<std::string, uint32_t>;  // chain name -> id, one table

struct Compiled {
  std::vector<ipt_chain> chains;                 // by chain id
  ChainIds chain_ids[2];                         // [0 filter, 1 nat]
  std::vector<std::string> chain_names;          // by chain id: "filter/INPUT"
  std::vector<ipt_rule> rules;                   // by rule id
  std::vector<RuleRef> rule_refs;                // by rule id: where it came from (chain "" once deleted)
  std::vector<std::optional<ipt_key>> rule_keys; // by rule id: its bucket, none if it can never match
  std::vector<std::vector<uint32_t>> chain_rules; // by chain id: its rule ids in order
  std::unordered_map<ipt_key, ipt_bucket, KeyHash, KeyEq> buckets;
  std::vector<std::string> iface_patterns;       // by pattern id
  std::array<uint32_t, IPT_HOOK_MAX * 2> hook_chain{};  // [hook*2 + table] -> chain id or IPT_NONE
  size_t max_bucket = 0;                         // longest bucket (rules filed under one key)
};

// Errors name the table, chain and rule ("filter/FORWARD rule 3: ...").
Result<Compiled> compile(const Ruleset& rs);
// One rule inserted into a compiled ruleset in place, without recompiling the rest: what the
// data path must write, in this order (the rule, then its link), to make it live.
struct RuleInsert {
  uint32_t rule_id = 0;
  bool linked = true;                 // false: the rule can never match, it is in no bucket
  ipt_key key{};                      // its bucket
  std::optional<uint32_t> pred;       // rule whose next now points at it; none: it heads the bucket
  bool chain_changed = false;         // a tuple was added to the chain
  uint32_t chain_id = 0;
  bool patterns_changed = false;      // a new interface name: ipt_ifaces needs refreshing
};

// Inserts rule r at `index` of table/chain into c (rule ids and positions of the others stay).
// Fails with Errc::unsupported when only a full compile can place it (no position gap left, no
// tuple slot); c is unchanged then.
Result<RuleInsert> insert_rule(Compiled& c, TableId t, const std::string& chain, size_t index, const Rule& r);

// One rule deleted in place: what the data path must write to unlink it (the rule itself stays
// in the map, unreachable).
struct RuleDelete {
  uint32_t rule_id = 0;
  std::optional<ipt_key> key;     // its bucket; none: it was in none
  std::optional<uint32_t> pred;   // rule whose next now skips it
  uint32_t head = IPT_NONE;       // without pred: the bucket's new first rule (IPT_NONE: delete it)
};
// Deletes rule `index` of table/chain from c (other rules keep their ids and positions).
Result<RuleDelete> delete_rule(Compiled& c, TableId t, const std::string& chain, size_t index);

// A new, empty user chain (it returns) appended to c: its id. Nothing refers to it yet.
Result<uint32_t> add_chain(Compiled& c, TableId t, const std::string& name);

// Which patterns an interface name matches (for ipt_ifaces).
ipt_iface iface_entry(const Compiled& c, const std::string& ifname);
// The bucket key of a packet for one tuple of a chain.
ipt_key packet_key(uint32_t chain, uint32_t tuple_index, const ipt_tuple& t, const Packet& p, const Compiled& c);

}  // namespace netaccel::ipt

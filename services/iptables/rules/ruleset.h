// The ruleset netaccel-iptables holds: tables, chains and rules as iptables-restore reads them
// and iptables-save prints them. Pure data; parsing, printing and compiling live elsewhere.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "address.h"

namespace netaccel::ipt {

enum class TableId { filter, nat };
inline constexpr TableId kTables[] = {TableId::filter, TableId::nat};
const char* table_name(TableId t);

struct Prefix {
  Addr addr{};  // already masked (address.h: either family)
  uint8_t len = 0;
  bool contains(const Addr& a) const { return masked(a, len) == addr; }
  bool operator==(const Prefix&) const = default;
};

struct PortRange {
  uint16_t lo = 0, hi = 0;
  bool contains(uint16_t p) const { return p >= lo && p <= hi; }
  bool operator==(const PortRange&) const = default;
};

// -p tcp/udp/sctp (implicit or -m tcp|udp|sctp): ports, and TCP flags for tcp.
struct PortMatch {
  uint8_t proto = 0;  // 6, 17, 132: which module (-m tcp, -m udp, -m sctp)
  std::optional<PortRange> sport, dport;
  bool sport_neg = false, dport_neg = false;
  std::optional<std::pair<uint8_t, uint8_t>> tcp_flags;  // mask, compare
  bool tcp_flags_neg = false;
  bool operator==(const PortMatch&) const = default;
};

struct MultiportMatch {
  enum Dir { src, dst, any } dir = dst;
  std::vector<PortRange> ports;
  bool neg = false;
  bool operator==(const MultiportMatch&) const = default;
};

// Conntrack states as -m conntrack --ctstate / -m state --state name them.
enum CtState : uint8_t {
  kCtInvalid = 1, kCtNew = 2, kCtRelated = 4, kCtEstablished = 8, kCtUntracked = 16, kCtSnat = 32, kCtDnat = 64,
};
struct StateMatch {
  bool conntrack_module = true;  // -m conntrack --ctstate vs -m state --state
  uint8_t states = 0;
  bool neg = false;
  bool operator==(const StateMatch&) const = default;
};

struct CommentMatch {
  std::string text;
  bool operator==(const CommentMatch&) const = default;
};

struct MarkMatch {
  uint32_t value = 0, mask = 0xffffffff;
  bool neg = false;
  bool operator==(const MarkMatch&) const = default;
};

struct StatisticMatch {
  bool random = true;
  uint32_t probability = 0;  // random: p * 2^31, rounded as iptables does
  uint32_t every = 0, packet = 0;  // nth
  bool neg = false;
  bool operator==(const StatisticMatch&) const = default;
};

struct AddrtypeMatch {
  // Only LOCAL is modelled (what kube-proxy, Docker and host firewalls use).
  bool src_local = false, src_set = false, src_neg = false;
  bool dst_local = false, dst_set = false, dst_neg = false;
  bool limit_iface_in = false, limit_iface_out = false;
  bool operator==(const AddrtypeMatch&) const = default;
};

struct IcmpMatch {
  uint8_t type = 0;
  std::optional<uint8_t> code;
  bool any = false;  // --icmp-type any
  bool neg = false;
  bool operator==(const IcmpMatch&) const = default;
};

using Match = std::variant<PortMatch, MultiportMatch, StateMatch, CommentMatch, MarkMatch, StatisticMatch, AddrtypeMatch,
                           IcmpMatch>;

// Targets.
struct Verdict {
  enum Kind { accept, drop, ret } kind = accept;
  bool operator==(const Verdict&) const = default;
};
struct Jump {
  std::string chain;
  bool is_goto = false;  // -g
  bool operator==(const Jump&) const = default;
};
struct Reject {
  std::string with = "icmp-port-unreachable";
  bool operator==(const Reject&) const = default;
};
struct NatTarget {  // DNAT --to-destination, SNAT --to-source
  bool dnat = true;
  Addr addr_lo{}, addr_hi{};  // all zero = keep (port-only)
  std::optional<PortRange> ports;
  bool random = false, persistent = false;
  bool operator==(const NatTarget&) const = default;
};
struct Masquerade {
  std::optional<PortRange> ports;
  bool random = false, random_fully = false;
  bool operator==(const Masquerade&) const = default;
};
struct Redirect {
  std::optional<PortRange> ports;
  bool random = false;
  bool operator==(const Redirect&) const = default;
};
struct Log {
  std::string prefix;
  int level = 4;  // warning, iptables' default (not printed)
  bool operator==(const Log&) const = default;
};
struct MarkTarget {  // every MARK form is --set-xmark value/mask: mark = (mark & ~mask) ^ value
  uint32_t value = 0, mask = 0;
  bool operator==(const MarkTarget&) const = default;
};
struct NoTarget {  // no -j: the rule only counts
  bool operator==(const NoTarget&) const = default;
};

using Target = std::variant<NoTarget, Verdict, Jump, Reject, NatTarget, Masquerade, Redirect, Log, MarkTarget>;

struct Rule {
  std::optional<Prefix> src, dst;
  bool src_neg = false, dst_neg = false;
  std::string in_if, out_if;  // "" = any; trailing '+' = prefix
  bool in_neg = false, out_neg = false;
  uint8_t proto = 0;  // 0 = all
  bool proto_neg = false;
  std::vector<Match> matches;
  Target target;
  uint64_t packets = 0, bytes = 0;
};

// The same rule, counters aside (what -S prints is the same).
bool same_rule(const Rule& a, const Rule& b);

enum class Policy { accept, drop, none };  // none: user chain ("-")

struct Chain {
  std::string name;
  bool builtin = false;
  Policy policy = Policy::none;
  uint64_t packets = 0, bytes = 0;  // policy counters of a built-in chain
  std::deque<Rule> rules;  // a deque: inserting at the top of a 50,000-rule chain moves nothing
};

struct Table {
  TableId id = TableId::filter;
  // Built-ins in hook order, then user chains. Add and remove chains with add_chain and
  // erase_chain: find() keeps a name index (kube-proxy rulesets have 50,000 chains).
  std::vector<Chain> chains;
  bool present = false;  // restored at least once: iptables-save prints it

  Chain* find(const std::string& name);
  const Chain* find(const std::string& name) const;
  Chain& add_chain(Chain c);
  void erase_chain(const std::string& name);
  void drop_index() const;  // after replacing `chains` wholesale

  // find()'s cache: chains[0, indexed_) are in index_ (name -> position).
  mutable std::unordered_map<std::string, size_t> index_;
  mutable size_t indexed_ = 0;
};

struct Ruleset {
  Table filter{TableId::filter, {}}, nat{TableId::nat, {}};
  Family family = Family::v4;  // iptables or ip6tables: how addresses, protocols and ICMP read
  Table& table(TableId t) { return t == TableId::filter ? filter : nat; }
  const Table& table(TableId t) const { return t == TableId::filter ? filter : nat; }
};

// The built-in chains of a table, in the order iptables lists them.
const std::vector<std::string>& builtin_chains(TableId t);
bool is_builtin_chain(TableId t, const std::string& name);
Table empty_table(TableId t);
Ruleset empty_ruleset(Family f = Family::v4);

// Interface name against an iptables pattern ("eth0", "eth+").
bool iface_matches(const std::string& pattern, const std::string& name);

}  // namespace netaccel::ipt

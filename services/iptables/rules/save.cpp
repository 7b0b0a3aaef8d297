#include "save.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "rule_parser.h"

namespace netaccel::ipt {

namespace {


std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

// xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with \" \\ \' escaped.
std::string quoted(const std::string& v) {
  bool bare = !v.empty() && v.find_first_not_of("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
                                std::string::npos;
  if (bare) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string ports(const PortRange& r, char sep) {
  return r.lo == r.hi ? std::to_string(r.lo) : std::to_string(r.lo) + sep + std::to_string(r.hi);
}

std::string neg(bool n) { return n ? " !" : ""; }

std::string match_text(const Match& m, Family f) {
  struct Printer {
    Family f;
    std::string operator()(const PortMatch& p) const {
      std::string s = std::string(" -m ") + (p.proto == 6 ? "tcp" : p.proto == 17 ? "udp" : "sctp");
      if (p.sport) s += neg(p.sport_neg) + " --sport " + ports(*p.sport, ':');
      if (p.dport) s += neg(p.dport_neg) + " --dport " + ports(*p.dport, ':');
      if (p.tcp_flags) s += neg(p.tcp_flags_neg) + " --tcp-flags " + tcp_flag_list(p.tcp_flags->first) + " " + tcp_flag_list(p.tcp_flags->second);
      return s;
    }
    std::string operator()(const MultiportMatch& m) const {
      std::string s = " -m multiport" + neg(m.neg) +
                      (m.dir == MultiportMatch::src ? " --sports " : m.dir == MultiportMatch::dst ? " --dports " : " --ports ");
      for (size_t i = 0; i < m.ports.size(); ++i) s += (i ? "," : "") + ports(m.ports[i], ':');
      return s;
    }
    std::string operator()(const StateMatch& m) const {
      return m.conntrack_module ? " -m conntrack" + neg(m.neg) + " --ctstate " + ct_state_list(m.states)
                                : " -m state" + neg(m.neg) + " --state " + ct_state_list(m.states);
    }
    std::string operator()(const CommentMatch& c) const { return " -m comment --comment " + quoted(c.text); }
    std::string operator()(const MarkMatch& m) const {
      return " -m mark" + neg(m.neg) + " --mark " + hex(m.value) + (m.mask == 0xffffffff ? "" : "/" + hex(m.mask));
    }
    std::string operator()(const StatisticMatch& s) const {
      if (s.random) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%.11f", 1.0 * s.probability / 2147483648.0);
        return std::string(" -m statistic --mode random --probability ") + buf;
      }
      return " -m statistic --mode nth --every " + std::to_string(s.every + 1) + " --packet " + std::to_string(s.packet);
    }
    std::string operator()(const AddrtypeMatch& a) const {
      std::string s = " -m addrtype";
      if (a.src_set) s += neg(a.src_neg) + " --src-type LOCAL";
      if (a.dst_set) s += neg(a.dst_neg) + " --dst-type LOCAL";
      if (a.limit_iface_in) s += " --limit-iface-in";
      if (a.limit_iface_out) s += " --limit-iface-out";
      return s;
    }
    std::string operator()(const IcmpMatch& i) const {
      std::string s = f == Family::v4 ? " -m icmp" + neg(i.neg) + " --icmp-type " : " -m icmp6" + neg(i.neg) + " --icmpv6-type ";
      if (i.any) return s + "any";
      s += std::to_string(i.type);
      if (i.code) s += "/" + std::to_string(*i.code);
      return s;
    }
  };
  return std::visit(Printer{f}, m);
}

std::string target_text(const Target& t, Family f) {
  struct Printer {
    Family f;
    std::string operator()(const NoTarget&) const { return ""; }
    std::string operator()(const Verdict& v) const {
      return v.kind == Verdict::accept ? " -j ACCEPT" : v.kind == Verdict::drop ? " -j DROP" : " -j RETURN";
    }
    std::string operator()(const Jump& j) const { return (j.is_goto ? " -g " : " -j ") + j.chain; }
    std::string operator()(const Reject& r) const { return " -j REJECT --reject-with " + r.with; }
    std::string operator()(const NatTarget& n) const {
      std::string s = n.dnat ? " -j DNAT --to-destination " : " -j SNAT --to-source ";
      s += nat_range_text(n, f);
      if (n.random) s += " --random";
      if (n.persistent) s += " --persistent";
      return s;
    }
    static std::string to_ports(const std::optional<PortRange>& p) { return p ? " --to-ports " + ports(*p, '-') : ""; }
    std::string operator()(const Masquerade& m) const {
      std::string s = " -j MASQUERADE" + to_ports(m.ports);
      if (m.random) s += " --random";
      if (m.random_fully) s += " --random-fully";
      return s;
    }
    std::string operator()(const Redirect& r) const {
      std::string s = " -j REDIRECT" + to_ports(r.ports);
      if (r.random) s += " --random";
      return s;
    }
    std::string operator()(const Log& l) const {
      std::string s = " -j LOG";
      if (!l.prefix.empty()) s += " --log-prefix " + quoted(l.prefix);
      if (l.level != 4) s += " --log-level " + std::to_string(l.level);
      return s;
    }
    std::string operator()(const MarkTarget& m) const { return " -j MARK --set-xmark " + hex(m.value) + "/" + hex(m.mask); }
  };
  return std::visit(Printer{f}, t);
}

std::string now_text() {
  time_t t = time(nullptr);
  char buf[64];
  strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", localtime(&t));
  return buf;
}

const char* policy_text(Policy p) { return p == Policy::accept ? "ACCEPT" : p == Policy::drop ? "DROP" : "-"; }

// Built-ins first in hook order, then user chains sorted by name (as iptables-save prints).
std::vector<const Chain*> print_order(const Table& t) {
  std::vector<const Chain*> builtin, user;
  for (const auto& c : t.chains) (c.builtin ? builtin : user).push_back(&c);
  std::sort(user.begin(), user.end(), [](const Chain* a, const Chain* b) { return a->name < b->name; });
  builtin.insert(builtin.end(), user.begin(), user.end());
  return builtin;
}

}  // namespace

std::string tcp_flag_list(uint8_t f) {
  static const char* names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
  if (f == 0) return "NONE";
  std::string out;
  for (int i = 0; i < 6; ++i)
    if (f & (1u << i)) out += (out.empty() ? "" : ",") + std::string(names[i]);
  return out;
}

std::string ct_state_list(uint8_t s) {
  static const std::pair<uint8_t, const char*> order[] = {{kCtInvalid, "INVALID"}, {kCtNew, "NEW"},
                                                          {kCtRelated, "RELATED"}, {kCtEstablished, "ESTABLISHED"},
                                                          {kCtUntracked, "UNTRACKED"}, {kCtSnat, "SNAT"}, {kCtDnat, "DNAT"}};
  std::string out;
  for (auto [bit, name] : order)
    if (s & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

std::string nat_range_text(const NatTarget& n, Family f) {
  std::string range;
  if (n.addr_lo != Addr{}) range = format_addr(n.addr_lo, f) + (n.addr_hi != n.addr_lo ? "-" + format_addr(n.addr_hi, f) : "");
  // ip6tables brackets the addresses when a port follows.
  if (f == Family::v6 && n.ports && !range.empty()) range = "[" + range + "]";
  if (n.ports) range += ":" + ports(*n.ports, '-');
  return range;
}

std::pair<std::string, std::string> rule_parts(const Rule& r, Family f) {
  std::string s;
  if (r.src) s += neg(r.src_neg) + " -s " + format_addr(r.src->addr, f) + "/" + std::to_string(r.src->len);
  if (r.dst) s += neg(r.dst_neg) + " -d " + format_addr(r.dst->addr, f) + "/" + std::to_string(r.dst->len);
  if (!r.in_if.empty()) s += neg(r.in_neg) + " -i " + r.in_if;
  if (!r.out_if.empty()) s += neg(r.out_neg) + " -o " + r.out_if;
  if (r.proto) s += neg(r.proto_neg) + " -p " + protocol_name(r.proto);
  for (const auto& m : r.matches) s += match_text(m, f);
  return {s, target_text(r.target, f)};
}

std::string rule_spec(const Rule& r, Family f) {
  auto [m, t] = rule_parts(r, f);
  std::string s = m + t;
  return s.empty() ? s : s.substr(1);
}

std::string save(const Ruleset& rs, const SaveOptions& opt) {
  std::string out;
  for (TableId id : kTables) {
    const Table& t = rs.table(id);
    if (!t.present || (opt.only && *opt.only != id)) continue;
    if (opt.header) out += "# Generated by " + opt.generated_by + " on " + now_text() + "\n";
    out += std::string("*") + table_name(id) + "\n";
    auto order = print_order(t);
    for (const Chain* c : order)
      out += ":" + c->name + " " + policy_text(c->policy) + " [" + std::to_string(opt.counters ? c->packets : 0) + ":" +
             std::to_string(opt.counters ? c->bytes : 0) + "]\n";
    for (const Chain* c : order)
      for (const auto& r : c->rules) {
        if (opt.counters) out += "[" + std::to_string(r.packets) + ":" + std::to_string(r.bytes) + "] ";
        std::string spec = rule_spec(r, rs.family);
        out += "-A " + c->name + (spec.empty() ? "" : " " + spec) + "\n";
      }
    out += "COMMIT\n";
    if (opt.header) out += "# Completed on " + now_text() + "\n";
  }
  return out;
}

std::string list_rules(const Table& t, Family f, const std::string& chain, bool counters) {
  std::string out;
  auto order = print_order(t);
  for (const Chain* c : order) {
    if (!chain.empty() && c->name != chain) continue;
    if (c->builtin) {
      out += std::string("-P ") + c->name + " " + policy_text(c->policy);
      if (counters) out += " -c " + std::to_string(c->packets) + " " + std::to_string(c->bytes);
      out += "\n";
    } else {
      out += "-N " + c->name + "\n";
    }
  }
  for (const Chain* c : order) {
    if (!chain.empty() && c->name != chain) continue;
    for (const auto& r : c->rules) {
      auto [m, t] = rule_parts(r, f);
      // iptables -S -v: the counters stand between the matches and the target.
      out += "-A " + c->name + m + (counters ? " -c " + std::to_string(r.packets) + " " + std::to_string(r.bytes) : "") + t + "\n";
    }
  }
  return out;
}

}  // namespace netaccel::ipt

#include "rule_parser.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "icmp_names.h"

namespace netaccel::ipt {

namespace {

Error bad(const std::string& msg) { return make_error(Errc::parse_error, msg); }

Result<uint32_t> parse_u32(const std::string& s, const std::string& what) {
  if (s.empty()) return bad(what + ": empty number");
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &end, 0);
  if (*end || errno || v > 0xffffffffull || s[0] == '-') return bad(what + ": '" + s + "' is not a number");
  return static_cast<uint32_t>(v);
}

Result<uint16_t> parse_port(const std::string& s, const std::string& what) {
  auto v = parse_u32(s, what);
  if (!v) return v.error();
  if (*v > 65535) return bad(what + ": port " + s + " is out of range");
  return static_cast<uint16_t>(*v);
}

// "80", "80:90", ":90", "80:" (iptables' forms); sep is ':' for matches, '-' for NAT.
Result<PortRange> parse_port_range(const std::string& s, char sep, const std::string& what) {
  auto p = s.find(sep);
  if (p == std::string::npos) {
    auto v = parse_port(s, what);
    if (!v) return v.error();
    return PortRange{*v, *v};
  }
  PortRange r{0, 65535};
  if (p > 0) {
    auto lo = parse_port(s.substr(0, p), what);
    if (!lo) return lo.error();
    r.lo = *lo;
  }
  if (p + 1 < s.size()) {
    auto hi = parse_port(s.substr(p + 1), what);
    if (!hi) return hi.error();
    r.hi = *hi;
  }
  if (r.lo > r.hi) return bad(what + ": range " + s + " is empty");
  return r;
}

Result<uint8_t> parse_tcp_flags(const std::string& s) {
  static const std::map<std::string, uint8_t> names = {{"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
                                                       {"ACK", 0x10}, {"URG", 0x20}, {"ALL", 0x3f}, {"NONE", 0}};
  uint8_t v = 0;
  size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    std::string name = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto it = names.find(name);
    if (it == names.end()) return bad("--tcp-flags: unknown flag '" + name + "'");
    v |= it->second;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return v;
}

Result<uint8_t> parse_states(const std::string& s, const std::string& opt) {
  static const std::map<std::string, uint8_t> names = {{"INVALID", kCtInvalid}, {"NEW", kCtNew}, {"RELATED", kCtRelated},
                                                       {"ESTABLISHED", kCtEstablished}, {"UNTRACKED", kCtUntracked},
                                                       {"SNAT", kCtSnat}, {"DNAT", kCtDnat}};
  uint8_t v = 0;
  size_t start = 0;
  for (;;) {
    auto end = s.find(',', start);
    std::string name = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto it = names.find(name);
    if (it == names.end()) return bad(opt + ": unknown state '" + name + "'");
    v |= it->second;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return v;
}

Result<std::pair<uint32_t, uint32_t>> parse_value_mask(const std::string& s, const std::string& opt, uint32_t default_mask) {
  auto slash = s.find('/');
  auto v = parse_u32(s.substr(0, slash), opt);
  if (!v) return v.error();
  uint32_t mask = default_mask;
  if (slash != std::string::npos) {
    auto m = parse_u32(s.substr(slash + 1), opt);
    if (!m) return m.error();
    mask = *m;
  }
  return std::make_pair(*v, mask);
}

// IPv4: ip[-ip][:port[-port]]. IPv6: ip[-ip], or [ip[-ip]]:port[-port] (ip6tables' forms).
Result<NatTarget> parse_nat_spec(const std::string& s, const std::string& opt, Family f) {
  NatTarget t;
  std::string addr = s, ports;
  if (f == Family::v6 && !s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string::npos) return bad(opt + ": '" + s + "' has no closing ']'");
    addr = s.substr(1, close - 1);
    if (close + 1 < s.size()) {
      if (s[close + 1] != ':') return bad(opt + ": '" + s + "': expected ':' after ']'");
      ports = s.substr(close + 2);
    }
  } else if (auto colon = s.find(':'); colon != std::string::npos && (f == Family::v4 || colon == 0)) {
    addr = s.substr(0, colon);
    ports = s.substr(colon + 1);
  }
  if (!addr.empty()) {
    auto dash = addr.find('-');
    auto lo = parse_addr(addr.substr(0, dash), f, opt);
    if (!lo) return lo.error();
    t.addr_lo = t.addr_hi = *lo;
    if (dash != std::string::npos) {
      auto hi = parse_addr(addr.substr(dash + 1), f, opt);
      if (!hi) return hi.error();
      if (*hi < *lo) return bad(opt + ": address range " + addr + " is empty");
      t.addr_hi = *hi;
    }
  }
  if (!ports.empty()) {
    auto r = parse_port_range(ports, '-', opt);
    if (!r) return r.error();
    t.ports = *r;
  }
  if (addr.empty() && !t.ports) return bad(opt + ": needs an address or a port");
  return t;
}

Result<uint8_t> parse_log_level(const std::string& s) {
  static const std::map<std::string, uint8_t> names = {{"emerg", 0}, {"alert", 1}, {"crit", 2}, {"error", 3},
                                                       {"warning", 4}, {"warn", 4}, {"notice", 5}, {"info", 6}, {"debug", 7}};
  if (auto it = names.find(s); it != names.end()) return it->second;
  auto v = parse_u32(s, "--log-level");
  if (!v || *v > 7) return bad("--log-level: '" + s + "' is not a level (0-7 or emerg..debug)");
  return static_cast<uint8_t>(*v);
}

Result<IcmpMatch> parse_icmp_type(const std::string& s, Family f) {
  const std::string opt = f == Family::v4 ? "--icmp-type" : "--icmpv6-type";
  IcmpMatch m;
  if (auto n = icmp_by_name(s, f)) {
    if (f == Family::v4 && n->type == 255) {
      m.any = true;
      return m;
    }
    m.type = n->type;
    if (n->code >= 0) m.code = static_cast<uint8_t>(n->code);
    return m;
  }
  auto slash = s.find('/');
  auto t = parse_u32(s.substr(0, slash), opt);
  if (!t || *t > 255) return bad(opt + ": '" + s + "' is not an " + (f == Family::v4 ? "ICMP" : "ICMPv6") + " type");
  m.type = static_cast<uint8_t>(*t);
  if (slash != std::string::npos) {
    auto c = parse_u32(s.substr(slash + 1), opt);
    if (!c || *c > 255) return bad(opt + ": '" + s + "' has a bad code");
    m.code = static_cast<uint8_t>(*c);
  }
  return m;
}

// Printable ASCII without blanks, quotes or backslashes: names print back unquoted.
bool plain_name(const std::string& s) {
  for (char c : s)
    if (c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '\\') return false;
  return !s.empty();
}

bool valid_chain_name(const std::string& s) {
  return plain_name(s) && s.size() <= 28 && s[0] != '-' && s[0] != '!';
}

bool valid_interface(const std::string& s) {
  auto plus = s.find('+');
  return plain_name(s) && s.size() <= 15 && s.find('/') == std::string::npos && s[0] != '-' && s[0] != '!' &&
         (plus == std::string::npos || plus == s.size() - 1);
}

const std::map<std::string, std::string> kRejectWith = {
    {"icmp-net-unreachable", "icmp-net-unreachable"}, {"net-unreach", "icmp-net-unreachable"},
    {"icmp-host-unreachable", "icmp-host-unreachable"}, {"host-unreach", "icmp-host-unreachable"},
    {"icmp-proto-unreachable", "icmp-proto-unreachable"}, {"proto-unreach", "icmp-proto-unreachable"},
    {"icmp-port-unreachable", "icmp-port-unreachable"}, {"port-unreach", "icmp-port-unreachable"},
    {"icmp-net-prohibited", "icmp-net-prohibited"}, {"net-prohib", "icmp-net-prohibited"},
    {"icmp-host-prohibited", "icmp-host-prohibited"}, {"host-prohib", "icmp-host-prohibited"},
    {"icmp-admin-prohibited", "icmp-admin-prohibited"}, {"admin-prohib", "icmp-admin-prohibited"},
    {"tcp-reset", "tcp-reset"}, {"tcp-rst", "tcp-reset"}};

const std::map<std::string, std::string> kRejectWith6 = {
    {"icmp6-no-route", "icmp6-no-route"}, {"no-route", "icmp6-no-route"},
    {"icmp6-adm-prohibited", "icmp6-adm-prohibited"}, {"adm-prohibited", "icmp6-adm-prohibited"},
    {"icmp6-addr-unreachable", "icmp6-addr-unreachable"}, {"addr-unreach", "icmp6-addr-unreachable"},
    {"icmp6-port-unreachable", "icmp6-port-unreachable"}, {"port-unreach", "icmp6-port-unreachable"},
    {"icmp6-policy-fail", "icmp6-policy-fail"}, {"policy-fail", "icmp6-policy-fail"},
    {"icmp6-reject-route", "icmp6-reject-route"}, {"reject-route", "icmp6-reject-route"},
    {"tcp-reset", "tcp-reset"}, {"tcp-rst", "tcp-reset"}};

// Walks the tokens of one rule.
class Parser {
 public:
  Parser(const std::vector<std::string>& t, TableId table, Family f) : t_(t), table_(table), family_(f) {}

  Result<Rule> run() {
    while (i_ < t_.size()) {
      bool neg = false;
      if (t_[i_] == "!") {
        neg = true;
        if (++i_ == t_.size()) return bad("'!' at the end of the rule");
      }
      const std::string opt = t_[i_++];
      if (auto st = option(opt, neg); !st) return st.error();
    }
    if (auto st = finish(); !st) return st.error();
    return std::move(rule_);
  }

 private:
  uint8_t icmp_proto() const { return family_ == Family::v4 ? 1 : 58; }
  std::string icmp_option() const { return family_ == Family::v4 ? "--icmp-type" : "--icmpv6-type"; }
  bool has_port_protocol() const { return !rule_.proto_neg && (rule_.proto == 6 || rule_.proto == 17 || rule_.proto == 132); }

  Result<std::string> arg(const std::string& opt) {
    if (i_ >= t_.size()) return bad(opt + ": needs an argument");
    return t_[i_++];
  }
  bool next_is_value() const { return i_ < t_.size() && !t_[i_].empty() && t_[i_][0] != '-' && t_[i_] != "!"; }

  // iptables allows each of -s, -d, -i, -o and -p once in a rule.
  Status once(char flag) {
    if (seen_.find(flag) != std::string::npos) return bad(std::string("multiple -") + flag + " flags not allowed");
    seen_ += flag;
    return {};
  }

  Status option(const std::string& opt, bool neg) {
    if (target_set_ && target_options(opt, neg)) return target_status_;
    static const std::map<std::string, char> kOnce = {
        {"-s", 's'}, {"--source", 's'}, {"--src", 's'}, {"-d", 'd'}, {"--destination", 'd'}, {"--dst", 'd'},
        {"-i", 'i'}, {"--in-interface", 'i'}, {"-o", 'o'}, {"--out-interface", 'o'}, {"-p", 'p'}, {"--protocol", 'p'}};
    if (auto it = kOnce.find(opt); it != kOnce.end())
      if (auto st = once(it->second); !st) return st;
    if (opt == "-s" || opt == "--source" || opt == "--src") return address(opt, neg, rule_.src, rule_.src_neg);
    if (opt == "-d" || opt == "--destination" || opt == "--dst") return address(opt, neg, rule_.dst, rule_.dst_neg);
    if (opt == "-p" || opt == "--protocol") {
      auto a = arg(opt);
      if (!a) return a.error();
      auto p = parse_protocol(*a);
      if (!p) return p.error();
      rule_.proto = *p;
      rule_.proto_neg = neg && *p != 0;
      return {};
    }
    if (opt == "-i" || opt == "--in-interface" || opt == "-o" || opt == "--out-interface") {
      auto a = arg(opt);
      if (!a) return a.error();
      if (!valid_interface(*a)) return bad(opt + ": '" + *a + "' is not an interface name");
      bool in = opt == "-i" || opt == "--in-interface";
      (in ? rule_.in_if : rule_.out_if) = *a;
      (in ? rule_.in_neg : rule_.out_neg) = neg;
      return {};
    }
    if (opt == "-m" || opt == "--match") {
      if (neg) return bad("'!' cannot negate -m");
      auto a = arg(opt);
      if (!a) return a.error();
      return load_match(*a);
    }
    if (opt == "-j" || opt == "--jump" || opt == "-g" || opt == "--goto") {
      if (neg) return bad("'!' cannot negate " + opt);
      if (target_set_) return bad(opt + ": the rule already has a target");
      auto a = arg(opt);
      if (!a) return a.error();
      return set_target(*a, opt == "-g" || opt == "--goto");
    }
    if (opt == "-f" || opt == "--fragment") return bad(opt + ": fragment matching is not supported");
    if (opt == "-c" || opt == "--set-counters") {
      auto p = arg(opt);
      if (!p) return p.error();
      auto b = arg(opt);
      if (!b) return b.error();
      auto pv = parse_u32(*p, opt), bv = parse_u32(*b, opt);
      if (!pv || !bv) return bad(opt + ": needs two numbers");
      rule_.packets = *pv;
      rule_.bytes = *bv;
      return {};
    }
    if (opt.rfind("--", 0) == 0) return match_option(opt, neg);
    return bad("unknown option " + opt);
  }

  Status address(const std::string& opt, bool neg, std::optional<Prefix>& out, bool& out_neg) {
    auto a = arg(opt);
    if (!a) return a.error();
    if (a->find(',') != std::string::npos) return bad(opt + ": several addresses in one rule are not supported");
    auto p = parse_prefix(*a, family_);
    if (!p) return bad(opt + ": " + p.error().message);
    out_neg = neg;
    if (p->len == 0 && !neg) out.reset();  // 0.0.0.0/0 and ::/0 match everything: iptables drops them too
    else out = *p;
    return {};
  }

  // A protocol's match may come before -p (kube-proxy writes "-m tcp -p tcp"): iptables parses
  // the whole rule first and the kernel checks the match's protocol when the rule is committed,
  // so finish() checks it, not this.
  Status load_match(const std::string& name) {
    if (name == "tcp" || name == "udp" || name == "sctp") {
      rule_.matches.push_back(PortMatch{static_cast<uint8_t>(name == "tcp" ? 6 : name == "udp" ? 17 : 132)});
      return {};
    }
    if (name == "icmp" || name == "icmp6") {
      if ((name == "icmp") != (family_ == Family::v4))
        return bad("-m " + name + ": match not supported in " + (family_ == Family::v4 ? "iptables" : "ip6tables"));
      // libxt_icmp makes --icmp-type mandatory for an explicit -m icmp; options reach only the
      // newest icmp match, so one left without a type stays so.
      if (icmp_loaded_ && !icmp_set_) icmp_left_unset_ = true;
      rule_.matches.push_back(IcmpMatch{});
      icmp_loaded_ = true;
      icmp_set_ = false;
      return {};
    }
    if (name == "multiport") {
      rule_.matches.push_back(MultiportMatch{});
      multiport_set_ = false;
      return {};
    }
    if (name == "conntrack") return rule_.matches.push_back(StateMatch{true}), Status{};
    if (name == "state") return rule_.matches.push_back(StateMatch{false}), Status{};
    if (name == "comment") return rule_.matches.push_back(CommentMatch{}), Status{};
    if (name == "mark") return rule_.matches.push_back(MarkMatch{}), Status{};
    if (name == "statistic") return rule_.matches.push_back(StatisticMatch{}), Status{};
    if (name == "addrtype") return rule_.matches.push_back(AddrtypeMatch{}), Status{};
    return bad("-m " + name + ": match not supported (supported: tcp, udp, sctp, " +
               (family_ == Family::v4 ? "icmp" : "icmp6") + ", multiport, conntrack, state, comment, mark, statistic, addrtype)");
  }

  // An option of the most recent match that knows it, else of the protocol's implicit match.
  Status match_option(const std::string& opt, bool neg) {
    for (auto it = rule_.matches.rbegin(); it != rule_.matches.rend(); ++it) {
      bool handled = false;
      Status st = std::visit([&](auto& m) { return apply(m, opt, neg, handled); }, *it);
      if (handled) return st;
    }
    static const std::map<std::string, int> port_opts = {{"--sport", 1}, {"--source-port", 1}, {"--dport", 1},
                                                          {"--destination-port", 1}, {"--tcp-flags", 6}, {"--syn", 6}};
    auto po = port_opts.find(opt);
    // iptables quirk kept on purpose: with -m multiport loaded and no tcp/udp match yet,
    // getopt takes --sport/--dport as abbreviations of multiport's --sports/--dports.
    if (po != port_opts.end() && po->second == 1 && opt.size() <= 7) {
      bool port_match_loaded = false;
      MultiportMatch* last_multiport = nullptr;
      for (auto& m : rule_.matches) {
        if (std::holds_alternative<PortMatch>(m)) port_match_loaded = true;
        if (auto* mp = std::get_if<MultiportMatch>(&m)) last_multiport = mp;
      }
      if (last_multiport && !port_match_loaded) {
        bool handled = false;
        return apply(*last_multiport, opt + "s", neg, handled);
      }
    }
    if (po != port_opts.end() && (rule_.proto == 6 || rule_.proto == 17 || rule_.proto == 132) && !rule_.proto_neg &&
        (po->second == 1 || rule_.proto == 6)) {
      rule_.matches.push_back(PortMatch{rule_.proto});
      return match_option(opt, neg);
    }
    if (opt == icmp_option() && rule_.proto == icmp_proto() && !rule_.proto_neg) {
      rule_.matches.push_back(IcmpMatch{});
      icmp_loaded_ = true;
      icmp_set_ = false;
      return match_option(opt, neg);
    }
    return bad("unknown option " + opt + (po != port_opts.end() ? " (needs -p tcp, udp or sctp first)" : ""));
  }

  Status apply(PortMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt == "--sport" || opt == "--source-port" || opt == "--dport" || opt == "--destination-port") {
      handled = true;
      bool src = opt == "--sport" || opt == "--source-port";
      auto& slot = src ? m.sport : m.dport;
      if (slot) return bad(opt + " given twice");
      auto a = arg(opt);
      if (!a) return a.error();
      auto r = parse_port_range(*a, ':', opt);
      if (!r) return r.error();
      slot = *r;
      (src ? m.sport_neg : m.dport_neg) = neg;
      return {};
    }
    if (m.proto == 6 && (opt == "--tcp-flags" || opt == "--syn")) {
      handled = true;
      if (m.tcp_flags) return bad(opt + ": TCP flags given twice");
      if (opt == "--syn") {
        m.tcp_flags = std::make_pair(uint8_t{0x17}, uint8_t{0x02});
      } else {
        auto mask = arg(opt);
        if (!mask) return mask.error();
        auto comp = arg(opt);
        if (!comp) return comp.error();
        auto mv = parse_tcp_flags(*mask), cv = parse_tcp_flags(*comp);
        if (!mv) return mv.error();
        if (!cv) return cv.error();
        m.tcp_flags = std::make_pair(*mv, *cv);
      }
      m.tcp_flags_neg = neg;
      return {};
    }
    return {};
  }
  Status apply(MultiportMatch& m, const std::string& opt, bool neg, bool& handled) {
    static const std::map<std::string, MultiportMatch::Dir> opts = {
        {"--sports", MultiportMatch::src}, {"--source-ports", MultiportMatch::src}, {"--dports", MultiportMatch::dst},
        {"--destination-ports", MultiportMatch::dst}, {"--ports", MultiportMatch::any}};
    auto it = opts.find(opt);
    if (it == opts.end()) return {};
    handled = true;
    // As libxt_multiport: the protocol is checked when the port list is parsed, so -p must
    // come before --dports (not necessarily before -m multiport).
    if (!has_port_protocol()) return bad("-m multiport " + opt + ": needs -p tcp, udp or sctp before it");
    if (multiport_set_) return bad("-m multiport takes one of --sports, --dports, --ports");
    auto a = arg(opt);
    if (!a) return a.error();
    m.dir = it->second;
    m.neg = neg;
    size_t start = 0, count = 0;
    for (;;) {
      auto end = a->find(',', start);
      auto r = parse_port_range(a->substr(start, end == std::string::npos ? std::string::npos : end - start), ':', opt);
      if (!r) return r.error();
      m.ports.push_back(*r);
      count += r->lo == r->hi ? 1 : 2;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (count > 15) return bad(opt + ": at most 15 ports (a range counts two)");
    multiport_set_ = true;
    return {};
  }
  Status apply(StateMatch& m, const std::string& opt, bool neg, bool& handled) {
    if ((m.conntrack_module && opt != "--ctstate") || (!m.conntrack_module && opt != "--state")) {
      if (m.conntrack_module && opt.rfind("--ct", 0) == 0) {
        handled = true;
        return bad("-m conntrack " + opt + ": not supported (only --ctstate)");
      }
      return {};
    }
    handled = true;
    auto a = arg(opt);
    if (!a) return a.error();
    auto s = parse_states(*a, opt);
    if (!s) return s.error();
    m.states = *s;
    m.neg = neg;
    return {};
  }
  Status apply(CommentMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt != "--comment") return {};
    handled = true;
    if (neg) return bad("--comment cannot be negated");
    auto a = arg(opt);
    if (!a) return a.error();
    if (a->size() > 255) return bad("--comment: longer than 255 characters");
    m.text = *a;
    return {};
  }
  Status apply(MarkMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt != "--mark") return {};
    handled = true;
    auto a = arg(opt);
    if (!a) return a.error();
    auto vm = parse_value_mask(*a, opt, 0xffffffff);
    if (!vm) return vm.error();
    m.value = vm->first;
    m.mask = vm->second;
    m.neg = neg;
    return {};
  }
  Status apply(StatisticMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt != "--mode" && opt != "--probability" && opt != "--every" && opt != "--packet") return {};
    handled = true;
    if (neg) return bad(opt + ": negation is not supported");
    auto a = arg(opt);
    if (!a) return a.error();
    if (opt == "--mode") {
      if (*a != "random" && *a != "nth") return bad("--mode: '" + *a + "' is not random or nth");
      m.random = *a == "random";
      return {};
    }
    if (opt == "--probability") {
      char* end = nullptr;
      double p = strtod(a->c_str(), &end);
      if (*end || a->empty() || !(p >= 0.0 && p <= 1.0)) return bad("--probability: '" + *a + "' is not in [0, 1]");
      m.probability = static_cast<uint32_t>(std::lround(p * 2147483648.0));  // as xt_statistic stores it
      return {};
    }
    auto v = parse_u32(*a, opt);
    if (!v) return v.error();
    if (opt == "--every") {
      if (*v == 0) return bad("--every: must be at least 1");
      m.every = *v - 1;  // the kernel keeps every - 1
    } else {
      m.packet = *v;
    }
    return {};
  }
  Status apply(AddrtypeMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt == "--limit-iface-in" || opt == "--limit-iface-out") {
      handled = true;
      (opt == "--limit-iface-in" ? m.limit_iface_in : m.limit_iface_out) = true;
      return {};
    }
    if (opt != "--src-type" && opt != "--dst-type") return {};
    handled = true;
    auto a = arg(opt);
    if (!a) return a.error();
    if (*a != "LOCAL") return bad(opt + ": only LOCAL is supported, not '" + *a + "'");
    bool src = opt == "--src-type";
    (src ? m.src_set : m.dst_set) = true;
    (src ? m.src_local : m.dst_local) = true;
    (src ? m.src_neg : m.dst_neg) = neg;
    return {};
  }
  Status apply(IcmpMatch& m, const std::string& opt, bool neg, bool& handled) {
    if (opt != icmp_option()) return {};
    handled = true;
    if (icmp_set_) return bad(opt + " given twice");
    auto a = arg(opt);
    if (!a) return a.error();
    auto t = parse_icmp_type(*a, family_);
    if (!t) return t.error();
    m = *t;
    m.neg = neg;
    icmp_set_ = true;
    return {};
  }

  Status set_target(const std::string& name, bool is_goto) {
    target_set_ = true;
    target_name_ = name;
    if (is_goto) {
      if (!valid_chain_name(name)) return bad("-g: '" + name + "' is not a chain name");
      rule_.target = Jump{name, true};
      return {};
    }
    if (name == "ACCEPT") rule_.target = Verdict{Verdict::accept};
    else if (name == "DROP") rule_.target = Verdict{Verdict::drop};
    else if (name == "RETURN") rule_.target = Verdict{Verdict::ret};
    else if (name == "REJECT") rule_.target = Reject{family_ == Family::v4 ? "icmp-port-unreachable" : "icmp6-port-unreachable"};
    else if (name == "LOG") rule_.target = Log{};
    else if (name == "MARK") rule_.target = MarkTarget{};
    else if (name == "DNAT" || name == "SNAT") rule_.target = NatTarget{name == "DNAT"};
    else if (name == "MASQUERADE") rule_.target = Masquerade{};
    else if (name == "REDIRECT") rule_.target = Redirect{};
    else if (valid_chain_name(name))
      rule_.target = Jump{name, false};  // checked against the table's chains when it is committed
    else
      return bad("-j: '" + name + "' is not a target or chain name");
    if (name == "DROP" && table_ == TableId::nat)
      return bad("-j DROP: the nat table is not intended for filtering, DROP is not allowed there (as in iptables)");
    bool nat = name == "DNAT" || name == "SNAT" || name == "MASQUERADE" || name == "REDIRECT";
    if (nat && table_ != TableId::nat) return bad("-j " + name + ": only in the nat table");
    if (name == "REJECT" && table_ != TableId::filter) return bad("-j REJECT: only in the filter table");
    return {};
  }

  // Target options come after -j; returns true when opt was one (status in target_status_).
  bool target_options(const std::string& opt, bool neg) {
    target_status_ = {};
    auto fail = [&](const std::string& m) {
      target_status_ = bad(m);
      return true;
    };
    auto value = [&](std::string& out) {
      auto a = arg(opt);
      if (!a) {
        target_status_ = a.error();
        return false;
      }
      out = *a;
      return true;
    };
    std::string v;
    if (auto* r = std::get_if<Reject>(&rule_.target)) {
      if (opt != "--reject-with") return false;
      if (!value(v)) return true;
      const auto& kinds = family_ == Family::v4 ? kRejectWith : kRejectWith6;
      auto it = kinds.find(v);
      if (it == kinds.end()) return fail("--reject-with: '" + v + "' is not supported");
      r->with = it->second;
      return true;
    }
    if (auto* l = std::get_if<Log>(&rule_.target)) {
      if (opt == "--log-prefix") {
        if (!value(v)) return true;
        if (v.size() > 29) return fail("--log-prefix: longer than 29 characters");
        l->prefix = v;
        return true;
      }
      if (opt == "--log-level") {
        if (!value(v)) return true;
        auto lv = parse_log_level(v);
        if (!lv) return fail(lv.error().message);
        l->level = *lv;
        return true;
      }
      if (opt.rfind("--log-", 0) == 0) return fail("-j LOG " + opt + ": not supported");
      return false;
    }
    if (auto* m = std::get_if<MarkTarget>(&rule_.target)) {
      static const std::map<std::string, int> ops = {{"--set-xmark", 0}, {"--set-mark", 1}, {"--or-mark", 2},
                                                     {"--and-mark", 3}, {"--xor-mark", 4}};
      auto it = ops.find(opt);
      if (it == ops.end()) return false;
      if (neg) return fail(opt + " cannot be negated");
      if (mark_set_) return fail("-j MARK takes one of --set-xmark, --set-mark, --or-mark, --and-mark, --xor-mark");
      mark_set_ = true;
      if (!value(v)) return true;
      auto vm = parse_value_mask(v, opt, it->second <= 1 ? 0xffffffff : 0);
      if (!vm) return fail(vm.error().message);
      if (it->second >= 2 && v.find('/') != std::string::npos) return fail(opt + ": takes no mask");
      auto [val, mask] = *vm;
      switch (it->second) {
        case 0: *m = {val, mask}; break;                  // (mark & ~mask) ^ val
        case 1: *m = {val, mask | val}; break;            // iptables: --set-mark v/m = xmark v/(m|v)
        case 2: *m = {val, val}; break;                   // or
        case 3: *m = {0, ~val}; break;                    // and
        case 4: *m = {val, 0}; break;                     // xor
      }
      return true;
    }
    if (auto* n = std::get_if<NatTarget>(&rule_.target)) {
      if (opt == (n->dnat ? "--to-destination" : "--to-source")) {
        if (nat_set_) return fail(opt + " given twice (several ranges are not supported)");
        if (!value(v)) return true;
        auto spec = parse_nat_spec(v, opt, family_);
        if (!spec) return fail(spec.error().message);
        bool dnat = n->dnat;
        *n = *spec;
        n->dnat = dnat;
        nat_set_ = true;
        if (n->ports && !has_port_protocol())
          return fail(opt + ": a port needs -p tcp, udp or sctp");
        return true;
      }
      if (opt == "--random") return n->random = true, true;
      if (opt == "--persistent") return n->persistent = true, true;
      return false;
    }
    // MASQUERADE and REDIRECT: --to-ports PORT[-PORT] with a port protocol.
    auto to_ports = [&](std::optional<PortRange>& out) {
      if (!value(v)) return true;
      auto r = parse_port_range(v, '-', opt);
      if (!r) return fail(r.error().message);
      if (!has_port_protocol()) return fail("--to-ports: needs -p tcp, udp or sctp");
      out = *r;
      return true;
    };
    if (auto* m = std::get_if<Masquerade>(&rule_.target)) {
      if (opt == "--to-ports") return to_ports(m->ports);
      if (opt == "--random") return m->random = true, true;
      if (opt == "--random-fully") return m->random_fully = true, true;
      return false;
    }
    if (auto* r = std::get_if<Redirect>(&rule_.target)) {
      if (opt == "--to-ports") return to_ports(r->ports);
      if (opt == "--random") return r->random = true, true;
      return false;
    }
    return false;
  }

 private:
  Status finish() {
    if (std::holds_alternative<NatTarget>(rule_.target) && !nat_set_)
      return bad("-j " + target_name_ + ": needs " + (std::get<NatTarget>(rule_.target).dnat ? "--to-destination" : "--to-source"));
    if (std::holds_alternative<MarkTarget>(rule_.target) && !mark_set_)
      return bad("-j MARK: needs --set-xmark, --set-mark, --or-mark, --and-mark or --xor-mark");
    if (icmp_left_unset_ || (icmp_loaded_ && !icmp_set_)) return bad(icmp_option() + ": must be given with -m icmp");
    for (const auto& m : rule_.matches) {
      // The kernel's check of a protocol match (xt_check_match): the rule's protocol, not negated.
      if (auto* p = std::get_if<PortMatch>(&m); p && (rule_.proto != p->proto || rule_.proto_neg))
        return bad("-m " + protocol_name(p->proto) + ": the rule needs -p " + protocol_name(p->proto));
      if (std::holds_alternative<IcmpMatch>(m) && (rule_.proto != icmp_proto() || rule_.proto_neg))
        return bad(std::string("-m ") + (family_ == Family::v4 ? "icmp" : "icmp6") + ": the rule needs -p " +
                   protocol_name(icmp_proto()));
      if (auto* s = std::get_if<StatisticMatch>(&m); s && !s->random && s->packet > s->every)
        return bad("-m statistic: --packet must be below --every");
      if (auto* s = std::get_if<StateMatch>(&m); s && s->states == 0)
        return bad(s->conntrack_module ? "-m conntrack: needs --ctstate" : "-m state: needs --state");
      if (auto* mp = std::get_if<MultiportMatch>(&m); mp && mp->ports.empty())
        return bad("-m multiport: needs --sports, --dports or --ports");
      if (auto* c = std::get_if<CommentMatch>(&m); c && c->text.empty()) return bad("-m comment: needs --comment");
    }
    return {};
  }

 private:
  const std::vector<std::string>& t_;
  TableId table_;
  Family family_;
  size_t i_ = 0;
  Rule rule_;
  bool target_set_ = false, nat_set_ = false, mark_set_ = false, multiport_set_ = false, icmp_set_ = false;
  bool icmp_loaded_ = false, icmp_left_unset_ = false;
  std::string target_name_;
  std::string seen_;  // the once() flags given so far
  Status target_status_;
};

}  // namespace

Result<std::vector<std::string>> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size() &&
                 (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '\'')) {
        cur += line[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return bad("unterminated quote");
  if (in_word) out.push_back(cur);
  return out;
}

Result<Prefix> parse_prefix(const std::string& text, Family f) {
  auto slash = text.find('/');
  auto a = parse_addr(text.substr(0, slash), f, "address");
  if (!a) return a.error();
  uint8_t len = max_prefix(f);
  if (slash != std::string::npos) {
    std::string m = text.substr(slash + 1);
    if (m.find(f == Family::v4 ? '.' : ':') != std::string::npos) {
      auto mask = parse_addr(m, f, "netmask");
      if (!mask) return mask.error();
      auto l = mask_length(*mask, f, m);
      if (!l) return l.error();
      len = *l;
    } else {
      auto l = parse_u32(m, "prefix length");
      if (!l || *l > max_prefix(f)) return bad("prefix length '" + m + "' is not 0-" + std::to_string(max_prefix(f)));
      len = static_cast<uint8_t>(*l);
    }
  }
  return Prefix{masked(*a, len), len};
}

Result<uint8_t> parse_protocol(const std::string& text) {
  static const std::map<std::string, uint8_t> names = {{"all", 0}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"sctp", 132},
                                                       {"ipv6-icmp", 58}, {"icmpv6", 58},
                                                       {"gre", 47}, {"esp", 50}, {"ah", 51}};
  std::string lower;
  for (char c : text) lower += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  if (auto it = names.find(lower); it != names.end()) return it->second;
  auto v = parse_u32(text, "-p");
  if (!v || *v > 255) return bad("-p: unknown protocol '" + text + "'");
  return static_cast<uint8_t>(*v);
}

std::string protocol_name(uint8_t proto) {
  switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    default: return std::to_string(proto);
  }
}

Result<Rule> parse_rule(const std::vector<std::string>& tokens, TableId table, Family f) {
  return Parser(tokens, table, f).run();
}

bool is_number(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace netaccel::ipt

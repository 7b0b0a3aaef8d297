#include "listing.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "icmp_names.h"
#include "save.h"

namespace netaccel::ipt {

namespace {

std::string printf_text(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string printf_text(const char* format, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, format);
  vsnprintf(buf, sizeof(buf), format, ap);
  va_end(ap);
  return buf;
}

// xtables_print_num: exact, or rounded to K/M/G/T past five digits; `column` pads to the table.
std::string count(uint64_t n, bool exact, bool column) {
  auto v = static_cast<unsigned long long>(n);
  if (exact) return column ? printf_text("%8llu ", v) : printf_text("%llu ", v);
  if (v <= 99999) return column ? printf_text("%5llu ", v) : printf_text("%llu ", v);
  for (char unit : {'K', 'M', 'G', 'T'}) {
    v = (v + 500) / 1000;
    if (v <= 9999 || unit == 'T') return column ? printf_text("%4llu%c ", v, unit) : printf_text("%llu%c ", v, unit);
  }
  return {};
}

// ---- names, looked up as iptables looks them up unless -n --------------------------------

const char* l4_name(uint8_t proto) {
  switch (proto) {
    case 6: return "tcp";
    case 17: return "udp";
    case 132: return "sctp";
    default: return nullptr;  // getservbyport then takes any protocol's name
  }
}

std::string port_text(uint16_t port, uint8_t proto, bool numeric) {
  if (!numeric) {
    servent entry{}, *found = nullptr;
    char buf[1024];
    if (getservbyport_r(htons(port), l4_name(proto), &entry, buf, sizeof(buf), &found) == 0 && found) return found->s_name;
  }
  return std::to_string(port);
}

// The protocol column: a number with -n; else /etc/protocols' name, else iptables' own list.
std::string protocol_text(uint8_t proto, bool numeric) {
  if (numeric) return std::to_string(proto);
  if (proto) {
    protoent entry{}, *found = nullptr;
    char buf[1024];
    if (getprotobynumber_r(proto, &entry, buf, sizeof(buf), &found) == 0 && found) return found->p_name;
  }
  static const std::pair<uint8_t, const char*> builtin[] = {{6, "tcp"},   {132, "sctp"}, {17, "udp"}, {136, "udplite"}, {1, "icmp"},
                                                            {58, "ipv6-icmp"}, {50, "esp"}, {51, "ah"},  {135, "mh"},       {0, "all"}};
  for (auto [n, name] : builtin)
    if (n == proto) return name;
  return std::to_string(proto);
}

// xtables_ipaddr_to_anyname / xtables_ip6addr_to_anyname.
std::string address_name(const Addr& a, Family f) {
  const ipt_addr be = to_be(a);
  if (f == Family::v4) {
    hostent entry{}, *found = nullptr;
    char buf[2048];
    int err = 0;
    if (gethostbyaddr_r(&be.w[0], sizeof(be.w[0]), AF_INET, &entry, buf, sizeof(buf), &found, &err) == 0 && found) return found->h_name;
    if (const netent* net = getnetbyaddr(a[0], AF_INET)) return net->n_name;
    return format_addr(a, f);
  }
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  std::memcpy(&sa.sin6_addr, be.w, sizeof(sa.sin6_addr));
  char host[NI_MAXHOST];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&sa), sizeof(sa), host, sizeof(host) - 1, nullptr, 0, 0) == 0) return host;
  return format_addr(a, f);
}

std::string padded(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

// A source or destination column: the inversion mark, then "%-19s ". Without -n, iptables
// says "anywhere" for a zero mask, ip6tables for the zero address (::/73 too).
std::string address_column(const std::optional<Prefix>& p, bool neg, Family f, bool numeric) {
  const uint8_t len = p ? p->len : 0;
  const Addr a = p ? p->addr : Addr{};
  std::string text;
  if (!numeric && (f == Family::v4 ? len == 0 : a == Addr{})) {
    text = "anywhere";
  } else {
    text = numeric ? format_addr(a, f) : address_name(a, f);
    if (len != max_prefix(f)) text += "/" + std::to_string(len);
  }
  return (neg ? "!" : " ") + padded(text, 19) + " ";
}

std::string interface_text(const std::string& name, bool neg, bool numeric) {
  return (neg ? "!" : "") + (name.empty() ? std::string(numeric ? "*" : "any") : name);
}

// ---- the match and target words: each extension's print function ------------------------

const char* log_level_name(int level) {
  static const char* names[] = {"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"};
  return level >= 0 && level < 8 ? names[level] : "UNKNOWN";
}

struct MatchWords {
  Family f;
  uint8_t rule_proto;
  bool numeric;

  std::string port(uint16_t p, uint8_t proto) const { return port_text(p, proto, numeric); }
  // " spt:22", " dpts:!80:90"; nothing for a full range that is not inverted.
  std::string port_range(const char* name, const std::optional<PortRange>& r, bool inv, uint8_t proto) const {
    if (!r || (r->lo == 0 && r->hi == 0xffff && !inv)) return "";
    const std::string bang = inv ? "!" : "";
    if (r->lo == r->hi) return " " + std::string(name) + ":" + bang + port(r->lo, proto);
    return " " + std::string(name) + "s:" + bang + port(r->lo, proto) + ":" + port(r->hi, proto);
  }
  std::string operator()(const PortMatch& p) const {
    std::string s = p.proto == 6 ? " tcp" : p.proto == 17 ? " udp" : " sctp";
    s += port_range("spt", p.sport, p.sport_neg, p.proto) + port_range("dpt", p.dport, p.dport_neg, p.proto);
    if (p.tcp_flags && (p.tcp_flags->first || p.tcp_flags_neg)) {
      auto [mask, cmp] = *p.tcp_flags;
      s += std::string(" flags:") + (p.tcp_flags_neg ? "!" : "");
      s += numeric ? printf_text("0x%02X/0x%02X", mask, cmp) : tcp_flag_list(mask) + "/" + tcp_flag_list(cmp);
    }
    return s;
  }
  std::string operator()(const MultiportMatch& m) const {
    std::string s = m.dir == MultiportMatch::src ? " multiport sports " : m.dir == MultiportMatch::dst ? " multiport dports " : " multiport ports ";
    if (m.neg) s += " !";
    for (size_t i = 0; i < m.ports.size(); ++i) {
      s += (i ? "," : "") + port(m.ports[i].lo, rule_proto);
      if (m.ports[i].hi != m.ports[i].lo) s += ":" + port(m.ports[i].hi, rule_proto);
    }
    return s;
  }
  std::string operator()(const StateMatch& m) const {
    return std::string(m.neg ? " !" : "") + (m.conntrack_module ? " ctstate " : " state ") + ct_state_list(m.states);
  }
  std::string operator()(const CommentMatch& c) const { return " /* " + c.text + " */"; }
  std::string operator()(const MarkMatch& m) const {
    std::string s = std::string(" mark match") + (m.neg ? " !" : "");
    return s + (m.mask == 0xffffffff ? printf_text(" 0x%x", m.value) : printf_text(" 0x%x/0x%x", m.value, m.mask));
  }
  std::string operator()(const StatisticMatch& m) const {
    if (m.random) return printf_text(" statistic mode random probability %.11f", 1.0 * m.probability / 2147483648.0);
    std::string s = printf_text(" statistic mode nth every %u", m.every + 1);
    return m.packet ? s + printf_text(" packet %u", m.packet) : s;
  }
  std::string operator()(const AddrtypeMatch& a) const {
    std::string s = " ADDRTYPE match";
    if (a.src_set) s += std::string(" src-type ") + (a.src_neg ? "!" : "") + "LOCAL";
    if (a.dst_set) s += std::string(" dst-type ") + (a.dst_neg ? "!" : "") + "LOCAL";
    if (a.limit_iface_in) s += " limit-in";
    if (a.limit_iface_out) s += " limit-out";
    return s;
  }
  std::string operator()(const IcmpMatch& i) const {
    std::string s = f == Family::v4 ? " icmp" : " ipv6-icmp";
    const uint8_t type = i.any ? 255 : i.type;
    const std::optional<uint8_t> code = i.any ? std::nullopt : i.code;
    if (!numeric)
      if (const char* name = icmp_name_of(type, code, f)) return s + " " + (i.neg ? "!" : "") + name;
    if (i.neg) s += " !";
    s += printf_text("type %u", type);
    return code ? s + printf_text(" code %u", *code) : s;
  }
};

std::string port_span(const PortRange& r) { return r.lo == r.hi ? std::to_string(r.lo) : std::to_string(r.lo) + "-" + std::to_string(r.hi); }

struct TargetWords {
  Family f;
  bool numeric;

  std::string operator()(const NoTarget&) const { return ""; }
  std::string operator()(const Verdict&) const { return ""; }
  std::string operator()(const Jump&) const { return ""; }
  std::string operator()(const Reject& r) const { return " reject-with " + r.with; }
  std::string operator()(const NatTarget& n) const {
    return " to:" + nat_range_text(n, f) + (n.random ? " random" : "") + (n.persistent ? " persistent" : "");
  }
  std::string operator()(const Masquerade& m) const {
    return (m.ports ? " masq ports: " + port_span(*m.ports) : "") + (m.random ? " random" : "") + (m.random_fully ? " random-fully" : "");
  }
  std::string operator()(const Redirect& r) const { return (r.ports ? " redir ports " + port_span(*r.ports) : "") + (r.random ? " random" : ""); }
  std::string operator()(const Log& l) const {
    std::string s = numeric ? printf_text(" LOG flags 0 level %d", l.level) : std::string(" LOG level ") + log_level_name(l.level);
    return l.prefix.empty() ? s : s + " prefix \"" + l.prefix + "\"";
  }
  std::string operator()(const MarkTarget& m) const {  // libxt_MARK: the shortest form that says it
    if (m.value == 0) return printf_text(" MARK and 0x%x", ~m.mask);
    if (m.value == m.mask) return printf_text(" MARK or 0x%x", m.value);
    if (m.mask == 0) return printf_text(" MARK xor 0x%x", m.value);
    if (m.mask == 0xffffffff) return printf_text(" MARK set 0x%x", m.value);
    return printf_text(" MARK xset 0x%x/0x%x", m.value, m.mask);
  }
};

std::string target_column(const Target& t) {
  struct Name {
    std::string operator()(const NoTarget&) const { return ""; }
    std::string operator()(const Verdict& v) const { return v.kind == Verdict::accept ? "ACCEPT" : v.kind == Verdict::drop ? "DROP" : "RETURN"; }
    std::string operator()(const Jump& j) const { return j.chain; }
    std::string operator()(const Reject&) const { return "REJECT"; }
    std::string operator()(const NatTarget& n) const { return n.dnat ? "DNAT" : "SNAT"; }
    std::string operator()(const Masquerade&) const { return "MASQUERADE"; }
    std::string operator()(const Redirect&) const { return "REDIRECT"; }
    std::string operator()(const Log&) const { return "LOG"; }
    std::string operator()(const MarkTarget&) const { return "MARK"; }
  };
  return std::visit(Name{}, t);
}

std::string chain_header(const Table& t, const Chain& c, const ListOptions& o) {
  std::string out = "Chain " + c.name;
  if (c.builtin) {
    out += std::string(" (policy ") + (c.policy == Policy::drop ? "DROP" : "ACCEPT");
    if (o.verbose) out += " " + count(c.packets, o.exact, false) + "packets, " + count(c.bytes, o.exact, false) + "bytes";
    out += ")\n";
  } else {
    size_t refs = 0;
    for (const auto& other : t.chains)
      for (const auto& r : other.rules)
        if (auto* j = std::get_if<Jump>(&r.target); j && j->chain == c.name) ++refs;
    out += " (" + std::to_string(refs) + " references)\n";
  }
  if (o.line_numbers) out += "num  ";
  if (o.verbose) out += o.exact ? "    pkts      bytes " : " pkts bytes ";
  out += "target     prot opt ";
  if (o.verbose) out += "in     out     ";
  return out + "source               destination         \n";
}

std::string rule_line(const Rule& r, size_t number, Family f, const ListOptions& o) {
  std::string line;
  if (o.line_numbers) line += padded(std::to_string(number), 4) + " ";
  if (o.verbose) line += count(r.packets, o.exact, true) + count(r.bytes, o.exact, true);
  line += padded(target_column(r.target), 9) + " ";
  line += (r.proto_neg ? "!" : " ") + padded(protocol_text(r.proto, o.numeric), 4) + " ";
  line += "-- ";  // opt: the fragment flags, which no rule here sets
  if (o.verbose) {
    line += " " + padded(interface_text(r.in_if, r.in_neg, o.numeric), 6) + " ";
    line += padded(interface_text(r.out_if, r.out_neg, o.numeric), 6) + " ";
  }
  line += address_column(r.src, r.src_neg, f, o.numeric) + address_column(r.dst, r.dst_neg, f, o.numeric);
  if (auto* j = std::get_if<Jump>(&r.target); j && j->is_goto) line += "[goto] ";
  const MatchWords words{f, r.proto, o.numeric};
  for (const auto& m : r.matches) line += std::visit(words, m);
  line += std::visit(TargetWords{f, o.numeric}, r.target);
  return line + "\n";
}

}  // namespace

std::string list_table(const Table& t, Family f, const std::string& only, const ListOptions& o) {
  // Built-ins in hook order, then user chains by name (libiptc's order).
  std::vector<const Chain*> order;
  for (const auto& c : t.chains)
    if (c.builtin) order.push_back(&c);
  const size_t builtins = order.size();
  for (const auto& c : t.chains)
    if (!c.builtin) order.push_back(&c);
  std::sort(order.begin() + static_cast<long>(builtins), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::string out;
  for (const Chain* c : order) {
    if (!only.empty() && c->name != only) continue;
    if (!out.empty()) out += "\n";
    out += chain_header(t, *c, o);
    for (size_t i = 0; i < c->rules.size(); ++i) out += rule_line(c->rules[i], i + 1, f, o);
  }
  return out;
}

}  // namespace netaccel::ipt

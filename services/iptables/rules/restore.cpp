#include "restore.h"

#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "rule_parser.h"

namespace netaccel::ipt {

namespace {

Error at(int line, const std::string& msg) { return make_error(Errc::parse_error, "line " + std::to_string(line) + ": " + msg); }

Result<std::pair<uint64_t, uint64_t>> parse_counters(const std::string& s) {
  // "[packets:bytes]"
  if (s.size() < 5 || s.front() != '[' || s.back() != ']') return make_error(Errc::parse_error, "bad counters " + s);
  auto colon = s.find(':');
  if (colon == std::string::npos) return make_error(Errc::parse_error, "bad counters " + s);
  char* end = nullptr;
  std::string p = s.substr(1, colon - 1), b = s.substr(colon + 1, s.size() - colon - 2);
  uint64_t pv = strtoull(p.c_str(), &end, 10);
  if (p.empty() || *end) return make_error(Errc::parse_error, "bad counters " + s);
  uint64_t bv = strtoull(b.c_str(), &end, 10);
  if (b.empty() || *end) return make_error(Errc::parse_error, "bad counters " + s);
  return std::make_pair(pv, bv);
}

}  // namespace

// Which built-in hooks reach each chain (bit i = builtin_chains(t)[i]).
ChainReach chain_reach(const Table& t) {
  ChainReach reach;
  const auto& hooks = builtin_chains(t.id);
  std::function<void(const std::string&, unsigned, int)> walk = [&](const std::string& name, unsigned bit, int depth) {
    if (depth > 64 || (reach[name] & bit)) return;
    reach[name] |= bit;
    if (const Chain* c = t.find(name))
      for (const auto& r : c->rules)
        if (auto* j = std::get_if<Jump>(&r.target)) walk(j->chain, bit, depth + 1);
  };
  for (size_t i = 0; i < hooks.size(); ++i) walk(hooks[i], 1u << i, 0);
  return reach;
}


std::string hook_violation(TableId table, const Target& tg, unsigned reach) {
  if (table != TableId::nat) return "";
  // nat hooks: bit 0 PREROUTING, 1 INPUT, 2 OUTPUT, 3 POSTROUTING
  if (auto* n = std::get_if<NatTarget>(&tg)) {
    if (n->dnat && (reach & ~0b0101u)) return "DNAT only works in PREROUTING and OUTPUT";
    if (!n->dnat && (reach & ~0b1010u)) return "SNAT only works in POSTROUTING and INPUT";
  } else if (std::holds_alternative<Redirect>(tg) && (reach & ~0b0101u)) {
    return "REDIRECT only works in PREROUTING and OUTPUT";
  } else if (std::holds_alternative<Masquerade>(tg) && (reach & ~0b1000u)) {
    return "MASQUERADE only works in POSTROUTING";
  }
  return "";
}

Status validate_table(const Table& t) {
  const std::string where = std::string("table ") + table_name(t.id) + ": ";
  for (const auto& c : t.chains)
    for (size_t i = 0; i < c.rules.size(); ++i)
      if (auto* j = std::get_if<Jump>(&c.rules[i].target)) {
        const Chain* target = t.find(j->chain);
        if (!target) return make_error(Errc::parse_error, where + "chain " + c.name + " rule " + std::to_string(i + 1) + " jumps to " + j->chain + ", which does not exist");
        if (target->builtin) return make_error(Errc::parse_error, where + "chain " + c.name + " rule " + std::to_string(i + 1) + " jumps to the built-in chain " + j->chain);
      }
  // Loops: a chain that reaches itself.
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::function<bool(const Chain&, std::string&)> cyclic = [&](const Chain& c, std::string& path) {
    state[c.name] = 1;
    for (const auto& r : c.rules)
      if (auto* j = std::get_if<Jump>(&r.target)) {
        if (state[j->chain] == 1) return path = c.name + " -> " + j->chain, true;
        if (state[j->chain] == 0)
          if (const Chain* n = t.find(j->chain); n && cyclic(*n, path)) return path = c.name + " -> " + path, true;
      }
    state[c.name] = 2;
    return false;
  };
  for (const auto& c : t.chains) {
    std::string path;
    if (state[c.name] == 0 && cyclic(c, path)) return make_error(Errc::parse_error, where + "chains loop: " + path);
  }
  // Targets bound to hooks, as the kernel enforces them.
  auto reach = chain_reach(t);
  for (const auto& c : t.chains) {
    unsigned r = reach[c.name];
    for (size_t i = 0; i < c.rules.size(); ++i)
      if (std::string bad = hook_violation(t.id, c.rules[i].target, r); !bad.empty())
        return make_error(Errc::parse_error, where + "chain " + c.name + " rule " + std::to_string(i + 1) + ": " + bad);
  }
  return {};
}

bool next_statement(std::istream& in, std::string& line, int& n) {
  while (std::getline(in, line)) {
    ++n;
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    return true;
  }
  return false;
}

Result<Ruleset> restore(Ruleset current, const std::string& text, const RestoreOptions& opt) {
  Ruleset next = std::move(current);
  std::istringstream in(text);
  std::string line;
  int n = 0;
  Table* table = nullptr;
  int table_line = 0;
  std::set<std::string> declared;
  while (next_statement(in, line, n)) {
    if (line[0] == '*') {
      if (table) return at(n, std::string("table ") + table_name(table->id) + " (line " + std::to_string(table_line) + ") has no COMMIT before the next table");
      std::string name = line.substr(1);
      if (name == "filter") table = &next.filter;
      else if (name == "nat") table = &next.nat;
      else return at(n, "table '" + name + "' is not supported (filter and nat are)");
      table_line = n;
      declared.clear();
      table->present = true;
      if (!opt.noflush) {
        Table fresh = empty_table(table->id);
        fresh.present = true;
        // Policies of built-in chains stay unless the input declares them.
        for (auto& c : fresh.chains)
          if (const Chain* old = table->find(c.name)) c.policy = old->policy;
        *table = std::move(fresh);
      }
      continue;
    }
    if (!table) return at(n, "'" + line.substr(0, 20) + "' outside a table (a '*filter' or '*nat' line comes first)");
    if (line == "COMMIT") {
      if (auto st = validate_table(*table); !st) return at(n, st.error().message);
      table = nullptr;
      continue;
    }
    if (line[0] == ':') {
      auto words = split_words(line.substr(1));
      if (!words || words->size() < 2 || words->size() > 3) return at(n, "chain line needs ':NAME POLICY [packets:bytes]'");
      const std::string& name = (*words)[0];
      const std::string& pol = (*words)[1];
      std::pair<uint64_t, uint64_t> cnt{0, 0};
      if (words->size() == 3) {
        auto c = parse_counters((*words)[2]);
        if (!c) return at(n, c.error().message);
        if (opt.counters) cnt = *c;
      }
      if (!declared.insert(name).second) return at(n, "chain " + name + " declared twice");
      if (is_builtin_chain(table->id, name)) {
        if (pol != "ACCEPT" && pol != "DROP") return at(n, "built-in chain " + name + " needs policy ACCEPT or DROP, not " + pol);
        Chain* c = table->find(name);
        c->policy = pol == "ACCEPT" ? Policy::accept : Policy::drop;
        c->packets = cnt.first;
        c->bytes = cnt.second;
      } else {
        if (pol != "-") return at(n, "user chain " + name + " cannot have a policy (" + pol + "); write '-'");
        if (name.size() > 28 || name[0] == '-') return at(n, "'" + name + "' is not a valid chain name");
        if (Chain* c = table->find(name)) {  // --noflush: a declared chain starts empty
          c->rules.clear();
          if (opt.flushed) opt.flushed->emplace_back(table->id, name);
        } else {
          table->add_chain(Chain{name, false, Policy::none, 0, 0, {}});
        }
      }
      continue;
    }
    auto words = split_words(line);
    if (!words) return at(n, words.error().message);
    std::vector<std::string>& w = *words;
    std::pair<uint64_t, uint64_t> cnt{0, 0};
    if (!w.empty() && w[0][0] == '[') {
      auto c = parse_counters(w[0]);
      if (!c) return at(n, c.error().message);
      if (opt.counters) cnt = *c;
      w.erase(w.begin());
    }
    if (w.size() < 2) return at(n, "expected a command such as '-A CHAIN ...'");
    const std::string cmd = w[0], chain_name = w[1];
    std::vector<std::string> spec(w.begin() + 2, w.end());
    Chain* chain = table->find(chain_name);
    if (cmd == "-N" || cmd == "--new-chain") {
      if (chain) return at(n, "chain " + chain_name + " already exists");
      table->add_chain(Chain{chain_name, false, Policy::none, 0, 0, {}});
      continue;
    }
    if (!chain) return at(n, "chain " + chain_name + " does not exist in table " + table_name(table->id));
    if (cmd == "-A" || cmd == "--append" || cmd == "-I" || cmd == "--insert") {
      size_t pos = chain->rules.size();
      if (cmd == "-I" || cmd == "--insert") {
        pos = 0;
        if (!spec.empty() && !spec[0].empty() && isdigit(static_cast<unsigned char>(spec[0][0]))) {
          long k = strtol(spec[0].c_str(), nullptr, 10);
          if (k < 1 || static_cast<size_t>(k) > chain->rules.size() + 1) return at(n, "-I " + chain_name + " " + spec[0] + ": no such position");
          pos = static_cast<size_t>(k - 1);
          spec.erase(spec.begin());
        }
      }
      auto r = parse_rule(spec, table->id, next.family);
      if (!r) return at(n, r.error().message);
      // As iptables: no input interface after routing for local output, no output interface
      // before routing (built-in chains only; user chains are not checked).
      if (!r->in_if.empty() && chain->builtin && (chain_name == "OUTPUT" || chain_name == "POSTROUTING"))
        return at(n, "Can't use -i with " + chain_name);
      if (!r->out_if.empty() && chain->builtin && (chain_name == "INPUT" || chain_name == "PREROUTING"))
        return at(n, "Can't use -o with " + chain_name);
      if (cnt.first || cnt.second) {
        r->packets = cnt.first;
        r->bytes = cnt.second;
      } else if (!opt.counters) {
        r->packets = r->bytes = 0;
      }
      chain->rules.insert(chain->rules.begin() + static_cast<long>(pos), std::move(*r));
    } else if (cmd == "-X" || cmd == "--delete-chain") {
      if (chain->builtin) return at(n, "cannot delete built-in chain " + chain_name);
      if (!chain->rules.empty()) return at(n, "chain " + chain_name + " is not empty");
      for (const auto& c : table->chains)
        for (const auto& r : c.rules)
          if (auto* j = std::get_if<Jump>(&r.target); j && j->chain == chain_name)
            return at(n, "chain " + chain_name + " is still referenced from " + c.name);
      table->erase_chain(chain_name);
    } else if (cmd == "-F" || cmd == "--flush") {
      chain->rules.clear();
    } else if (cmd == "-P" || cmd == "--policy") {
      if (!chain->builtin) return at(n, "-P: " + chain_name + " is not a built-in chain");
      if (spec.size() != 1 || (spec[0] != "ACCEPT" && spec[0] != "DROP")) return at(n, "-P " + chain_name + ": needs ACCEPT or DROP");
      chain->policy = spec[0] == "ACCEPT" ? Policy::accept : Policy::drop;
    } else if (cmd == "-D" || cmd == "--delete") {
      return at(n, "-D inside iptables-restore input is not supported; use netaccel-iptables -D");
    } else {
      return at(n, "unknown command " + cmd);
    }
  }
  if (table) return at(table_line, std::string("table ") + table_name(table->id) + " has no COMMIT");
  return next;
}

}  // namespace netaccel::ipt

#include "commands.h"

#include <algorithm>
#include <cstdio>

#include "listing.h"
#include "restore.h"
#include "rule_parser.h"
#include "save.h"

namespace netaccel::ipt {

namespace {

Error bad(const std::string& m) { return make_error(Errc::invalid_argument, m); }

struct Parsed {
  TableId table = TableId::filter;
  std::string cmd, chain;
  std::vector<std::string> rest;  // rule spec or position
  bool verbose = false, numeric = false, exact = false, line_numbers = false;
};

const std::vector<std::string> kCommands = {"-A", "--append", "-I", "--insert", "-D", "--delete", "-R", "--replace",
                                            "-N", "--new-chain", "-X", "--delete-chain", "-F", "--flush", "-Z", "--zero",
                                            "-P", "--policy", "-L", "--list", "-S", "--list-rules", "-C", "--check"};

std::string short_form(const std::string& c) {
  static const std::vector<std::pair<std::string, std::string>> m = {
      {"--append", "-A"}, {"--insert", "-I"}, {"--delete", "-D"}, {"--replace", "-R"}, {"--new-chain", "-N"},
      {"--delete-chain", "-X"}, {"--flush", "-F"}, {"--zero", "-Z"}, {"--policy", "-P"}, {"--list", "-L"},
      {"--list-rules", "-S"}, {"--check", "-C"}};
  for (const auto& [l, s] : m)
    if (c == l) return s;
  return c;
}

Result<Parsed> parse_args(const std::vector<std::string>& args) {
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-t" || a == "--table") {
      if (++i >= args.size()) return bad("-t: needs a table");
      if (args[i] == "filter") p.table = TableId::filter;
      else if (args[i] == "nat") p.table = TableId::nat;
      else return bad("table '" + args[i] + "' is not supported (filter and nat are)");
    } else if (!p.cmd.empty() || std::find(kCommands.begin(), kCommands.end(), a) == kCommands.end()) {
      if (p.cmd.empty()) {
        if (a == "-v" || a == "--verbose") { p.verbose = true; continue; }
        if (a == "-n" || a == "--numeric") { p.numeric = true; continue; }
        if (a == "--line-numbers") { p.line_numbers = true; continue; }
        if (a == "-x" || a == "--exact") { p.exact = true; continue; }
        return bad("unknown option " + a + " (a command such as -A comes first)");
      }
      if (a == "-v" || a == "--verbose") p.verbose = true;
      else if (a == "-n" || a == "--numeric") p.numeric = true;
      else if (a == "--line-numbers") p.line_numbers = true;
      else if (a == "-x" || a == "--exact") p.exact = true;
      else if (a == "-t" || a == "--table") continue;
      else p.rest.push_back(a);
    } else {
      p.cmd = short_form(a);
      if (i + 1 < args.size() && args[i + 1][0] != '-') p.chain = args[++i];
    }
  }
  if (p.cmd.empty()) return bad("no command given (-A, -I, -D, -R, -N, -X, -F, -Z, -P, -L, -S)");
  return p;
}

Result<size_t> rule_number(const std::string& s, size_t count, const std::string& what) {
  char* end = nullptr;
  long n = strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || n < 1) return bad(what + ": '" + s + "' is not a rule number");
  if (static_cast<size_t>(n) > count) return bad(what + ": rule " + s + " does not exist (the chain has " + std::to_string(count) + ")");
  return static_cast<size_t>(n - 1);
}


}  // namespace

std::optional<Result<InsertCommand>> parse_insert(const std::vector<std::string>& args, Family f) {
  auto p = parse_args(args);
  if (!p || (p->cmd != "-A" && p->cmd != "-I")) return std::nullopt;
  InsertCommand ic;
  ic.table = p->table;
  ic.chain = p->chain;
  ic.append = p->cmd == "-A";
  std::vector<std::string> spec = p->rest;
  if (!ic.append && !spec.empty() && is_number(spec[0])) {
    long n = strtol(spec[0].c_str(), nullptr, 10);
    if (n < 1) return Result<InsertCommand>(bad("-I " + p->chain + ": '" + spec[0] + "' is not a rule number"));
    ic.position = static_cast<size_t>(n - 1);
    spec.erase(spec.begin());
  }
  auto r = parse_rule(spec, p->table, f);
  if (!r) return Result<InsertCommand>(r.error());
  ic.rule = std::move(*r);
  return Result<InsertCommand>(std::move(ic));
}

std::optional<Result<DeleteCommand>> parse_delete(const std::vector<std::string>& args, Family f) {
  auto p = parse_args(args);
  if (!p || p->cmd != "-D") return std::nullopt;
  DeleteCommand dc;
  dc.table = p->table;
  dc.chain = p->chain;
  const std::vector<std::string>& spec = p->rest;
  if (spec.size() == 1 && is_number(spec[0])) {
    long n = strtol(spec[0].c_str(), nullptr, 10);
    if (n < 1) return Result<DeleteCommand>(bad("-D " + p->chain + ": '" + spec[0] + "' is not a rule number"));
    dc.position = static_cast<size_t>(n - 1);
    return Result<DeleteCommand>(std::move(dc));
  }
  auto r = parse_rule(spec, p->table, f);
  if (!r) return Result<DeleteCommand>(r.error());
  dc.rule = std::move(*r);
  return Result<DeleteCommand>(std::move(dc));
}

std::optional<TableId> listed_table(const std::vector<std::string>& args) {
  auto p = parse_args(args);
  if (!p || p->cmd != "-L") return std::nullopt;
  return p->table;
}

bool is_read_only(const std::vector<std::string>& args) {
  auto p = parse_args(args);
  return p && (p->cmd == "-L" || p->cmd == "-S" || p->cmd == "-C");
}

Result<CommandResult> run_command(Ruleset& rs_in, const std::vector<std::string>& args) {
  auto p = parse_args(args);
  if (!p) return p.error();
  Ruleset rs = rs_in;
  Table& t = rs.table(p->table);
  CommandResult res;
  const std::string& cmd = p->cmd;
  Chain* chain = p->chain.empty() ? nullptr : t.find(p->chain);
  auto need_chain = [&]() -> Status {
    if (p->chain.empty()) return bad(cmd + ": needs a chain");
    if (!chain) return make_error(Errc::not_found, "chain " + p->chain + " does not exist in table " + table_name(p->table));
    return {};
  };
  if (cmd == "-L" || cmd == "-S") {
    if (!p->chain.empty() && !chain) return make_error(Errc::not_found, "chain " + p->chain + " does not exist in table " + table_name(p->table));
    res.output = cmd == "-L" ? list_table(t, rs.family, p->chain, {p->verbose, p->numeric, p->exact, p->line_numbers})
                           : list_rules(t, rs.family, p->chain, p->verbose);
    return res;
  }
  if (cmd == "-N") {
    if (p->chain.empty()) return bad("-N: needs a chain name");
    if (chain) return make_error(Errc::already_exists, "chain " + p->chain + " already exists");
    if (p->chain.size() > 28 || p->chain.find_first_of(" \t\"'\\") != std::string::npos) return bad("'" + p->chain + "' is not a valid chain name");
    t.add_chain(Chain{p->chain, false, Policy::none, 0, 0, {}});
  } else if (cmd == "-X") {
    if (p->chain.empty()) {  // every empty, unreferenced user chain
      std::vector<Chain> keep;
      for (auto& c : t.chains) if (c.builtin) keep.push_back(c);
      for (auto& c : t.chains)
        if (!c.builtin && !c.rules.empty()) return bad("-X: chain " + c.name + " is not empty");
      t.chains = keep;
      t.drop_index();
    } else {
      if (auto st = need_chain(); !st) return st.error();
      if (chain->builtin) return bad("-X: cannot delete built-in chain " + p->chain);
      if (!chain->rules.empty()) return bad("-X: chain " + p->chain + " is not empty");
      for (const auto& c : t.chains)
        for (const auto& r : c.rules)
          if (auto* j = std::get_if<Jump>(&r.target); j && j->chain == p->chain)
            return bad("-X: chain " + p->chain + " is still referenced from " + c.name);
      t.erase_chain(p->chain);
    }
  } else if (cmd == "-F") {
    if (p->chain.empty()) for (auto& c : t.chains) c.rules.clear();
    else if (auto st = need_chain(); !st) return st.error();
    else chain->rules.clear();
  } else if (cmd == "-Z") {
    for (auto& c : t.chains) {
      if (!p->chain.empty() && c.name != p->chain) continue;
      c.packets = c.bytes = 0;
      for (auto& r : c.rules) r.packets = r.bytes = 0;
    }
  } else if (cmd == "-P") {
    if (auto st = need_chain(); !st) return st.error();
    if (!chain->builtin) return bad("-P: " + p->chain + " is not a built-in chain");
    if (p->rest.size() != 1 || (p->rest[0] != "ACCEPT" && p->rest[0] != "DROP")) return bad("-P " + p->chain + ": needs ACCEPT or DROP");
    chain->policy = p->rest[0] == "ACCEPT" ? Policy::accept : Policy::drop;
  } else if (cmd == "-A" || cmd == "-I" || cmd == "-R" || cmd == "-D" || cmd == "-C") {
    if (auto st = need_chain(); !st) return st.error();
    std::vector<std::string> spec = p->rest;
    std::optional<size_t> pos;
    if ((cmd == "-I" || cmd == "-R" || cmd == "-D") && !spec.empty() && is_number(spec[0])) {
      size_t count = chain->rules.size() + (cmd == "-I" ? 1 : 0);
      auto n = rule_number(spec[0], count, cmd + " " + p->chain);
      if (!n) return n.error();
      pos = *n;
      spec.erase(spec.begin());
    }
    if (cmd == "-R" && !pos) return bad("-R: needs a rule number");
    if (cmd == "-D" && pos) {
      chain->rules.erase(chain->rules.begin() + static_cast<long>(*pos));
    } else {
      auto r = parse_rule(spec, p->table, rs.family);
      if (!r) return r.error();
      if (!r->in_if.empty() && chain->builtin && (p->chain == "OUTPUT" || p->chain == "POSTROUTING")) return bad("Can't use -i with " + p->chain);
      if (!r->out_if.empty() && chain->builtin && (p->chain == "INPUT" || p->chain == "PREROUTING")) return bad("Can't use -o with " + p->chain);
      if (cmd == "-D" || cmd == "-C") {
        std::string want = rule_spec(*r, rs.family);
        auto it = std::find_if(chain->rules.begin(), chain->rules.end(), [&](const Rule& x) { return rule_spec(x, rs.family) == want; });
        if (it == chain->rules.end()) return make_error(Errc::not_found, "Bad rule (does a matching rule exist in that chain?)");
        if (cmd == "-C") return res;
        chain->rules.erase(it);
      } else if (cmd == "-A") {
        chain->rules.push_back(std::move(*r));
      } else if (cmd == "-I") {
        chain->rules.insert(chain->rules.begin() + static_cast<long>(pos.value_or(0)), std::move(*r));
      } else {
        chain->rules[*pos] = std::move(*r);
      }
    }
  } else {
    return bad("unknown command " + cmd);
  }
  if (auto st = validate_table(t); !st) return st.error();
  t.present = true;
  rs_in = std::move(rs);
  res.changed = true;
  return res;
}

}  // namespace netaccel::ipt

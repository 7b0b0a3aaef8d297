// netaccel-iptables-save / netaccel-ip6tables-save: the daemon's ruleset in iptables-save's format.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bus_client.h"
#include "tool_family.h"

using namespace netaccel::ipt;

int main(int argc, char** argv) {
  const std::string prog = std::string(cli::kToolBase) + "-save";
  CLI::App app{prog + ": print netaccel-iptables' " + (cli::kIpv6Tool ? "IPv6" : "IPv4") + " ruleset as " +
               (cli::kIpv6Tool ? "ip6tables" : "iptables") + "-save does"};
  bool counters = false;
  std::string table;
  app.add_flag("-c,--counters", counters, "print packet and byte counters");
  app.add_option("-t,--table", table, "only this table (filter or nat)");
  CLI11_PARSE(app, argc, argv);
  auto out = cli::call_save(cli::kToolPath, table, counters);
  if (!out) return cli::report(prog.c_str(), out.error());
  fputs(out->c_str(), stdout);
  return 0;
}

// netaccel-iptables-save: the daemon's ruleset in iptables-save's format.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bus_client.h"

using namespace netaccel::ipt;

int main(int argc, char** argv) {
  CLI::App app{"netaccel-iptables-save: print netaccel-iptables' ruleset as iptables-save does"};
  bool counters = false;
  std::string table;
  app.add_flag("-c,--counters", counters, "print packet and byte counters");
  app.add_option("-t,--table", table, "only this table (filter or nat)");
  CLI11_PARSE(app, argc, argv);
  auto out = cli::call_save(table, counters);
  if (!out) return cli::report("netaccel-iptables-save", out.error());
  fputs(out->c_str(), stdout);
  return 0;
}

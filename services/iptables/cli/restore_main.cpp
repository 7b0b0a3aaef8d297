// netaccel-iptables-restore / netaccel-ip6tables-restore: iptables-restore's input and options, applied by the daemon in
// one atomic step (or, with --test, only checked).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bus_client.h"
#include "iptables/dbus_api.h"
#include "tool_family.h"

using namespace netaccel::ipt;

int main(int argc, char** argv) {
  const std::string prog = std::string(cli::kToolBase) + "-restore";
  CLI::App app{prog + ": load an " + (cli::kIpv6Tool ? "ip6tables" : "iptables") + "-save ruleset into netaccel-iptables"};
  bool noflush = false, counters = false, test = false, verbose = false;
  std::string file;
  app.add_flag("-n,--noflush", noflush, "keep what the input does not mention");
  app.add_flag("-c,--counters", counters, "take [packets:bytes] from the input");
  app.add_flag("-t,--test", test, "check the input, change nothing");
  app.add_flag("-v,--verbose", verbose, "say what was done");
  app.add_option("file", file, "input (default: standard input)");
  CLI11_PARSE(app, argc, argv);
  std::stringstream ss;
  if (file.empty()) {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream f(file);
    if (!f) {
      fprintf(stderr, "%s: cannot read %s\n", prog.c_str(), file.c_str());
      return 1;
    }
    ss << f.rdbuf();
  }
  uint32_t flags = (noflush ? kRestoreNoflush : 0) | (counters ? kRestoreCounters : 0) | (test ? kRestoreTest : 0);
  if (auto st = cli::call_restore(cli::kToolPath, ss.str(), flags); !st) return cli::report(prog.c_str(), st.error());
  if (verbose) fprintf(stderr, "%s: %s\n", prog.c_str(), test ? "input is valid" : "ruleset applied");
  return 0;
}

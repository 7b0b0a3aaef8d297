// netaccel-iptables-restore: iptables-restore's input and options, applied by the daemon in
// one atomic step (or, with --test, only checked).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bus_client.h"
#include "iptables_bus.h"

using namespace netaccel::ipt;

int main(int argc, char** argv) {
  CLI::App app{"netaccel-iptables-restore: load an iptables-save ruleset into netaccel-iptables"};
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
      fprintf(stderr, "netaccel-iptables-restore: cannot read %s\n", file.c_str());
      return 1;
    }
    ss << f.rdbuf();
  }
  uint32_t flags = (noflush ? kRestoreNoflush : 0) | (counters ? kRestoreCounters : 0) | (test ? kRestoreTest : 0);
  if (auto st = cli::call_restore(ss.str(), flags); !st) return cli::report("netaccel-iptables-restore", st.error());
  if (verbose) fprintf(stderr, "netaccel-iptables-restore: %s\n", test ? "input is valid" : "ruleset applied");
  return 0;
}

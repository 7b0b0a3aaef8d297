// netaccel-iptables / netaccel-ip6tables: one iptables command (-A -I -D -R -N -X -F -Z -P -L -S -C, with -t, -v,
// -n, --line-numbers) against the daemon's ruleset. The arguments go to the daemon as given.
#include <cstdio>
#include <string>
#include <vector>

#include "bus_client.h"
#include "tool_family.h"

using namespace netaccel::ipt;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    printf("usage: %s [-t filter|nat] -A|-I|-D|-R|-N|-X|-F|-Z|-P|-L|-S|-C [chain] [rule] [-v] [-n] [--line-numbers]\n", cli::kToolBase);
    return args.empty() ? 2 : 0;
  }
  auto out = cli::call_command(cli::kToolPath, args);
  if (!out) return cli::report(cli::kToolBase, out.error());
  fputs(out->c_str(), stdout);
  return 0;
}

// netaccel-iptables / netaccel-ip6tables: one iptables command (-A -I -D -R -N -X -F -Z -P -L -S -C, with -t, -v,
// -n, -x, --line-numbers) against the daemon's ruleset. The arguments go to the daemon as given, except -L:
// as iptables does, the tool fetches the table (with its counters) and lists it itself, so names are
// looked up in the caller's context and a slow lookup never holds up the daemon.
#include <cstdio>
#include <string>
#include <vector>

#include "bus_client.h"
#include "commands.h"
#include "restore.h"
#include "tool_family.h"

using namespace netaccel::ipt;

namespace {

// -L on this side: nullopt when the daemon should answer instead (a table it does not hold).
std::optional<netaccel::Result<std::string>> list_here(const std::vector<std::string>& args) {
  auto table = listed_table(args);
  if (!table) return std::nullopt;
  auto text = cli::call_save(cli::kToolPath, table_name(*table), true);
  if (!text) return netaccel::Result<std::string>(text.error());
  auto rs = restore(empty_ruleset(cli::kIpv6Tool ? Family::v6 : Family::v4), *text, {false, true});
  if (!rs || !rs->table(*table).present) return std::nullopt;
  auto listed = run_command(*rs, args);
  if (!listed) return netaccel::Result<std::string>(listed.error());
  return netaccel::Result<std::string>(listed->output);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    printf("usage: %s [-t filter|nat] -A|-I|-D|-R|-N|-X|-F|-Z|-P|-L|-S|-C [chain] [rule] [-v] [-n] [-x] [--line-numbers]\n",
           cli::kToolBase);
    return args.empty() ? 2 : 0;
  }
  auto here = list_here(args);
  auto out = here ? std::move(*here) : cli::call_command(cli::kToolPath, args);
  if (!out) return cli::report(cli::kToolBase, out.error());
  fputs(out->c_str(), stdout);
  return 0;
}

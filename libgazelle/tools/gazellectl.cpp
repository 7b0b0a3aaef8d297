// gazellectl: per-process statistics of libgazelle's user stacks, like Gazelle's
// `gazellectl lstack show`. Each process publishes a stats file (stats_abi.h); this reads them.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gazelle/stats_abi.h"

namespace {

std::optional<gazelle_stats> read_stats(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  gazelle_stats s{};
  ssize_t n = pread(fd, &s, sizeof(s), 0);
  close(fd);
  if (n != static_cast<ssize_t>(sizeof(s)) || s.magic != GAZELLE_STATS_MAGIC || s.version != GAZELLE_STATS_VERSION)
    return std::nullopt;
  return s;
}

bool alive(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::vector<gazelle_stats> collect(const std::string& dir, int only_pid) {
  std::vector<gazelle_stats> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("lstack-", 0) != 0 || name.size() < 7 + 6 || name.substr(name.size() - 6) != ".stats") continue;
    std::string path = dir + "/" + name;
    auto s = read_stats(path);
    if (!s) continue;
    if (!alive(s->pid)) {  // killed without a chance to clean up
      unlink(path.c_str());
      continue;
    }
    if (only_pid && s->pid != only_pid) continue;
    out.push_back(*s);
  }
  closedir(d);
  return out;
}

std::string ip(uint32_t be) {
  char buf[INET_ADDRSTRLEN] = "";
  in_addr a{be};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

nlohmann::json to_json(const gazelle_stats& s) {
  return {{"pid", s.pid}, {"host_addr", ip(s.host_addr)}, {"backend", s.backend}, {"interface", s.ifname},
          {"rx_packets", s.rx_packets}, {"rx_bytes", s.rx_bytes}, {"tx_packets", s.tx_packets},
          {"tx_bytes", s.tx_bytes}, {"rx_drops", s.rx_drops}, {"tx_drops", s.tx_drops},
          {"tcp_conns", s.tcp_conns}, {"tcp_listeners", s.tcp_listeners}, {"tcp_accepted", s.tcp_accepted},
          {"tcp_connected", s.tcp_connected}, {"tcp_retransmits", s.tcp_retransmits},
          {"tcp_resets_rx", s.tcp_resets_rx}, {"udp_sockets", s.udp_sockets}, {"ip_drops", s.ip_drops},
          {"tcp_drops", s.tcp_drops}, {"polls", s.polls}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gazellectl: statistics of libgazelle user-mode stacks"};
  std::string dir = "/run/gazelle";
  app.add_option("--stats-dir", dir, "where processes publish their stats (lstack.conf stats_dir)");
  app.require_subcommand(1);
  auto* lstack = app.add_subcommand("lstack", "user stacks of processes");
  lstack->require_subcommand(1);
  auto* show = lstack->add_subcommand("show", "per-process connections, packets, bytes, drops, retransmits");
  int pid = 0;
  bool json = false;
  show->add_option("pid", pid, "only this process");
  show->add_flag("--json", json, "machine-readable output");
  CLI11_PARSE(app, argc, argv);

  auto stats = collect(dir, pid);
  if (pid && stats.empty()) {
    fprintf(stderr, "gazellectl: no libgazelle stack in process %d (looked in %s)\n", pid, dir.c_str());
    return 1;
  }
  if (json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : stats) arr.push_back(to_json(s));
    printf("%s\n", arr.dump(2).c_str());
    return 0;
  }
  printf("%-8s %-15s %-7s %-12s %6s %10s %12s %10s %12s %7s %7s %8s %7s\n", "pid", "host_addr", "backend", "interface",
         "conns", "rx_pkts", "rx_bytes", "tx_pkts", "tx_bytes", "rx_drop", "tx_drop", "retrans", "rst_rx");
  for (const auto& s : stats)
    printf("%-8d %-15s %-7s %-12s %6llu %10llu %12llu %10llu %12llu %7llu %7llu %8llu %7llu\n", s.pid,
           ip(s.host_addr).c_str(), s.backend, s.ifname, (unsigned long long)s.tcp_conns,
           (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes, (unsigned long long)s.tx_packets,
           (unsigned long long)s.tx_bytes, (unsigned long long)s.rx_drops, (unsigned long long)s.tx_drops,
           (unsigned long long)s.tcp_retransmits, (unsigned long long)s.tcp_resets_rx);
  return 0;
}

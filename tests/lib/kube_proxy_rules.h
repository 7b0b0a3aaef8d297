// kube-proxy's iptables mode (benchmark and tests): the nat chains it writes for n services with
// one endpoint each (KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, KUBE-MARK-MASQ, DNAT), five
// rules and two chains per service, the minimal --noflush update that adds one service, and
// the update kube-proxy itself writes for it.
// The first and the last service lead to the benchmark's server, the others to pod
// addresses nobody answers on.
#pragma once

#include <string>

namespace netaccel::test {

struct Endpoint {
  std::string ip;
  int port = 0;
};

// Cluster IP of service `index` (10.96.0.0/12), port 80/tcp.
std::string service_ip(int index);
std::string kube_proxy_ruleset(int services, const Endpoint& server);
std::string kube_proxy_add_service(int index, const Endpoint& server);
// kube-proxy's own sync (--noflush, MinimizeIPTablesRestore) once the last of `services` is
// there: the top-level chains re-declared (so flushed) and written in full, the portal rules in
// Go's map order (shuffled by seed), and the chains of the service that changed.
std::string kube_proxy_sync(int services, const Endpoint& server, unsigned seed);

}  // namespace netaccel::test

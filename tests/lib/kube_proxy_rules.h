// kube-proxy's iptables mode (benchmark and tests): the nat chains it writes for n services with
// one endpoint each (KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, KUBE-MARK-MASQ, DNAT), five
// rules and two chains per service, and the minimal --noflush update that adds one service.
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

}  // namespace netaccel::test

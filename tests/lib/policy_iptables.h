// NetworkPolicies as IP-based enforcers (kube-router, Calico's iptables mode) write them: one
// iptables rule per selected pod address and port, for a routed node's FORWARD chain. Built
// from the oracle's view (its own selector reading), independent of netaccel-policy, so kernel
// iptables can be a second, real data path for the same policies.
#pragma once

#include <string>

#include "policy_oracle.h"

namespace netaccel::test {

// An iptables-restore input (filter table). Connections pass when ESTABLISHED/RELATED, else
// the source pod's egress chain and the destination pod's ingress chain must each mark the
// packet allowed; what a chain does not allow jumps to NP-DROP (one DROP rule: its counter
// says a probe was denied).
std::string iptables_translation(const OracleCluster& c);

}  // namespace netaccel::test

// Random NetworkPolicy worlds for the differential tests: the e2e suite's namespaces x, y, z
// with pods a, b, c, labels and named ports that vary by seed, external addresses, and policies
// drawn over every field the API has (selectors of every operator, peers alone and AND-ed,
// ipBlocks with excepts, ports by number, name and range, policyTypes present or defaulted).
#pragma once

#include <random>
#include <string>
#include <vector>

#include "policy_oracle.h"

namespace netaccel::test {

struct PolicyWorld {
  OracleCluster cluster;
  std::vector<std::string> policy_yaml;   // one document each, as a user would apply them
  std::vector<std::string> namespace_yaml, pod_yaml;
  std::vector<std::string> outside_ips;   // addresses that are no pod's
};

// Pods and namespaces only (no policies); `v6` gives every pod an IPv6 address too.
PolicyWorld make_world(std::mt19937& rng, bool v6);
// One random policy document.
std::string random_policy(std::mt19937& rng, int index);
// Adds `n` random policies to `w` (both the YAML and the oracle's copy).
void add_random_policies(PolicyWorld& w, std::mt19937& rng, int n);

}  // namespace netaccel::test

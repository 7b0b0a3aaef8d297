// Random iptables-restore input from the vocabulary netaccel-iptables supports, and random
// packets that hit its rules: shared by the differential, classifier and benchmark tests.
#pragma once

#include <random>
#include <string>
#include <vector>

namespace netaccel::test {

struct RulesetShape {
  bool nat = false;
  int rules = 40;
  int user_chains = 4;
  bool one_match_per_kind = true;  // the eBPF classifier's limit (one mark, statistic, ... per rule)
  bool valid_interfaces = true;    // no -i in OUTPUT/POSTROUTING, no -o in INPUT/PREROUTING
  bool random_statistic = true;    // statistic --mode random (needs a controllable RNG to compare)
  bool statistic = true;           // any -m statistic (nth counts depend on the order packets come in)
  // What rules name; empty: the generator's own pools below.
  std::vector<std::string> addresses, interfaces;
  std::vector<uint16_t> ports;
  std::string dnat_to = "10.9.9.9", snat_to = "10.8.8.8";  // NAT targets' addresses
  bool ipv6 = false;  // ip6tables' vocabulary (addresses and NAT targets must be IPv6 then)
};

std::string random_ruleset(std::mt19937& rng, const RulesetShape& shape);

// Address and port pools the generator draws from, so random packets hit rules.
const std::vector<std::string>& generator_addresses();
const std::vector<std::string>& generator_addresses6();
const std::vector<uint16_t>& generator_ports();
const std::vector<std::string>& generator_interfaces();

}  // namespace netaccel::test

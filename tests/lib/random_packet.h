// Random packets that hit the rules of random_ruleset() (ruleset_generator.h), for comparing
// the classifier's implementations with each other.
#pragma once

#include <random>
#include <string>

#include "packet.h"

namespace netaccel::test {

// framable: only what a test frame can carry (TCP, UDP, ICMP; non-zero ports and addresses).
ipt::Packet random_packet(std::mt19937& rng, bool framable = false);
// The same over IPv6: addresses near generator_addresses6(), ICMPv6 instead of ICMP.
ipt::Packet random_packet6(std::mt19937& rng, bool framable = false);
// Dotted quad to host order.
uint32_t ipv4_host(const std::string& text);

}  // namespace netaccel::test

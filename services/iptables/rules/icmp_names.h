// The ICMP and ICMPv6 type names iptables and ip6tables know (--icmp-type, --icmpv6-type), in
// their order: the parser takes any of them, -L without -n prints the first that fits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "address.h"

namespace netaccel::ipt {

struct IcmpName {
  const char* name;
  uint8_t type;
  int code;  // -1: every code of the type
};

// The entry called `name`, if the family has one.
std::optional<IcmpName> icmp_by_name(const std::string& name, Family f);
// The first name for type with code (nullopt: every code), as `iptables -L` looks it up.
const char* icmp_name_of(uint8_t type, std::optional<uint8_t> code, Family f);

}  // namespace netaccel::ipt

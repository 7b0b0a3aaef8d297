// An IPv4 or IPv6 address prefix as configs and Kubernetes objects write it ("10.0.0.0/8",
// "fd00::1"). Shared by the services that match addresses in user space.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel {

struct Prefix {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  int len = 0;
  bool operator==(const Prefix&) const = default;
  // Same family, and every address of `inner` is in this prefix.
  bool contains(const Prefix& inner) const;
};

// "addr/len", or a bare address as a host prefix unless `need_length`.
Result<Prefix> parse_prefix(const std::string& text, bool need_length = false);
std::string to_string(const Prefix& p);
// AF_INET or AF_INET6, 0 if `text` is not an address.
int ip_family(const std::string& text);

}  // namespace netaccel

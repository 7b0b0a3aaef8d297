#include "netaccel/core/prefix.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdlib>

namespace netaccel {

int ip_family(const std::string& text) {
  std::array<uint8_t, 16> buf{};
  if (inet_pton(AF_INET, text.c_str(), buf.data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), buf.data()) == 1) return AF_INET6;
  return 0;
}

Result<Prefix> parse_prefix(const std::string& text, bool need_length) {
  Prefix p;
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  p.family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  const int max = p.family == AF_INET ? 32 : 128;
  if (inet_pton(p.family, addr.c_str(), p.addr.data()) != 1)
    return make_error(Errc::invalid_argument, "'" + text + "' is not an IPv4 or IPv6 prefix");
  if (slash == std::string::npos && need_length)
    return make_error(Errc::invalid_argument, "'" + text + "' is not a CIDR (address/prefix)");
  p.len = max;
  if (slash != std::string::npos) {
    std::string len = text.substr(slash + 1);
    char* end = nullptr;
    long n = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end || n < 0 || n > max)
      return make_error(Errc::invalid_argument, "'" + text + "': prefix length must be 0.." + std::to_string(max));
    p.len = static_cast<int>(n);
  }
  return p;
}

std::string to_string(const Prefix& p) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(p.family, p.addr.data(), buf, sizeof(buf));
  return std::string(buf) + "/" + std::to_string(p.len);
}

bool Prefix::contains(const Prefix& inner) const {
  if (inner.family != family || inner.len < len) return false;
  for (int bit = 0; bit < len; ++bit) {
    auto mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((addr[bit / 8] & mask) != (inner.addr[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace netaccel

#include "address.h"

#include <arpa/inet.h>

#include <cstring>

namespace netaccel::ipt {

Addr prefix_mask(uint8_t len) {
  Addr m{};
  for (unsigned i = 0; i < 4; ++i) {
    unsigned lo = 32 * i;
    if (len >= lo + 32) m[i] = ~0u;
    else if (len > lo) m[i] = ~0u << (32 - (len - lo));
  }
  return m;
}

Addr masked(const Addr& a, uint8_t len) {
  Addr m = prefix_mask(len);
  return {a[0] & m[0], a[1] & m[1], a[2] & m[2], a[3] & m[3]};
}

ipt_addr to_be(const Addr& a) { return ipt_addr{{htonl(a[0]), htonl(a[1]), htonl(a[2]), htonl(a[3])}}; }

Addr from_be(const ipt_addr& a) { return {ntohl(a.w[0]), ntohl(a.w[1]), ntohl(a.w[2]), ntohl(a.w[3])}; }

Result<Addr> parse_addr(const std::string& text, Family f, const std::string& what) {
  if (f == Family::v4) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) return make_error(Errc::parse_error, what + ": '" + text + "' is not an IPv4 address");
    return addr4(ntohl(a.s_addr));
  }
  in6_addr a{};
  if (inet_pton(AF_INET6, text.c_str(), &a) != 1) return make_error(Errc::parse_error, what + ": '" + text + "' is not an IPv6 address");
  ipt_addr be{};
  std::memcpy(be.w, &a, sizeof(be.w));
  return from_be(be);
}

std::string format_addr(const Addr& a, Family f) {
  char buf[INET6_ADDRSTRLEN] = "";
  ipt_addr be = to_be(a);
  inet_ntop(f == Family::v4 ? AF_INET : AF_INET6, be.w, buf, sizeof(buf));
  return buf;
}

Result<uint8_t> mask_length(const Addr& mask, Family f, const std::string& text) {
  uint8_t len = 0;
  bool ended = false;
  for (unsigned i = 0; i < (f == Family::v4 ? 1u : 4u); ++i)
    for (int b = 31; b >= 0; --b) {
      bool one = (mask[i] >> b) & 1;
      if (one && ended) return make_error(Errc::parse_error, "netmask " + text + " is not contiguous");
      if (one) ++len;
      else ended = true;
    }
  return len;
}

}  // namespace netaccel::ipt

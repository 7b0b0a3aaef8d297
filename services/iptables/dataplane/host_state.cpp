#include "host_state.h"

#include <bpf/bpf.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>

#include "bpf/iptables/ipt_abi.h"
#include "netaccel/core/map.h"

namespace netaccel::ipt {

namespace {
bool is_link_local6(const Addr& a) { return (a[0] & 0xffc00000u) == 0xfe800000u; }  // fe80::/10
}  // namespace

Result<HostState> read_host_state(Family f) {
  HostState h;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0) return errno_error(errno, "getifaddrs");
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_name) continue;
    int idx = static_cast<int>(if_nametoindex(a->ifa_name));
    if (!idx) continue;
    h.ifindex[a->ifa_name] = idx;
    if (!a->ifa_addr) continue;
    if (f == Family::v4 && a->ifa_addr->sa_family == AF_INET) {
      uint32_t addr = reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr;
      h.local_addrs[addr4(ntohl(addr))] = idx;
      h.primary_addr.emplace(idx, addr4(ntohl(addr)));  // the first address listed is the primary one
    } else if (f == Family::v6 && a->ifa_addr->sa_family == AF_INET6) {
      ipt_addr be{};
      std::memcpy(be.w, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, sizeof(be.w));
      const Addr addr = from_be(be);
      h.local_addrs[addr] = idx;
      // The first global address, else the link-local one until a global appears.
      auto it = h.primary_addr.find(idx);
      if (it == h.primary_addr.end()) h.primary_addr.emplace(idx, addr);
      else if (is_link_local6(it->second) && !is_link_local6(addr)) it->second = addr;
    }
  }
  freeifaddrs(list);
  return h;
}

Status write_host_state(const HostState& h, int local_addrs_fd, int iface_addrs_fd) {
  const Map<ipt_addr, ipt_local_addr> local_addrs(local_addrs_fd, "ipt_local_addrs");
  const Map<uint32_t, ipt_iface_addr> iface_addrs(iface_addrs_fd, "ipt_iface_addrs");
  for (const auto& [addr, idx] : h.local_addrs)
    if (auto st = local_addrs.update(to_be(addr), ipt_local_addr{static_cast<uint32_t>(idx)}); !st) return st;
  for (const auto& [idx, addr] : h.primary_addr)
    if (auto st = iface_addrs.update(static_cast<uint32_t>(idx), ipt_iface_addr{to_be(addr)}); !st) return st;
  return {};
}

}  // namespace netaccel::ipt

#include "netaccel/core/host_route.h"

#include <net/if.h>
#include <netlink/route/route.h>

#include <memory>

namespace netaccel {

namespace {

using Sock = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;
using Route = std::unique_ptr<rtnl_route, void (*)(rtnl_route*)>;
using Addr = std::unique_ptr<nl_addr, void (*)(nl_addr*)>;

Result<Sock> connected() {
  Sock s(nl_socket_alloc(), nl_socket_free);
  if (!s) return errno_error(EIO, "netlink: cannot allocate a socket");
  if (int e = nl_connect(s.get(), NETLINK_ROUTE); e < 0) return errno_error(EIO, std::string("netlink: ") + nl_geterror(e));
  return s;
}

// The route object for address/32 (or /128) in the main table, through ifindex when > 0.
Result<Route> host_route(const std::string& address, int ifindex) {
  nl_addr* raw = nullptr;
  if (nl_addr_parse(address.c_str(), AF_UNSPEC, &raw) < 0 || !raw)
    return make_error(Errc::invalid_argument, "'" + address + "' is not an IP address");
  Addr dst(raw, nl_addr_put);
  if (address.find('/') != std::string::npos) return make_error(Errc::invalid_argument, "'" + address + "': an address, not a prefix");
  nl_addr_set_prefixlen(dst.get(), nl_addr_get_family(dst.get()) == AF_INET ? 32 : 128);
  Route r(rtnl_route_alloc(), rtnl_route_put);
  rtnl_route_set_family(r.get(), static_cast<uint8_t>(nl_addr_get_family(dst.get())));
  rtnl_route_set_dst(r.get(), dst.get());
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(r.get(), RT_SCOPE_LINK);
  rtnl_route_set_protocol(r.get(), RTPROT_STATIC);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  if (ifindex > 0) {
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(r.get(), nh);  // the route owns it now
  }
  return r;
}

}  // namespace

Status replace_host_route(const std::string& address, const std::string& ifname) {
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) return errno_error(ENODEV, "route to " + address + ": interface " + ifname);
  auto s = connected();
  if (!s) return s.error();
  auto r = host_route(address, ifindex);
  if (!r) return r.error();
  if (int e = rtnl_route_add(s->get(), r->get(), NLM_F_CREATE | NLM_F_REPLACE); e < 0)
    return errno_error(EIO, "route to " + address + " dev " + ifname + ": " + nl_geterror(e));
  return {};
}

Status delete_host_route(const std::string& address) {
  auto s = connected();
  if (!s) return s.error();
  auto r = host_route(address, 0);
  if (!r) return r.error();
  int e = rtnl_route_delete(s->get(), r->get(), 0);
  if (e < 0 && e != -NLE_OBJ_NOTFOUND) return errno_error(EIO, "delete route to " + address + ": " + nl_geterror(e));
  return {};
}

bool has_host_route(const std::string& address, const std::string& ifname) {
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  auto s = connected();
  if (!s || ifindex == 0) return false;
  auto want = host_route(address, ifindex);
  if (!want) return false;
  nl_cache* cache = nullptr;
  if (rtnl_route_alloc_cache(s->get(), nl_addr_get_family(rtnl_route_get_dst(want->get())), 0, &cache) < 0) return false;
  bool found = false;
  for (nl_object* o = nl_cache_get_first(cache); o && !found; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || nl_addr_cmp(rtnl_route_get_dst(r), rtnl_route_get_dst(want->get())) != 0) continue;
    rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
    found = nh && rtnl_route_nh_get_ifindex(nh) == ifindex;
  }
  nl_cache_free(cache);
  return found;
}

}  // namespace netaccel

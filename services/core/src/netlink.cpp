#include "netaccel/core/netlink.h"

#include <linux/neighbour.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace netaccel {

std::string format_mac(const MacAddr& m) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

namespace {
Error nl_error(int err, const std::string& what) {
  return make_error(Errc::unsupported, what + ": " + nl_geterror(err));
}

MacAddr to_mac(nl_addr* a) {
  MacAddr m{};
  if (a && nl_addr_get_len(a) == 6) std::memcpy(m.data(), nl_addr_get_binary_addr(a), 6);
  return m;
}

LinkInfo to_link(rtnl_link* l) {
  LinkInfo i;
  i.ifindex = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) i.name = n;
  if (const char* k = rtnl_link_get_type(l)) i.kind = k;
  i.master = rtnl_link_get_master(l);
  i.peer_ifindex = rtnl_link_get_link(l);
  int32_t nsid = -1;
  if (rtnl_link_get_link_netnsid(l, &nsid) == 0) i.link_netnsid = nsid;
  i.mac = to_mac(rtnl_link_get_addr(l));
  i.up = rtnl_link_get_flags(l) & IFF_UP;
  return i;
}

// The link cache also holds AF_BRIDGE views of bridge ports (from port state notifications);
// they lack the link kind and must not shadow the device itself.
bool is_device_view(rtnl_link* l) { return rtnl_link_get_family(l) == AF_UNSPEC; }

// Only bridge FDB entries that belong to a bridge (not a device's own "self" list).
std::optional<FdbEntry> to_fdb(rtnl_neigh* n) {
  if (rtnl_neigh_get_family(n) != AF_BRIDGE) return std::nullopt;
  int master = rtnl_neigh_get_master(n);
  if (master <= 0) return std::nullopt;
  FdbEntry e;
  e.mac = to_mac(rtnl_neigh_get_lladdr(n));
  e.port_ifindex = rtnl_neigh_get_ifindex(n);
  e.bridge_ifindex = master;
  int vlan = rtnl_neigh_get_vlan(n);
  e.vlan = vlan > 0 ? vlan : 0;
  e.local = rtnl_neigh_get_state(n) & NUD_PERMANENT;
  return e;
}
}  // namespace

Result<std::unique_ptr<Netlink>> Netlink::open() {
  std::unique_ptr<Netlink> nl(new Netlink());
  nl->query_ = nl_socket_alloc();
  if (!nl->query_) return make_error(Errc::unsupported, "netlink socket");
  int err = nl_connect(nl->query_, NETLINK_ROUTE);
  if (err < 0) return nl_error(err, "netlink connect");
  err = nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr_);
  if (err < 0) return nl_error(err, "netlink cache manager");
  err = nl_cache_mngr_add(nl->mngr_, "route/link", &Netlink::on_change, nl.get(), &nl->links_);
  if (err < 0) return nl_error(err, "netlink link cache");
  // AF_ITER dumps every family the neighbour cache knows, AF_BRIDGE (the FDB) included.
  err = rtnl_neigh_alloc_cache_flags(nullptr, &nl->neigh_, NL_CACHE_AF_ITER);
  if (err < 0) return nl_error(err, "netlink neighbour cache");
  err = nl_cache_mngr_add_cache(nl->mngr_, nl->neigh_, &Netlink::on_change, nl.get());
  if (err < 0) return nl_error(err, "netlink neighbour cache manager");
  return nl;
}

Netlink::~Netlink() {
  if (mngr_) nl_cache_mngr_free(mngr_);  // frees the caches it manages too
  if (query_) nl_socket_free(query_);
}

int Netlink::fd() const { return nl_cache_mngr_get_fd(mngr_); }

Status Netlink::process() {
  int err = nl_cache_mngr_data_ready(mngr_);
  if (err < 0) return nl_error(err, "netlink event");
  return {};
}

void Netlink::on_change(nl_cache*, nl_object* obj, int action, void* arg) {
  auto* self = static_cast<Netlink*>(arg);
  NlEvent ev = action == NL_ACT_NEW ? NlEvent::added : action == NL_ACT_DEL ? NlEvent::removed : NlEvent::changed;
  const char* type = nl_object_get_type(obj);
  if (type && std::strcmp(type, "route/link") == 0) {
    auto* l = reinterpret_cast<rtnl_link*>(obj);
    if (!is_device_view(l) || !self->link_cb_) return;
    // The cached object may be a merge of several notifications; ask the kernel for the truth.
    LinkInfo info = to_link(l);
    if (ev != NlEvent::removed) {
      auto fresh = self->link(info.ifindex);
      if (!fresh) ev = NlEvent::removed;
      else info = *fresh;
    }
    self->link_cb_(ev, info);
  } else if (type && std::strcmp(type, "route/neigh") == 0) {
    auto e = to_fdb(reinterpret_cast<rtnl_neigh*>(obj));
    if (e && self->fdb_cb_) self->fdb_cb_(ev, *e);
  }
}

// Look-ups go to the kernel, not the event cache: answers must be current when an Attach
// call or an event is being decided.
std::vector<LinkInfo> Netlink::links() const {
  std::vector<LinkInfo> out;
  nl_cache* cache = nullptr;
  if (rtnl_link_alloc_cache(query_, AF_UNSPEC, &cache) < 0) return out;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);
    if (is_device_view(l)) out.push_back(to_link(l));
  }
  nl_cache_free(cache);
  return out;
}

std::optional<LinkInfo> Netlink::link(int ifindex) const {
  if (ifindex <= 0) return std::nullopt;
  rtnl_link* l = nullptr;
  if (rtnl_link_get_kernel(query_, ifindex, nullptr, &l) < 0 || !l) return std::nullopt;
  LinkInfo i = to_link(l);
  rtnl_link_put(l);
  return i;
}

std::optional<LinkInfo> Netlink::link(const std::string& name) const {
  rtnl_link* l = nullptr;
  if (rtnl_link_get_kernel(query_, 0, name.c_str(), &l) < 0 || !l) return std::nullopt;
  LinkInfo i = to_link(l);
  rtnl_link_put(l);
  return i;
}

namespace {
std::string addr_str(nl_addr* a, bool with_prefix) {
  if (!a) return "";
  char buf[INET6_ADDRSTRLEN + 8];
  nl_addr* copy = nl_addr_clone(a);
  if (!with_prefix) nl_addr_set_prefixlen(copy, nl_addr_get_len(copy) * 8);
  std::string s = nl_addr2str(copy, buf, sizeof(buf));
  nl_addr_put(copy);
  return s;
}

// Runs fn over a fresh dump; the cache is freed afterwards.
template <typename Obj, typename Fn>
void for_each_fresh(nl_cache* cache, Fn fn) {
  if (!cache) return;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) fn(reinterpret_cast<Obj*>(o));
  nl_cache_free(cache);
}
}  // namespace

std::vector<AddressInfo> Netlink::addresses(int ifindex) const {
  std::vector<AddressInfo> out;
  nl_cache* cache = nullptr;
  if (rtnl_addr_alloc_cache(query_, &cache) < 0) return out;
  for_each_fresh<rtnl_addr>(cache, [&](rtnl_addr* a) {
    if (ifindex && rtnl_addr_get_ifindex(a) != ifindex) return;
    out.push_back(AddressInfo{rtnl_addr_get_ifindex(a), rtnl_addr_get_family(a),
                              addr_str(rtnl_addr_get_local(a), false), static_cast<int>(rtnl_addr_get_prefixlen(a))});
  });
  return out;
}

std::vector<RouteInfo> Netlink::routes(int family) const {
  std::vector<RouteInfo> out;
  nl_cache* cache = nullptr;
  if (rtnl_route_alloc_cache(query_, family, 0, &cache) < 0) return out;
  for_each_fresh<rtnl_route>(cache, [&](rtnl_route* r) {
    RouteInfo ri;
    ri.family = rtnl_route_get_family(r);
    nl_addr* dst = rtnl_route_get_dst(r);
    ri.dst_len = dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0;
    ri.dst = ri.dst_len == 0 ? "default" : addr_str(dst, false);
    ri.table = rtnl_route_get_table(r);
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      ri.oif = rtnl_route_nh_get_ifindex(nh);
      ri.gateway = addr_str(rtnl_route_nh_get_gateway(nh), false);
    }
    out.push_back(ri);
  });
  return out;
}

std::vector<NeighbourInfo> Netlink::neighbours(int ifindex) const {
  std::vector<NeighbourInfo> out;
  nl_cache* cache = nullptr;
  if (rtnl_neigh_alloc_cache(query_, &cache) < 0) return out;
  for_each_fresh<rtnl_neigh>(cache, [&](rtnl_neigh* n) {
    int fam = rtnl_neigh_get_family(n);
    if (fam != AF_INET && fam != AF_INET6) return;
    if (ifindex && rtnl_neigh_get_ifindex(n) != ifindex) return;
    out.push_back(NeighbourInfo{rtnl_neigh_get_ifindex(n), fam, addr_str(rtnl_neigh_get_dst(n), false),
                                to_mac(rtnl_neigh_get_lladdr(n)), rtnl_neigh_get_state(n)});
  });
  return out;
}

std::vector<FdbEntry> Netlink::fdb(int bridge_ifindex) const {
  std::vector<FdbEntry> out;
  for (nl_object* o = nl_cache_get_first(neigh_); o; o = nl_cache_get_next(o)) {
    auto e = to_fdb(reinterpret_cast<rtnl_neigh*>(o));
    if (e && e->bridge_ifindex == bridge_ifindex) out.push_back(*e);
  }
  return out;
}

}  // namespace netaccel

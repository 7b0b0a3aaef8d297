// The kernel's view of links, neighbours and the bridge FDB through libnl3, with change events.
// One Netlink object per daemon: its fd goes into the event loop; process() dispatches events.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

struct nl_cache_mngr;
struct nl_sock;
struct nl_cache;
struct nl_object;

namespace netaccel {

using MacAddr = std::array<uint8_t, 6>;
std::string format_mac(const MacAddr& m);

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;    // rtnl "kind": veth, bridge, ... ; empty for plain devices
  int master = 0;      // ifindex of the bridge (or other master), 0 if none
  int peer_ifindex = 0;  // IFLA_LINK: for a veth, the peer's ifindex in its namespace
  int link_netnsid = -1; // namespace id of the peer as seen from ours, -1 if same/unknown
  MacAddr mac{};
  bool up = false;
  bool is_veth() const { return kind == "veth"; }
  bool is_bridge() const { return kind == "bridge"; }
};

struct FdbEntry {
  MacAddr mac{};
  int port_ifindex = 0;
  int bridge_ifindex = 0;
  int vlan = 0;
  bool local = false;  // the host's own address (permanent): traffic for it is not forwarded
};

struct AddressInfo {
  int ifindex = 0;
  int family = 0;       // AF_INET / AF_INET6
  std::string address;  // without prefix length
  int prefixlen = 0;
};

struct RouteInfo {
  int family = 0;
  std::string dst;  // "default" or the network address
  int dst_len = 0;
  int oif = 0;          // first next hop's interface
  std::string gateway;  // first next hop's gateway, empty if on-link
  unsigned table = 0;
};

struct NeighbourInfo {
  int ifindex = 0;
  int family = 0;
  std::string address;
  MacAddr lladdr{};
  int state = 0;  // NUD_*
};

enum class NlEvent { added, changed, removed };

class Netlink {
 public:
  using LinkCallback = std::function<void(NlEvent, const LinkInfo&)>;
  using FdbCallback = std::function<void(NlEvent, const FdbEntry&)>;

  static Result<std::unique_ptr<Netlink>> open();
  ~Netlink();

  int fd() const;
  // Reads pending kernel notifications and calls the callbacks.
  Status process();

  void on_link(LinkCallback cb) { link_cb_ = std::move(cb); }
  void on_fdb(FdbCallback cb) { fdb_cb_ = std::move(cb); }

  std::vector<LinkInfo> links() const;
  std::optional<LinkInfo> link(int ifindex) const;
  std::optional<LinkInfo> link(const std::string& name) const;
  std::vector<FdbEntry> fdb(int bridge_ifindex) const;
  std::vector<AddressInfo> addresses(int ifindex = 0) const;  // 0: all interfaces
  std::vector<RouteInfo> routes(int family) const;             // main table and others
  std::vector<NeighbourInfo> neighbours(int ifindex = 0) const;

 private:
  Netlink() = default;
  static void on_change(nl_cache*, nl_object*, int action, void* self);
  nl_cache_mngr* mngr_ = nullptr;
  nl_cache* links_ = nullptr;
  nl_sock* query_ = nullptr;  // for look-ups (mutable kernel state, so const methods use it)
  nl_cache* neigh_ = nullptr;
  LinkCallback link_cb_;
  FdbCallback fdb_cb_;
};

}  // namespace netaccel

#include "link_info.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "netaccel/core/unique_fd.h"

namespace gazelle {

netaccel::Result<LinkInfo> read_link_info(const std::string& ifname) {
  LinkInfo info;
  info.ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (!info.ifindex) return netaccel::errno_error(errno, "interface " + ifname);
  netaccel::UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return netaccel::errno_error(errno, "socket for interface " + ifname);
  ifreq req{};
  strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFHWADDR, &req) < 0) return netaccel::errno_error(errno, "MAC address of " + ifname);
  memcpy(info.mac.data(), req.ifr_hwaddr.sa_data, 6);
  if (ioctl(s.get(), SIOCGIFMTU, &req) < 0) return netaccel::errno_error(errno, "MTU of " + ifname);
  info.mtu = static_cast<uint16_t>(req.ifr_mtu);
  ethtool_drvinfo drv{};
  drv.cmd = ETHTOOL_GDRVINFO;
  req.ifr_data = reinterpret_cast<char*>(&drv);
  if (ioctl(s.get(), SIOCETHTOOL, &req) == 0) info.driver = drv.driver;
  return info;
}

}  // namespace gazelle

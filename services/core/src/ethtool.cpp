#include "netaccel/core/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "netaccel/core/unique_fd.h"

namespace netaccel {

namespace {

Status channels_ioctl(const std::string& ifname, ethtool_channels& ch, const char* what) {
  if (ifname.empty() || ifname.size() >= IFNAMSIZ) return make_error(Errc::invalid_argument, "'" + ifname + "' is not an interface name");
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return errno_error(errno, std::string(what) + " " + ifname + ": socket");
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  if (ioctl(s.get(), SIOCETHTOOL, &ifr) != 0) return errno_error(errno, std::string(what) + " " + ifname);
  return {};
}

}  // namespace

Result<Channels> channels(const std::string& ifname) {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  if (auto st = channels_ioctl(ifname, ch, "queue counts of"); !st) return st.error();
  return Channels{ch.rx_count, ch.tx_count, ch.combined_count};
}

Status set_rx_tx_channels(const std::string& ifname, unsigned rx, unsigned tx) {
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  if (auto st = channels_ioctl(ifname, ch, "queue counts of"); !st) return st;
  if (ch.rx_count == rx && ch.tx_count == tx) return {};
  ch.cmd = ETHTOOL_SCHANNELS;
  ch.rx_count = rx;
  ch.tx_count = tx;
  return channels_ioctl(ifname, ch, "set queue counts of");
}

}  // namespace netaccel

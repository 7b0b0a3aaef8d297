#include "sockmap_config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>

namespace netaccel::sockmap {

Result<Prefix> parse_prefix(const std::string& text) {
  Prefix p;
  auto slash = text.find('/');
  std::string addr = text.substr(0, slash);
  p.family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  const int max = p.family == AF_INET ? 32 : 128;
  if (inet_pton(p.family, addr.c_str(), p.addr.data()) != 1)
    return make_error(Errc::invalid_argument, "'" + text + "' is not an IPv4 or IPv6 prefix");
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

Result<SockmapConfig> parse_sockmap_config(const IniConfig& ini) {
  static const std::vector<std::string> known = {"cgroups", "local_prefixes", "pin_root", "sidecar_mode",
                                                 "sidecar_outbound_port", "sidecar_inbound_port", "proxy_uid"};
  SockmapConfig c;
  for (const auto& s : ini.sections())
    if (s != "sockmap") return make_error(Errc::invalid_argument, ini.origin() + ": unknown section [" + s + "]");
  if (auto unknown = ini.unknown_keys("sockmap", known); !unknown.empty())
    return make_error(Errc::invalid_argument, ini.where("sockmap", unknown.front()) + ": unknown key");
  c.cgroups = ini.get_list("sockmap", "cgroups");  // empty: the cgroup v2 root, found at start
  for (const auto& cg : c.cgroups)
    if (cg.empty() || cg[0] != '/')
      return make_error(Errc::invalid_argument, ini.where("sockmap", "cgroups") + ": '" + cg + "' is not an absolute path");
  for (const auto& t : ini.get_list("sockmap", "local_prefixes")) {
    auto p = parse_prefix(t);
    if (!p) return make_error(Errc::invalid_argument, ini.where("sockmap", "local_prefixes") + ": " + p.error().message);
    c.local_prefixes.push_back(*p);
  }
  auto sidecar = ini.get_bool("sockmap", "sidecar_mode", false);
  if (!sidecar) return sidecar.error();
  c.sidecar.enabled = *sidecar;
  auto port = ini.get_int("sockmap", "sidecar_outbound_port", 15001, 1, 65535);
  if (!port) return port.error();
  c.sidecar.outbound_port = static_cast<uint16_t>(*port);
  auto in_port = ini.get_int("sockmap", "sidecar_inbound_port", 15006, 1, 65535);
  if (!in_port) return in_port.error();
  c.sidecar.inbound_port = static_cast<uint16_t>(*in_port);
  auto uid = ini.get_int("sockmap", "proxy_uid", 1337, 0, 4294967294L);
  if (!uid) return uid.error();
  c.sidecar.proxy_uid = static_cast<uint32_t>(*uid);
  c.pin_root = ini.get_string("sockmap", "pin_root", kDefaultPinRoot);
  if (c.pin_root.empty() || c.pin_root[0] != '/')
    return make_error(Errc::invalid_argument, ini.where("sockmap", "pin_root") + ": must be an absolute path");
  return c;
}

const std::array<const char*, SM_STAT__MAX>& stat_names() {
  static const std::array<const char*, SM_STAT__MAX> n = {
      "sockets_added", "sockets_removed", "skip_remote_peer", "add_failed",
      "msg_redirected", "bytes_redirected", "msg_fallback_no_peer", "sidecar_redirected", "orig_dst_answered", "sidecar_inbound"};
  return n;
}

}  // namespace netaccel::sockmap

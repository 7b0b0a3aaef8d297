#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdlib>

#include "netaccel/core/config.h"

namespace gazelle {

using netaccel::Errc;
using netaccel::IniConfig;
using netaccel::make_error;
using netaccel::Result;

namespace {

constexpr const char* kSection = "lstack";
const std::vector<std::string> kKnownKeys = {
    "host_addr", "mask_addr", "gateway_addr", "devices", "xdp_eth_name", "xdp_queue_id", "dpdk_args",
    "num_cpus", "tcp_conn_count", "listen_shadow", "rx_csum_check", "stats_dir", "backend",
};
constexpr long kMaxConnections = 4000;  // MEMP_NUM_TCP_PCB in lwipopts.h, minus listeners' headroom

// lstack.conf writes lists as ["-l", "1", "--vdev=net_af_packet0,iface=eth0"]: quoted items,
// commas inside quotes belong to the item. Without quotes, items are separated by spaces.
std::vector<std::string> parse_list(const std::string& s) {
  std::vector<std::string> out;
  if (s.find('"') == std::string::npos) {
    std::string cur;
    for (char c : s + " ") {
      if (c == ' ' || c == '\t' || c == '[' || c == ']') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    return out;
  }
  size_t pos = 0;
  while ((pos = s.find('"', pos)) != std::string::npos) {
    size_t end = s.find('"', pos + 1);
    if (end == std::string::npos) break;
    out.push_back(s.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

Result<in_addr_t> parse_ipv4(const IniConfig& ini, const std::string& key, bool required) {
  auto v = ini.get(kSection, key);
  if (!v || v->empty()) {
    if (required) return make_error(Errc::invalid_argument, ini.where(kSection, key) + ": missing (an IPv4 address is required)");
    return in_addr_t{0};
  }
  in_addr a{};
  if (inet_pton(AF_INET, v->c_str(), &a) != 1)
    return make_error(Errc::invalid_argument, ini.where(kSection, key) + ": '" + *v + "' is not an IPv4 address");
  return a.s_addr;
}

bool is_contiguous_mask(in_addr_t be) {
  uint32_t m = ntohl(be);
  return m != 0 && (~m & (~m + 1)) == 0;
}

}  // namespace

std::string config_path() {
  const char* env = std::getenv("GAZELLE_CONF");
  return env && *env ? env : "/etc/gazelle/lstack.conf";
}

bool config_exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

namespace {
Result<Config> from_ini(const IniConfig& ini_cfg) {
  const IniConfig* ini = &ini_cfg;
  const std::string& path = ini->origin();
  auto sections = ini->sections();
  for (const auto& s : sections)
    if (s != kSection)
      return make_error(Errc::invalid_argument, path + ": unknown section [" + s + "] (keys go before any section or under [lstack])");
  Config c;
  c.origin = path;
  for (const auto& k : ini->unknown_keys(kSection, kKnownKeys))
    return make_error(Errc::invalid_argument, ini->where(kSection, k) + ": unknown key");

  auto host = parse_ipv4(*ini, "host_addr", true);
  if (!host) return host.error();
  c.host_addr = *host;
  auto mask = parse_ipv4(*ini, "mask_addr", true);
  if (!mask) return mask.error();
  if (!is_contiguous_mask(*mask))
    return make_error(Errc::invalid_argument, ini->where(kSection, "mask_addr") + ": not a contiguous netmask");
  c.mask_addr = *mask;
  auto gw = parse_ipv4(*ini, "gateway_addr", false);
  if (!gw) return gw.error();
  if (*gw && !c.in_subnet(*gw))
    return make_error(Errc::invalid_argument, ini->where(kSection, "gateway_addr") + ": not inside host_addr/mask_addr");
  c.gateway_addr = *gw;

  if (auto mac = ini->get(kSection, "devices"); mac && !mac->empty()) {
    unsigned b[6];
    char tail;
    if (sscanf(mac->c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
      return make_error(Errc::invalid_argument, ini->where(kSection, "devices") + ": '" + *mac + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
    for (int i = 0; i < 6; ++i) {
      if (b[i] > 255) return make_error(Errc::invalid_argument, ini->where(kSection, "devices") + ": '" + *mac + "' is not a MAC address");
      c.devices[i] = static_cast<uint8_t>(b[i]);
    }
    c.devices_set = true;
  }

  c.xdp_eth_name = ini->get_string(kSection, "xdp_eth_name", "");
  if (c.xdp_eth_name.size() >= IF_NAMESIZE)
    return make_error(Errc::invalid_argument, ini->where(kSection, "xdp_eth_name") + ": interface name too long");
  c.dpdk_args = parse_list(ini->get_string(kSection, "dpdk_args", ""));

  std::string backend = ini->get_string(kSection, "backend", c.dpdk_args.empty() ? "af_xdp" : "dpdk");
  if (backend == "af_xdp") c.backend = Backend::af_xdp;
  else if (backend == "dpdk") c.backend = Backend::dpdk;
  else return make_error(Errc::invalid_argument, ini->where(kSection, "backend") + ": '" + backend + "' is not af_xdp or dpdk");
  if (c.backend == Backend::af_xdp && c.xdp_eth_name.empty())
    return make_error(Errc::invalid_argument, ini->where(kSection, "xdp_eth_name") + ": missing (the AF_XDP back end needs an interface)");
  if (c.backend == Backend::dpdk && c.dpdk_args.empty())
    return make_error(Errc::invalid_argument, ini->where(kSection, "dpdk_args") + ": missing (the DPDK back end needs EAL arguments with a --vdev or PCI device)");

  auto queue = ini->get_int(kSection, "xdp_queue_id", 0, 0, 63);
  if (!queue) return queue.error();
  c.xdp_queue_id = static_cast<uint32_t>(*queue);
  auto cpus = ini->get_int(kSection, "num_cpus", 1, 1, 1024);
  if (!cpus) return cpus.error();
  if (*cpus != 1)
    return make_error(Errc::unsupported, ini->where(kSection, "num_cpus") + ": " + std::to_string(*cpus) +
                                             " stacks per process are not supported; use 1 (one stack per process, see README)");
  auto conns = ini->get_int(kSection, "tcp_conn_count", 1500, 1, kMaxConnections);
  if (!conns) return conns.error();
  c.tcp_conn_count = static_cast<uint32_t>(*conns);
  auto shadow = ini->get_bool(kSection, "listen_shadow", false);
  if (!shadow) return shadow.error();
  if (*shadow)
    return make_error(Errc::unsupported, ini->where(kSection, "listen_shadow") +
                                             ": listening on both stacks is not supported; bind host_addr explicitly");
  auto csum = ini->get_bool(kSection, "rx_csum_check", true);
  if (!csum) return csum.error();
  c.rx_csum_check = *csum;
  c.stats_dir = ini->get_string(kSection, "stats_dir", c.stats_dir);
  return c;
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  auto ini = IniConfig::load(path, kSection);
  if (!ini) return ini.error();
  return from_ini(*ini);
}

Result<Config> parse_config(const std::string& text, const std::string& origin) {
  auto ini = IniConfig::parse_string(text, origin, kSection);
  if (!ini) return ini.error();
  return from_ini(*ini);
}

}  // namespace gazelle

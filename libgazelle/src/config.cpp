#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "gazelle/cni_layout.h"
#include "netaccel/core/config.h"
#include "netaccel/core/config_schema.h"

namespace gazelle {

using netaccel::Errc;
using netaccel::IniConfig;
using netaccel::make_error;
using netaccel::Result;

namespace {

constexpr const char* kSection = "lstack";
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
  if (env && *env) return env;
  const std::string fixed = "/etc/gazelle/lstack.conf";
  if (access(fixed.c_str(), F_OK) == 0) return fixed;
  // The netaccel CNI plugin's per-pod file, found by the pod's network namespace: the runtime
  // mounts one directory for every pod, and a process finds its own without being told.
  struct stat ns{};
  if (stat("/proc/self/ns/net", &ns) == 0) {
    std::string by_netns = std::string(gazelle::kCniConfDir) + "/" + gazelle::kCniByNetns + "/" + std::to_string(ns.st_ino) + "/lstack.conf";
    if (access(by_netns.c_str(), F_OK) == 0) return by_netns;
  }
  return fixed;
}

bool config_exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

namespace {

using netaccel::Status;
using Schema = netaccel::ConfigSchema<Config>;

// An IPv4 address key into field f (0 when absent and not required).
Schema::Reader ipv4(in_addr_t Config::*f, bool required) {
  return [f, required](const IniConfig& ini, const std::string&, const std::string& k, Config& c) -> Status {
    auto v = parse_ipv4(ini, k, required);
    if (!v) return v.error();
    c.*f = *v;
    return {};
  };
}

Status read_mask(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  if (auto st = ipv4(&Config::mask_addr, true)(ini, s, k, c); !st) return st;
  if (!is_contiguous_mask(c.mask_addr)) return make_error(Errc::invalid_argument, ini.where(s, k) + ": not a contiguous netmask");
  return {};
}

Status read_gateway(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  if (auto st = ipv4(&Config::gateway_addr, false)(ini, s, k, c); !st) return st;
  if (c.gateway_addr && !c.in_subnet(c.gateway_addr))
    return make_error(Errc::invalid_argument, ini.where(s, k) + ": not inside host_addr/mask_addr");
  return {};
}

Status read_devices(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  auto mac = ini.get(s, k);
  if (!mac || mac->empty()) return {};
  unsigned b[6];
  char tail;
  if (sscanf(mac->c_str(), "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
    return make_error(Errc::invalid_argument, ini.where(s, k) + ": '" + *mac + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  for (int i = 0; i < 6; ++i) {
    if (b[i] > 255) return make_error(Errc::invalid_argument, ini.where(s, k) + ": '" + *mac + "' is not a MAC address");
    c.devices[i] = static_cast<uint8_t>(b[i]);
  }
  c.devices_set = true;
  return {};
}

Status read_ifname(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  c.xdp_eth_name = ini.get_string(s, k, "");
  if (c.xdp_eth_name.size() >= IF_NAMESIZE) return make_error(Errc::invalid_argument, ini.where(s, k) + ": interface name too long");
  return {};
}

Status read_dpdk_args(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  c.dpdk_args = parse_list(ini.get_string(s, k, ""));
  return {};
}

// After xdp_eth_name and dpdk_args: the default follows them, and each back end needs its own.
Status read_backend(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  std::string backend = ini.get_string(s, k, c.dpdk_args.empty() ? "af_xdp" : "dpdk");
  if (backend == "af_xdp") c.backend = Backend::af_xdp;
  else if (backend == "dpdk") c.backend = Backend::dpdk;
  else return make_error(Errc::invalid_argument, ini.where(s, k) + ": '" + backend + "' is not af_xdp or dpdk");
  if (c.backend == Backend::af_xdp && c.xdp_eth_name.empty())
    return make_error(Errc::invalid_argument, ini.where(s, "xdp_eth_name") + ": missing (the AF_XDP back end needs an interface)");
  if (c.backend == Backend::dpdk && c.dpdk_args.empty())
    return make_error(Errc::invalid_argument, ini.where(s, "dpdk_args") +
                                                  ": missing (the DPDK back end needs EAL arguments with a --vdev or PCI device)");
  return {};
}

Status read_num_cpus(const IniConfig& ini, const std::string& s, const std::string& k, Config& c) {
  auto cpus = ini.get_int(s, k, 1, 1, 1024);
  if (!cpus) return cpus.error();
  if (*cpus != 1)
    return make_error(Errc::unsupported, ini.where(s, k) + ": " + std::to_string(*cpus) +
                                             " stacks per process are not supported; use 1 (one stack per process, see README)");
  return {};
}

Status read_listen_shadow(const IniConfig& ini, const std::string& s, const std::string& k, Config&) {
  auto shadow = ini.get_bool(s, k, false);
  if (!shadow) return shadow.error();
  if (*shadow)
    return make_error(Errc::unsupported, ini.where(s, k) + ": listening on both stacks is not supported; bind host_addr explicitly");
  return {};
}

// The keys in the order they are read (and their errors reported).
const Schema& schema() {
  static const Schema s = Schema(kSection)
                              .section_hint("keys go before any section or under [lstack]")
                              .custom("host_addr", ipv4(&Config::host_addr, true))
                              .custom("mask_addr", read_mask)
                              .custom("gateway_addr", read_gateway)
                              .custom("devices", read_devices)
                              .custom("xdp_eth_name", read_ifname)
                              .custom("dpdk_args", read_dpdk_args)
                              .custom("backend", read_backend)
                              .number<uint32_t>("xdp_queue_id", &Config::xdp_queue_id, 0, 63)
                              .custom("num_cpus", read_num_cpus)
                              .number<uint32_t>("tcp_conn_count", &Config::tcp_conn_count, 1, kMaxConnections)
                              .custom("listen_shadow", read_listen_shadow)
                              .flag("rx_csum_check", &Config::rx_csum_check)
                              .text("stats_dir", &Config::stats_dir);
  return s;
}

Result<Config> from_ini(const IniConfig& ini) {
  Config c;
  c.origin = ini.origin();
  return schema().parse(ini, c);
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

#include "gazelle_cni.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <sstream>

#include "gazelle/cni_layout.h"
#include "netaccel/core/prefix.h"

namespace netaccel::cni {

namespace {

CniError bad(const std::string& field, const std::string& msg) { return {CniCode::invalid_config, "gazelle." + field + ": " + msg, ""}; }

// Keys the plugin writes itself: the config may not override the address it was given.
bool reserved_key(const std::string& k) {
  return k == "host_addr" || k == "mask_addr" || k == "gateway_addr" || k == "xdp_eth_name";
}

bool lstack_key(const std::string& k) {
  if (k.empty()) return false;
  for (char c : k)
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string mask_of(int len) {
  in_addr m{htonl(len == 0 ? 0 : ~uint32_t{0} << (32 - len))};
  char buf[INET_ADDRSTRLEN];
  return inet_ntop(AF_INET, &m, buf, sizeof buf);
}

std::string address_only(const Prefix& p) {
  std::string s = to_string(p);
  return s.substr(0, s.find('/'));
}

}  // namespace

std::variant<std::optional<GazelleConfig>, CniError> gazelle_config(const Invocation& inv) {
  if (!inv.config.contains("gazelle")) return std::optional<GazelleConfig>{};
  const auto& g = inv.config["gazelle"];
  if (!g.is_object()) return CniError{CniCode::invalid_config, "gazelle: must be an object", ""};
  GazelleConfig out;
  if (!g.contains("ipam") || !g["ipam"].is_object() || !g["ipam"].contains("type") || !g["ipam"]["type"].is_string())
    return bad("ipam", "required: an IPAM plugin config with its own range, e.g. {\"type\": \"host-local\", ...}");
  const std::string type = g["ipam"]["type"];
  if (type.empty() || type.find('/') != std::string::npos) return bad("ipam.type", "'" + type + "' is not a plugin name");
  out.ipam = g["ipam"];
  out.conf_dir = g.value("confDir", std::string(gazelle::kCniConfDir));
  if (g.contains("confDir") && !g["confDir"].is_string()) return bad("confDir", "must be a path");
  if (out.conf_dir.empty() || out.conf_dir[0] != '/') return bad("confDir", "must be an absolute path");
  if (g.contains("lstack")) {
    if (!g["lstack"].is_object()) return bad("lstack", "must be an object of lstack.conf keys");
    for (const auto& [k, v] : g["lstack"].items()) {
      if (!lstack_key(k)) return bad("lstack", "'" + k + "' is not an lstack.conf key");
      if (reserved_key(k)) return bad("lstack." + k, "is set by the plugin from the address it allocates");
      if (v.is_string()) out.lstack[k] = v.get<std::string>();
      else if (v.is_number_integer()) out.lstack[k] = std::to_string(v.get<long long>());
      else return bad("lstack." + k, "must be a string or an integer");
      if (out.lstack[k].find('\n') != std::string::npos) return bad("lstack." + k, "must be one line");
    }
  }
  return std::optional<GazelleConfig>{std::move(out)};
}

nlohmann::json ipam_request(const Invocation& inv, const GazelleConfig& g) {
  return {{"cniVersion", inv.version}, {"name", inv.config["name"]}, {"ipam", g.ipam}};
}

std::string ipam_ifname(const std::string& ifname) { return ifname + "-gazelle"; }

std::variant<GazelleAddress, CniError> gazelle_address(const nlohmann::json& ipam_result, const Invocation& inv) {
  const auto ips = ipam_result.is_object() ? ipam_result.value("ips", nlohmann::json::array()) : nlohmann::json::array();
  std::optional<Prefix> addr;
  std::string gateway;
  for (const auto& ip : ips) {
    if (!ip.is_object()) continue;
    auto p = parse_prefix(ip.value("address", ""), true);
    if (!p || p->family != AF_INET) continue;  // libgazelle is IPv4 only
    addr = *p;
    gateway = ip.value("gateway", "");
    break;
  }
  if (!addr) return bad("ipam", "the IPAM plugin returned no IPv4 address (libgazelle serves IPv4 only)");
  if (gateway.empty() && inv.config.contains("prevResult"))
    for (const auto& ip : inv.config["prevResult"].value("ips", nlohmann::json::array()))
      if (ip.is_object() && ip_family(ip.value("gateway", "")) == AF_INET) {
        gateway = ip["gateway"];
        break;
      }
  GazelleAddress out{address_only(*addr), mask_of(addr->len), gateway};
  if (!gateway.empty()) {
    auto gw = parse_prefix(gateway);
    Prefix subnet = *addr;
    if (!gw || !subnet.contains(*gw))
      return bad("ipam", "address " + to_string(*addr) + " is not in the subnet of the pod's gateway " + gateway +
                             " (libgazelle needs its gateway on-link: give it a range inside the pod network)");
  }
  return out;
}

std::string lstack_conf(const GazelleAddress& a, const std::string& ifname, const GazelleConfig& g) {
  std::ostringstream s;
  s << "# Written by the netaccel CNI plugin for this pod; removed at CNI DEL.\n"
    << "host_addr = " << a.address << "\nmask_addr = " << a.mask << "\n";
  if (!a.gateway.empty()) s << "gateway_addr = " << a.gateway << "\n";
  s << "xdp_eth_name = " << ifname << "\n";
  for (const auto& [k, v] : g.lstack) s << k << " = " << v << "\n";
  return s.str();
}

std::optional<std::string> lstack_host_addr(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("host_addr", 0) != 0) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    v.erase(0, v.find_first_not_of(' '));
    v.erase(v.find_last_not_of(' ') + 1);
    if (ip_family(v) == AF_INET) return v;
  }
  return std::nullopt;
}

}  // namespace netaccel::cni

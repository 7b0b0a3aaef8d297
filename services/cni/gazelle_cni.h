// The user-mode CNI ("gazelle" in the plugin's config): a pod gets a second IPv4 address from
// its own IPAM range, served by libgazelle on the pod's interface (the steering program
// takes only that address's frames), a host route to it, and an lstack.conf the pod's
// processes find (gazelle/cni_layout.h). The pod's kernel address and its legacy apps are
// untouched. Logic only; main.cpp execs the IPAM plugin, makes the route, writes the file.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "cni_plugin.h"

namespace netaccel::cni {

struct GazelleConfig {
  nlohmann::json ipam;  // the delegated IPAM plugin's config: a range inside the pod subnet
  std::string conf_dir;  // gazelle::kCniConfDir unless "confDir" says otherwise
  std::map<std::string, std::string> lstack;  // further lstack.conf keys ("num_cpus": "1")
};

// The config's "gazelle" object; nullopt when there is none. Errors name the field.
std::variant<std::optional<GazelleConfig>, CniError> gazelle_config(const Invocation& inv);

// What the delegated IPAM plugin reads on stdin: the network's name (host-local keeps its
// leases per name, so both ranges share one lease directory), and our ipam block.
nlohmann::json ipam_request(const Invocation& inv, const GazelleConfig& g);
// CNI_IFNAME for the IPAM call: host-local keys a lease by (container, ifname), and the
// pod's kernel address already holds (container, ifname).
std::string ipam_ifname(const std::string& ifname);

struct GazelleAddress {
  std::string address, mask, gateway;  // dotted IPv4; gateway may be empty
};
// The IPv4 address the IPAM plugin returned, with the pod's gateway (IPAM's, else
// prevResult's). libgazelle needs its gateway on-link: one outside the address's subnet is
// an error naming gazelle.ipam.
std::variant<GazelleAddress, CniError> gazelle_address(const nlohmann::json& ipam_result, const Invocation& inv);

// lstack.conf for the pod: the address on `ifname` (AF_XDP), then the config's extra keys.
std::string lstack_conf(const GazelleAddress& a, const std::string& ifname, const GazelleConfig& g);
// host_addr from such a file (DEL needs it to remove the host route; the netns may be gone).
std::optional<std::string> lstack_host_addr(const std::string& text);

}  // namespace netaccel::cni

// The pods of this node as the CNI plugin reported them: one endpoint per (container id,
// interface), the attachment's identity in the CNI spec. Kept as JSON in a state file across
// restarts and garbage-collected against the network namespaces that still exist.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::agent {

// What netaccel gave the endpoint: the services are told by the agent, and it records what it
// did so that DEL (even after a restart) undoes only its own changes.
struct FastPath {
  std::string fwd;           // "router" or "bridge" when netaccel-fwd has the host veth, else empty
  bool fwd_owned = false;    // the agent attached it (not fwd's own auto-attach)
  std::string sockmap;       // the enabled cgroup that covers the pod (its own or an ancestor)
  bool sockmap_owned = false;  // the agent enabled exactly the pod's cgroup
  bool operator==(const FastPath&) const = default;
};

struct Endpoint {
  std::string container_id, ifname;  // the key
  std::string netns;                 // path, as CNI_NETNS gives it
  uint64_t netns_inode = 0;          // the namespace the path named at ADD (0: unknown); see netns_inode()
  std::string host_veth;             // host side of the pod's veth
  std::string bridge;                // the bridge it is a port of (bridge plugin), empty for ptp
  std::string ipv4, ipv6;            // addresses without prefix; either may be empty
  std::string pod_namespace, pod_name, pod_uid;
  std::map<std::string, std::string> labels;
  std::string cgroup;  // cgroup v2 path of the pod: from the runtime, or found from its netns
  FastPath fastpath;
  // The user-mode CNI's second address (libgazelle serves it) and the lstack.conf the plugin
  // wrote; both empty for a pod without it.
  std::string gazelle_address, gazelle_conf;

  std::string id() const { return container_id + "/" + ifname; }
  bool operator==(const Endpoint&) const = default;
};

// From the JSON the CNI plugin sends (the field names of to_json); errors name the field.
Result<Endpoint> endpoint_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const Endpoint& e);

enum class EndpointChange { added, changed, unchanged, removed };

class EndpointStore {
 public:
  EndpointChange put(const Endpoint& e);
  // The endpoint removed, or nullopt when there was none (CNI DEL is idempotent).
  std::optional<Endpoint> remove(const std::string& container_id, const std::string& ifname);
  std::optional<Endpoint> get(const std::string& id) const;  // "container/ifname"
  std::vector<Endpoint> list() const;
  // Every endpoint whose netns no longer exists, removed and returned.
  std::vector<Endpoint> collect_garbage(const std::function<bool(const Endpoint&)>& alive);

  std::string dump() const;                                    // the state file's text
  static Result<EndpointStore> load(const std::string& text, const std::string& where);

 private:
  std::map<std::string, Endpoint> by_id_;
};

}  // namespace netaccel::agent

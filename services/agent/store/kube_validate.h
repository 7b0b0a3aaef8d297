// Validation of one Kubernetes document of a kind the agent stores: the fields netaccel reads
// are checked as the API server checks them, the rest is kept as written. Strict (unknown
// fields refused) inside NetworkPolicy specs, Service ports and EndpointSlices, where a typo
// would change what traffic is allowed or where it goes.
#pragma once

#include <yaml-cpp/yaml.h>

#include <compare>
#include <string>

#include "netaccel/core/result.h"

namespace netaccel::agent {

struct ObjectKey {
  std::string kind, ns, name;  // ns empty for cluster-scoped kinds
  auto operator<=>(const ObjectKey&) const = default;
  std::string str() const { return kind + " " + (ns.empty() ? name : ns + "/" + name); }
};

// Checks `doc` (one document of a file; `where` names it, e.g. "pods.yaml: document 2") and
// fills defaults the API server fills: metadata.namespace "default", the Namespace label
// kubernetes.io/metadata.name. Returns the object's key.
Result<ObjectKey> validate_object(YAML::Node doc, const std::string& where);
// Only what names the object (kind, apiVersion, metadata): enough for delete -f.
Result<ObjectKey> validate_key(YAML::Node doc, const std::string& where);

bool is_dns_label(const std::string& s);
bool is_dns_subdomain(const std::string& s);
bool is_label_key(const std::string& s);
bool is_label_value(const std::string& s);
bool is_port_name(const std::string& s);  // IANA service name: a named container port

}  // namespace netaccel::agent

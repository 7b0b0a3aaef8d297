#include "kube_kinds.h"

#include <algorithm>
#include <cctype>

namespace netaccel::agent {

const std::vector<KindInfo>& known_kinds() {
  static const std::vector<KindInfo> kinds = {
      {"Namespace", "v1", false, {"namespace", "namespaces", "ns"}},
      {"Node", "v1", false, {"node", "nodes", "no"}},
      {"Pod", "v1", true, {"pod", "pods", "po"}},
      {"Service", "v1", true, {"service", "services", "svc"}},
      {"EndpointSlice", "discovery.k8s.io/v1", true, {"endpointslice", "endpointslices"}},
      {"NetworkPolicy", "networking.k8s.io/v1", true, {"networkpolicy", "networkpolicies", "netpol"}},
  };
  return kinds;
}

const KindInfo* find_kind(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& k : known_kinds())
    if (std::find(k.aliases.begin(), k.aliases.end(), lower) != k.aliases.end()) return &k;
  return nullptr;
}

std::string kind_list() {
  std::string s;
  for (const auto& k : known_kinds()) s += (s.empty() ? "" : ", ") + k.kind;
  return s;
}

const std::vector<std::string>& builtin_namespaces() {
  static const std::vector<std::string> names = {"default", "kube-node-lease", "kube-public", "kube-system"};
  return names;
}

}  // namespace netaccel::agent

// The Kubernetes kinds the agent stores, how kubectl spells them (kind, plural, short name)
// and whether they live in a namespace. One table that apply, get and delete all read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace netaccel::agent {

struct KindInfo {
  std::string kind;         // "NetworkPolicy"
  std::string api_version;  // "networking.k8s.io/v1"
  bool namespaced;
  std::vector<std::string> aliases;  // lower case: singular, plural, short names
};

const std::vector<KindInfo>& known_kinds();
// By kind ("Service") or any alias ("svc", "services"), case-insensitive; nullptr if none.
const KindInfo* find_kind(std::string_view name);
// "Namespace, Pod, ..." for error messages.
std::string kind_list();

// The namespaces every cluster has; they exist before anything is applied.
const std::vector<std::string>& builtin_namespaces();

}  // namespace netaccel::agent

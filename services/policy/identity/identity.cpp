#include "identity.h"

#include <algorithm>

namespace netaccel::policy {

const char* reserved_identity_name(uint32_t id) {
  switch (id) {
    case kIdentityAny: return "any";
    case kIdentityHost: return "host";
    case kIdentityWorld: return "world";
    case kIdentityUnmanaged: return "unmanaged";
    case kIdentityRemoteNode: return "remote-node";
  }
  return nullptr;
}

std::string IdentityLabels::to_string() const {
  std::string out = "ns=" + ns;
  for (const auto& [k, v] : pod_labels) out += " " + k + "=" + v;
  return out;
}

IdentityLabels identity_labels(const PodInfo& pod, const NamespaceInfo* ns) {
  IdentityLabels l{pod.ns, ns ? ns->labels : Labels{{"kubernetes.io/metadata.name", pod.ns}}, pod.labels, pod.ports};
  std::sort(l.ports.begin(), l.ports.end());
  l.ports.erase(std::unique(l.ports.begin(), l.ports.end()), l.ports.end());
  return l;
}

void IdentityTable::add(uint32_t id, const IdentityLabels& labels) {
  by_labels_.emplace(labels, id);
  by_id_.emplace(id, labels);
}

void IdentityTable::erase_unless(const std::set<uint32_t>& keep) {
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    by_labels_.erase(it->second);
    it = by_id_.erase(it);
  }
}

const IdentityLabels* IdentityTable::find(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> IdentityTable::lookup(const IdentityLabels& labels) const {
  auto it = by_labels_.find(labels);
  return it == by_labels_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
}

uint32_t IdentityTable::first_free() const {
  uint32_t id = kFirstPodIdentity;
  for (const auto& [used, _] : by_id_) {  // ordered: the first gap
    if (used < id) continue;
    if (used != id) break;
    ++id;
  }
  return id;
}

Result<uint32_t> LocalIdentityAllocator::acquire(const IdentityLabels& labels) {
  if (auto id = table_.lookup(labels)) return *id;
  uint32_t id = table_.first_free();
  table_.add(id, labels);
  return id;
}

}  // namespace netaccel::policy

// Workload identities: a number per distinct (namespace, namespace labels, pod labels, named
// ports) set. Policies select identities, not addresses, so "allow role=frontend" is one entry
// however many frontend pods exist, and a pod that comes or goes changes one address entry.
// Named ports are part of the set so that an egress rule naming a port resolves to one port
// per identity (pods of one Deployment share them; pods that differ get their own identity).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster_view.h"
#include "policy/policy_abi.h"
#include "label_selector.h"
#include "netaccel/core/result.h"

namespace netaccel::policy {

// Reserved identities: the data path's numbers, from its ABI.
enum : uint32_t {
  kIdentityAny = POL_ID_ANY,  // in a policy entry: every peer
  kIdentityHost = POL_ID_HOST,
  kIdentityWorld = POL_ID_WORLD,
  kIdentityUnmanaged = POL_ID_UNMANAGED,  // a pod address the agent has no Pod object for
  kIdentityRemoteNode = POL_ID_REMOTE_NODE,
  kFirstPodIdentity = POL_ID_FIRST_POD,
  kFirstCidrIdentity = POL_ID_FIRST_CIDR,  // node-local identities of ipBlock address ranges
};
const char* reserved_identity_name(uint32_t id);  // nullptr when not reserved

struct IdentityLabels {
  std::string ns;
  Labels ns_labels, pod_labels;
  std::vector<NamedPort> ports;  // sorted
  auto operator<=>(const IdentityLabels&) const = default;
  std::string to_string() const;  // "ns=x role=db" for people
};
IdentityLabels identity_labels(const PodInfo& pod, const NamespaceInfo* ns);

// Both directions of a numbering, as an allocator keeps it.
class IdentityTable {
 public:
  void add(uint32_t id, const IdentityLabels& labels);
  void erase_unless(const std::set<uint32_t>& keep);
  const IdentityLabels* find(uint32_t id) const;
  std::optional<uint32_t> lookup(const IdentityLabels& labels) const;
  uint32_t first_free() const;  // the lowest pod identity not in the table
  size_t size() const { return by_id_.size(); }

 private:
  std::map<IdentityLabels, uint32_t> by_labels_;
  std::map<uint32_t, IdentityLabels> by_id_;
};

// Pod identities, stable while their label set is in use. The cluster-wide allocator (etcd)
// implements the same interface.
class IdentityAllocator {
 public:
  virtual ~IdentityAllocator() = default;
  // An error only where the allocator is remote (etcd unreachable): the compile fails, and
  // the data path keeps its last state.
  virtual Result<uint32_t> acquire(const IdentityLabels& labels) = 0;
  // Forget every identity not in `used` (after a compile: nothing refers to them any more).
  virtual void retain(const std::set<uint32_t>& used) = 0;
  virtual const IdentityLabels* find(uint32_t id) const = 0;
  // The identity these labels have now, allocating nothing.
  virtual std::optional<uint32_t> lookup(const IdentityLabels& labels) const = 0;
};

// Identities numbered on this node, lowest free number first.
class LocalIdentityAllocator : public IdentityAllocator {
 public:
  Result<uint32_t> acquire(const IdentityLabels& labels) override;
  void retain(const std::set<uint32_t>& used) override { table_.erase_unless(used); }
  const IdentityLabels* find(uint32_t id) const override { return table_.find(id); }
  std::optional<uint32_t> lookup(const IdentityLabels& labels) const override { return table_.lookup(labels); }
  size_t size() const { return table_.size(); }

 private:
  IdentityTable table_;
};

}  // namespace netaccel::policy

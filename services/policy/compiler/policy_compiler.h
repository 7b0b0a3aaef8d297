// NetworkPolicies over a cluster view → the data path's tables (CompiledPolicy). Pods become
// identities, ipBlocks become a partition of the address space into CIDR identities, and each
// pod a policy selects gets the entries of every rule that applies to it. Pure: no kernel, no
// bus; the daemon loads the result.
#pragma once

#include <map>
#include <set>
#include <string>

#include "cluster_view.h"
#include "compiled_policy.h"
#include "identity.h"

namespace netaccel::policy {

// CIDR identities by the set of ipBlocks an address range belongs to; stable while in use.
class CidrIdentities {
 public:
  uint32_t acquire(const std::string& membership);
  void retain(const std::set<uint32_t>& used);

 private:
  std::map<std::string, uint32_t> by_key_;
};

// Limits the data path has: a compile that exceeds one fails, and the caller keeps what it had.
struct CompileLimits {
  size_t entries_per_endpoint = 16384;
  size_t cidrs = 16384;
};

Result<CompiledPolicy> compile(const ClusterView& view, IdentityAllocator& identities, CidrIdentities& cidr_ids,
                               const CompileLimits& limits = {});

}  // namespace netaccel::policy

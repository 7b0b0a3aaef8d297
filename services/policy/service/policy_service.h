// netaccel-policy's logic: read the cluster from the agent, compile, and make the kernel hold
// the result; answer what the bus asks (identities, an endpoint's policy in words, counters).
// Knows neither D-Bus nor BPF: a ClusterSource and an Enforcer stand for them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster_source.h"
#include "enforcer.h"
#include "policy_compiler.h"
#include "policy_config.h"
#include "view_builder.h"

namespace netaccel::policy {

struct EndpointSummary {
  std::string pod, veth;
  uint32_t identity = 0, slot = 0;
  bool isolated_ingress = false, isolated_egress = false;
};

class PolicyService {
 public:
  PolicyService(ClusterSource& source, Enforcer& enforcer, const PolicyConfig& cfg);

  // Reads everything again and installs it. On any error (a document the compiler cannot
  // read, a full map) the data path keeps the last good state and the error names the cause.
  Status resync();
  // A pod of this node as the agent registers it (endpoint JSON), installed before the agent
  // answers the CNI plugin: added to the last state read, without calling the agent back.
  Status add_endpoint(const std::string& json);
  // Readies the slots the next pods will take (see Enforcer::prepare_slots): called when the
  // daemon is idle, after the answer to whatever changed, never on a CNI ADD's path.
  Status prepare_for_adds();

  // Where identities are numbered from now on (the daemon: etcd once the agent is in cluster
  // mode); the next apply renumbers what differs, through the two slots.
  void use_identities(std::unique_ptr<IdentityAllocator> ids, bool cluster_wide);
  bool cluster_identities() const { return cluster_ids_; }

  size_t policy_count() const { return policies_; }
  size_t identity_count() const { return compiled_.identity_names.size(); }
  std::vector<EndpointSummary> endpoints() const;
  // (identity, what it is) for every identity in use.
  std::vector<std::pair<uint32_t, std::string>> identities() const;
  // The computed policy of one pod in words; NotFound for an unknown pod.
  Result<std::string> describe(const std::string& pod) const;
  // For the monitor: the pod in an endpoint slot, and who an identity is.
  std::string pod_in_slot(uint32_t slot) const;
  std::string identity_name(uint32_t id) const;
  std::vector<std::string> isolating_policies(const std::string& pod, Direction d) const;
  const std::string& last_error() const { return last_error_; }

 private:
  Status apply(BuiltView built);
  // The pod of `ep` written as one more pod when its identity is in use already (nothing any
  // policy map holds changes): false when it is not such a pod and a whole apply must decide.
  Result<bool> add_known_identity(const EndpointRecord& ep);

  ClusterSource& source_;
  Enforcer& enforcer_;
  PolicyConfig cfg_;
  std::unique_ptr<IdentityAllocator> identities_ = std::make_unique<LocalIdentityAllocator>();
  bool cluster_ids_ = false;
  CidrIdentities cidr_ids_;
  CompiledPolicy compiled_;
  std::map<std::string, LocalEndpoint> local_;  // by pod
  std::map<std::string, std::string> veths_;    // by pod
  std::map<uint32_t, uint32_t> previous_slots_;  // ifindex → slot, from the pins at start
  size_t policies_ = 0;
  std::optional<BuiltView> last_view_;  // what the last good install was made from
  std::string last_error_;
};

}  // namespace netaccel::policy

// The ClusterView the compiler reads, from what the agent holds: Pod objects where they exist
// (labels, named ports), and the endpoints the CNI plugin registered where they do not (pods
// whose runtime has no API server behind it: their labels come from the CNI call).
#pragma once

#include <map>
#include <set>
#include <string>

#include "cluster_source.h"
#include "cluster_view.h"

namespace netaccel::policy {

struct BuiltView {
  ClusterView view;
  // This node's pods ("ns/name") and their host-side veth.
  std::map<std::string, std::string> local_veths;
  // Pods that have a Pod object: its labels and ports stand, an endpoint only adds addresses.
  std::set<std::string> object_pods;
};

// A bad document or endpoint is an error naming it; the caller keeps what it had.
Result<BuiltView> build_view(ClusterSource& source);
void merge_endpoint(ClusterView& v, const EndpointRecord& ep);
// One more of this node's pods (the agent's AddEndpoint, before its CNI ADD returns).
void add_local_endpoint(BuiltView& b, const EndpointRecord& ep);

}  // namespace netaccel::policy

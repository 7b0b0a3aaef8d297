// A generated PolicyWorld as netaccel-policy reads it: the same documents through the
// product's parsers into a ClusterView.
#pragma once

#include <gtest/gtest.h>

#include "cluster_view.h"
#include "policy_generator.h"

namespace netaccel::test {

inline policy::ClusterView view_of(const PolicyWorld& w) {
  policy::ClusterView v;
  for (const auto& doc : w.namespace_yaml) {
    auto ns = policy::parse_namespace(YAML::Load(doc));
    EXPECT_TRUE(ns) << ns.error().what();
    if (ns) v.namespaces[ns->name] = *ns;
  }
  for (const auto& doc : w.pod_yaml) {
    auto pod = policy::parse_pod(YAML::Load(doc));
    EXPECT_TRUE(pod) << pod.error().what();
    if (pod) v.pods.push_back(*pod);
  }
  for (const auto& doc : w.policy_yaml) {
    auto p = policy::parse_network_policy(YAML::Load(doc));
    EXPECT_TRUE(p) << p.error().what() << "\n" << doc;
    if (p) v.policies.push_back(*p);
  }
  return v;
}

}  // namespace netaccel::test

// The conformance cases (modelled on Kubernetes' network-policy e2e suite) over namespaces x,
// y, z and pods a, b, c (label pod=<name>, namespaces ns=<name>; pod subnets 10.96.0.0/24,
// 10.96.1.0/24, 10.96.2.0/24; named ports serve-80-tcp ... serve-81-udp): shared by the
// conformance suite and the iptables differential.
#pragma once

#include <string>
#include <vector>

#include "policy_lab.h"

namespace netaccel::test {

// Namespaces x, y, z with pods a, b, c: label pod=<name>, addresses 10.96.<n>.11-13, the four
// named ports.
inline std::vector<LabPod> e2e_pods() {
  const std::vector<OraclePod::Port> ports{{"serve-80-tcp", "TCP", 80}, {"serve-81-tcp", "TCP", 81}, {"serve-80-udp", "UDP", 80}, {"serve-81-udp", "UDP", 81}};
  const std::vector<std::string> nss{"x", "y", "z"}, names{"a", "b", "c"};
  std::vector<LabPod> pods;
  for (size_t n = 0; n < nss.size(); ++n)
    for (size_t p = 0; p < names.size(); ++p)
      pods.push_back({nss[n], names[p], "10.96." + std::to_string(n) + "." + std::to_string(11 + p), {{"pod", names[p]}}, ports});
  return pods;
}

inline std::string np(const std::string& name, const std::string& ns, const std::string& spec) {
  return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: " + spec + "\n";
}

struct PolicyCase {
  std::string name;
  std::vector<std::string> policies;
};

inline std::vector<PolicyCase> policy_cases() {
  return {
      {"no policies", {}},
      {"deny all ingress in x", {np("deny", "x", "{podSelector: {}}")}},
      {"deny all egress in x", {np("deny", "x", "{podSelector: {}, policyTypes: [Egress]}")}},
      {"deny all both ways in x", {np("deny", "x", "{podSelector: {}, policyTypes: [Ingress, Egress]}")}},
      {"allow all ingress in x", {np("allow", "x", "{podSelector: {}, ingress: [{}]}")}},
      {"allow all egress in x", {np("allow", "x", "{podSelector: {}, policyTypes: [Egress], egress: [{}]}")}},
      {"x/a from x/b only", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}")}},
      {"x/a from namespace y", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}")}},
      {"x/a from y/b (selectors AND-ed in one peer)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {pod: b}}}]}]}")}},
      {"x/a from namespace y or pod b (peers OR-ed)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {pod: b}}}]}]}")}},
      {"x/a from anyone on TCP 80", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{port: 80}]}]}")}},
      {"x/a from anyone on UDP 81", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{protocol: UDP, port: 81}]}]}")}},
      {"x/a from namespace y on TCP 80",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}]}")}},
      {"x/a on named port serve-80-tcp", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{port: serve-80-tcp}]}]}")}},
      {"x/a on named UDP port serve-81-udp",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{protocol: UDP, port: serve-81-udp}]}]}")}},
      {"named port with the wrong protocol matches nothing",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{protocol: UDP, port: serve-80-tcp}]}]}")}},
      {"x/a on TCP 80-81 (endPort)", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{port: 80, endPort: 81}]}]}")}},
      {"x/a on every TCP port", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{protocol: TCP}]}]}")}},
      {"x/a from pods In (b, c)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: In, values: [b, c]}]}}]}]}")}},
      {"x/a from pods NotIn (b)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: pod, operator: NotIn, values: [b]}]}}]}]}")}},
      {"x/a from namespaces where ns Exists, any pod",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: Exists}]}}]}]}")}},
      {"x/a from pods without a 'role' (DoesNotExist)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchExpressions: [{key: role, operator: DoesNotExist}]}}]}]}")}},
      {"x/a from namespaces In (y, z)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [y, z]}]}}]}]}")}},
      {"x/a from namespace y by its metadata.name label",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]}]}")}},
      {"policy pod selector In (a, b)",
       {np("p", "x", "{podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, b]}]}, ingress: [{from: [{podSelector: {}}]}]}")}},
      {"x pods from their own namespace only", {np("p", "x", "{podSelector: {}, ingress: [{from: [{podSelector: {}}]}]}")}},
      {"x pods from every namespace", {np("p", "x", "{podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}")}},
      {"x/a from pod c of every namespace",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: c}}}]}]}")}},
      {"x/a from y's pod subnet (ipBlock)", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{ipBlock: {cidr: 10.96.1.0/24}}]}]}")}},
      {"x/a from 10.96.0.0/16 except y's subnet",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{ipBlock: {cidr: 10.96.0.0/16, except: [10.96.1.0/24]}}]}]}")}},
      {"x/a from 0.0.0.0/0 except x/b's address",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.96.0.12/32]}}]}]}")}},
      {"x/a egress to namespace y only",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}")}},
      {"x/a egress to TCP 81 only", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{ports: [{port: 81}]}]}")}},
      {"x/a egress to z's subnet",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.96.2.0/24}}]}]}")}},
      {"x/a egress to z's subnet except z/c",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.96.2.0/24, except: [10.96.2.13/32]}}]}]}")}},
      {"x/a egress to named port serve-81-tcp of any pod",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{ports: [{port: serve-81-tcp}]}]}")}},
      {"x/a egress to named UDP port of pods b",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {pod: b}}}], ports: [{protocol: UDP, port: serve-80-udp}]}]}")}},
      {"two policies on x/a add up",
       {np("p1", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]}"),
        np("p2", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: z}}}], ports: [{port: 81}]}]}")}},
      {"ingress isolation and an egress policy on the same pod",
       {np("in", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {}}]}]}"),
        np("out", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {ns: y}}}]}]}")}},
      {"policyTypes Ingress ignores the egress rules",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {}}]}], egress: [{ports: [{port: 9}]}]}")}},
      {"policyTypes Egress ignores the ingress rules",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Egress], ingress: [{ports: [{port: 9}]}], egress: [{}]}")}},
      {"an empty ingress list allows nothing", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, policyTypes: [Ingress], ingress: []}")}},
      {"egress rules alone make it an egress policy (defaulting)",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]}")}},
      {"only SCTP allowed: TCP and UDP denied", {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{ports: [{protocol: SCTP, port: 80}]}]}")}},
      {"policies in two namespaces",
       {np("p", "y", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: x}}}]}]}"),
        np("p", "z", "{podSelector: {}, policyTypes: [Egress], egress: [{to: [{podSelector: {}}]}]}")}},
      {"two rules, different peers and ports",
       {np("p", "x", "{podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: 80}]}, "
                     "{from: [{podSelector: {matchLabels: {pod: c}}}], ports: [{protocol: UDP, port: 81}]}]}")}},
  };
}

}  // namespace netaccel::test

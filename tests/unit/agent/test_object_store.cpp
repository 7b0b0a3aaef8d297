// The agent's object store: every kind applied, read back and deleted; bad documents named
// by document and field, and a file with one bad document changes nothing.
#include <gtest/gtest.h>

#include "kube_kinds.h"
#include "object_store.h"
#include "yaml_json.h"

using namespace netaccel::agent;

namespace {

const char* kCluster = R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: web}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, tier: "1"}
spec:
  nodeName: node-b
  containers:
  - name: nginx
    image: nginx
    ports:
    - {name: http, containerPort: 80}
status:
  podIP: 10.244.1.5
  podIPs: [{ip: 10.244.1.5}, {ip: "fd00:244:1::5"}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: alt, port: 8080, targetPort: 80, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: {ready: true}
  nodeName: node-b
ports:
- {name: http, port: 80, protocol: TCP}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: web}}
      podSelector:
        matchExpressions: [{key: role, operator: In, values: [frontend]}]
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {protocol: TCP, port: http}
    - {port: 9000, endPort: 9100}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {podCIDR: 10.244.1.0/24}
status:
  addresses: [{type: InternalIP, address: 192.168.1.2}, {type: Hostname, address: node-b}]
)";

TEST(ObjectStore, AppliesEveryKindAndReadsItBack) {
  ObjectStore s;
  auto r = s.apply(kCluster, "cluster.yaml");
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 6u);
  for (const auto& c : *r) EXPECT_EQ(c.what, ChangeKind::created) << c.key.str();
  auto pod = s.get({"Pod", "shop", "web-1"});
  ASSERT_TRUE(pod);
  EXPECT_EQ((*pod)["status"]["podIPs"][1]["ip"].Scalar(), "fd00:244:1::5");
  EXPECT_EQ(s.list("Service").size(), 1u);
  EXPECT_EQ(s.list("Pod", "default").size(), 0u);
  // The API server labels every namespace with its name; policies select namespaces by it.
  auto ns = s.get({"Namespace", "", "shop"});
  ASSERT_TRUE(ns);
  EXPECT_EQ((*ns)["metadata"]["labels"]["kubernetes.io/metadata.name"].Scalar(), "shop");
}

TEST(ObjectStore, ReapplyIsUnchangedAndAnEditIsConfigured) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  auto again = s.apply(kCluster, "a");
  ASSERT_TRUE(again);
  for (const auto& c : *again) EXPECT_EQ(c.what, ChangeKind::unchanged) << c.key.str();
  auto edit = s.apply("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  ports: [{port: 81}]\n", "b");
  ASSERT_TRUE(edit) << edit.error().what();
  EXPECT_EQ(edit->at(0).what, ChangeKind::configured);
  EXPECT_EQ((*s.get({"Service", "shop", "web"}))["spec"]["ports"][0]["port"].Scalar(), "81");
}

TEST(ObjectStore, NamespaceDefaultsAndMustExist) {
  ObjectStore s;
  auto r = s.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "p.yaml");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->at(0).key.ns, "default");
  auto missing = s.apply("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: nowhere}\n", "q.yaml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("namespace 'nowhere' does not exist"), std::string::npos) << missing.error().message;
}

TEST(ObjectStore, DeletingANamespaceDeletesWhatIsInIt) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  auto r = s.remove({"Namespace", "", "shop"});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->size(), 5u);  // pod, service, slice, policy and the namespace; the node stays
  EXPECT_TRUE(s.list("Pod").empty());
  EXPECT_EQ(s.list("Node").size(), 1u);
  EXPECT_FALSE(s.remove({"Namespace", "", "default"}));
  EXPECT_FALSE(s.remove({"Pod", "shop", "web-1"}));  // already gone: NotFound
}

TEST(ObjectStore, DeleteFileIsAllOrNothing) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  const size_t before = s.size();
  auto r = s.remove(
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: nope, namespace: shop}\n",
      "del.yaml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "del.yaml: Service shop/nope not found");
  EXPECT_EQ(s.size(), before);
}

TEST(ObjectStore, DumpReadsBackIntoTheSameStore) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  ObjectStore t;
  auto r = t.apply(s.dump(), "state");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(t.dump(), s.dump());
}

TEST(ObjectStore, ListDocumentsContributeTheirItems) {
  ObjectStore s;
  auto r = s.apply("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n"
                   "- {apiVersion: v1, kind: Pod, metadata: {name: b}}\n",
                   "list.yaml");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(s.list("Pod").size(), 2u);
}

TEST(ObjectStore, JsonKeepsQuotedStringsAndTypesPlainScalars) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  auto j = yaml_to_json(*s.get({"Pod", "shop", "web-1"}));
  EXPECT_EQ(j["metadata"]["labels"]["tier"], "1");
  EXPECT_EQ(j["spec"]["containers"][0]["ports"][0]["containerPort"], 80);
  auto e = yaml_to_json(*s.get({"EndpointSlice", "shop", "web-abc"}));
  EXPECT_EQ(e["endpoints"][0]["conditions"]["ready"], true);
}

TEST(Kinds, KubectlSpellingsFindTheKind) {
  for (const char* n : {"svc", "Services", "po", "netpol", "NetworkPolicy", "ns", "endpointslices", "no"})
    EXPECT_NE(find_kind(n), nullptr) << n;
  EXPECT_EQ(find_kind("deployment"), nullptr);
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;  // the whole error, so the place it names is checked too
};

class BadDocument : public ::testing::TestWithParam<BadCase> {};

// The second document is the bad one: the first must not be stored either.
TEST_P(BadDocument, IsNamedAndChangesNothing) {
  ObjectStore s;
  const size_t before = s.size();
  std::string text = std::string("apiVersion: v1\nkind: Pod\nmetadata: {name: fine}\n---\n") + GetParam().yaml;
  auto r = s.apply(text, "in.yaml");
  ASSERT_FALSE(r) << GetParam().name;
  EXPECT_EQ(r.error().message, GetParam().message);
  EXPECT_EQ(s.size(), before);
  EXPECT_FALSE(s.get({"Pod", "default", "fine"}));
}

const BadCase kBad[] = {
    {"syntax", "kind: [Pod\n", "in.yaml:6:1: end of sequence flow not found"},
    {"not_a_map", "- a\n- b\n", "in.yaml: document 2: is not a Kubernetes object (a map with apiVersion and kind)"},
    {"no_kind", "apiVersion: v1\nmetadata: {name: x}\n", "in.yaml: document 2: kind: required"},
    {"unknown_kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
     "in.yaml: document 2: kind: 'Deployment' is not stored by netaccel (Namespace, Node, Pod, Service, EndpointSlice, NetworkPolicy)"},
    {"wrong_api", "apiVersion: v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}}\n",
     "in.yaml: document 2: apiVersion: 'v1' for NetworkPolicy: expected networking.k8s.io/v1"},
    {"no_name", "apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n", "in.yaml: document 2: metadata.name: required"},
    {"bad_name", "apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\n",
     "in.yaml: document 2: metadata.name: 'Web_1' is not a DNS-1123 subdomain"},
    {"service_dotted", "apiVersion: v1\nkind: Service\nmetadata: {name: a.b}\nspec: {ports: [{port: 1}]}\n",
     "in.yaml: document 2: metadata.name: 'a.b' is not a DNS-1123 label"},
    {"node_namespaced", "apiVersion: v1\nkind: Node\nmetadata: {name: n, namespace: default}\n",
     "in.yaml: document 2: metadata.namespace: Node is not namespaced"},
    {"label_number", "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {version: 2}}\n",
     "in.yaml: document 2 (Pod default/x): metadata.labels.version: must be a string (quote numbers and true/false)"},
    {"label_value", "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {app: 'a b'}}\n",
     "in.yaml: document 2 (Pod default/x): metadata.labels.app: 'a b' is not a label value"},
    {"pod_ip", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nstatus: {podIP: 10.0.0.300}\n",
     "in.yaml: document 2 (Pod default/x): status.podIP: '10.0.0.300' is not an IP address"},
    {"container_port", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c, ports: [{containerPort: 0}]}]}\n",
     "in.yaml: document 2 (Pod default/x): spec.containers[0].ports[0].containerPort: 0 is not in 1-65535"},
    {"port_name", "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c, ports: [{name: HTTP, containerPort: 80}]}]}\n",
     "in.yaml: document 2 (Pod default/x): spec.containers[0].ports[0].name: 'HTTP' is not a port name (IANA_SVC_NAME)"},
    {"service_port", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 70000}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].port: 70000 is not in 1-65535"},
    {"service_port_string", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: '80'}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].port: must be a number, not '80'"},
    {"service_unnamed_ports", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}, {port: 81, name: b}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].name: required"},
    {"service_typo", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, targetport: 8080}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].targetport: unknown field"},
    {"node_port_cluster_ip", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].nodePort: only for type NodePort or LoadBalancer"},
    {"node_port_range", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 80}]}\n",
     "in.yaml: document 2 (Service default/s): spec.ports[0].nodePort: 80 is not in 30000-32767"},
    {"service_type", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: Cluster, ports: [{port: 80}]}\n",
     "in.yaml: document 2 (Service default/s): spec.type: 'Cluster' is not one of ClusterIP, NodePort, LoadBalancer, ExternalName"},
    {"policy_no_selector", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {policyTypes: [Ingress]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.podSelector: required ({} selects every pod of the namespace)"},
    {"policy_typo", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, ingress: [{form: []}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.ingress[0].form: unknown field"},
    {"policy_operator", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                        "spec: {podSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.podSelector.matchExpressions[0].operator: 'Equals' is not one of In, NotIn, Exists, DoesNotExist"},
    {"policy_exists_values", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                             "spec: {podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.podSelector.matchExpressions[0].values: must be empty for operator Exists"},
    {"policy_empty_peer", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, egress: [{to: [{}]}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.egress[0].to[0]: needs podSelector, namespaceSelector or ipBlock"},
    {"policy_ipblock_and_selector", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                                    "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.ingress[0].from[0]: ipBlock cannot be combined with a selector"},
    {"policy_cidr", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                    "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.ingress[0].from[0].ipBlock.cidr: '10.0.0.0/33' is not a CIDR (address/prefix)"},
    {"policy_except_outside", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                              "spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16]}}]}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.ingress[0].from[0].ipBlock.except[0]: '11.0.0.0/16' is not inside 10.0.0.0/8"},
    {"policy_end_port", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\n"
                        "spec: {podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.ingress[0].ports[0].endPort: is below port 90"},
    {"policy_type", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}, policyTypes: [ingress]}\n",
     "in.yaml: document 2 (NetworkPolicy default/p): spec.policyTypes[0]: must be Ingress or Egress"},
    {"slice_family", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: [{addresses: ['fd00::1']}]\n",
     "in.yaml: document 2 (EndpointSlice default/e): endpoints[0].addresses[0]: 'fd00::1' is not an IPv4 address"},
    {"slice_ready", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\n"
                    "endpoints: [{addresses: [10.0.0.1], conditions: {ready: 'yes'}}]\n",
     "in.yaml: document 2 (EndpointSlice default/e): endpoints[0].conditions.ready: must be true or false, not 'yes'"},
    {"slice_no_type", "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\nendpoints: []\n",
     "in.yaml: document 2 (EndpointSlice default/e): addressType: required"},
    {"node_cidr", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: 10.244.1.0}\n",
     "in.yaml: document 2 (Node n): spec.podCIDR: '10.244.1.0' is not a CIDR (address/prefix)"},
    {"node_address", "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {addresses: [{type: InternalIP, address: node-b}]}\n",
     "in.yaml: document 2 (Node n): status.addresses[0].address: 'node-b' is not an IP address"},
};

INSTANTIATE_TEST_SUITE_P(Agent, BadDocument, ::testing::ValuesIn(kBad), [](const auto& i) { return std::string(i.param.name); });

}  // namespace

namespace {
// The service applies to a copy and keeps it only when the state file was written: the
// original must not see the copy's changes (YAML::Node assignment writes through shared nodes).
TEST(ObjectStore, ACopyChangesAloneTheOriginalStaysAsItWas) {
  ObjectStore s;
  ASSERT_TRUE(s.apply(kCluster, "a"));
  const std::string before = s.dump();
  ObjectStore next = s;
  ASSERT_TRUE(next.apply("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 81}]}\n", "b"));
  ASSERT_TRUE(next.remove(ObjectKey{"Pod", "shop", "web-1"}));
  EXPECT_EQ(s.dump(), before);
  EXPECT_NE(next.dump(), before);
}
}  // namespace

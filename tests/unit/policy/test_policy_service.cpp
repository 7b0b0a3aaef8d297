// PolicyService over a recorded agent and a recording enforcer: what it reads, what it asks the
// kernel for, and that a bad input from the agent changes nothing.
#include <gtest/gtest.h>
#include <net/if.h>

#include "policy_service.h"
#include "view_builder.h"

using namespace netaccel;
using namespace netaccel::policy;

namespace {

struct FakeAgent : ClusterSource {
  std::map<std::string, std::string> kinds;
  std::vector<EndpointRecord> local, remote;
  Result<std::string> objects(const std::string& kind) override { return kinds.count(kind) ? kinds[kind] : std::string(); }
  Result<std::vector<EndpointRecord>> local_endpoints() override { return local; }
  Result<std::vector<EndpointRecord>> remote_endpoints() override { return remote; }
};

struct FakeKernel : Enforcer {
  std::vector<PolicyTables> installs;
  std::set<uint32_t> links;
  std::map<uint32_t, uint32_t> previous;
  bool refuse = false;
  Status install(const PolicyTables& t) override {
    if (refuse) return make_error(Errc::invalid_argument, "update the ipcache slot 1 (the map is full)");
    installs.push_back(t);
    return {};
  }
  Status attach(uint32_t i) override {
    links.insert(i);
    return {};
  }
  Status detach(uint32_t i) override {
    links.erase(i);
    return {};
  }
  std::set<uint32_t> attached() const override { return links; }
  std::map<uint32_t, uint32_t> previous_slots() const override { return previous; }
  DirectionCounters counters(uint32_t, Direction) const override { return {}; }
  uint64_t generation() const override { return installs.size(); }
};

EndpointRecord ep(const std::string& ns, const std::string& name, const std::string& ip, const std::string& veth, Labels labels = {}) {
  return {"c-" + name + "/eth0", ns, name, std::move(labels), {*parse_prefix(ip)}, veth};
}

const char* kPolicy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: x}\n"
                      "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}\n";

TEST(PolicyService, EndpointJsonAsTheAgentServesIt) {
  auto e = parse_endpoint_json(R"({"containerId":"abc","ifname":"eth0","hostVeth":"veth1","ipv4":"10.0.0.2/24","ipv6":"fd00::2",
                                   "podNamespace":"x","podName":"db","labels":{"app":"db","n":1}})");
  ASSERT_TRUE(e) << e.error().what();
  EXPECT_EQ(e->id, "abc/eth0");
  EXPECT_EQ(e->host_veth, "veth1");
  ASSERT_EQ(e->ips.size(), 2u);
  EXPECT_EQ(to_string(e->ips[0]), "10.0.0.2/32");
  EXPECT_EQ(e->labels, (Labels{{"app", "db"}}));  // a non-string label is not a label
  auto nameless = parse_endpoint_json(R"({"containerId":"abc","ifname":"eth0"})");
  ASSERT_TRUE(nameless);
  EXPECT_EQ(nameless->name, "abc");  // podman-made pods without a pod name: the container
  EXPECT_FALSE(parse_endpoint_json("[1]"));
  auto bad = parse_endpoint_json(R"({"containerId":"abc","ifname":"eth0","ipv4":"10.0.0.300"})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("abc/eth0: ipv4"), std::string::npos) << bad.error().message;
}

TEST(PolicyService, PodObjectsAndEndpointsMerge) {
  FakeAgent agent;
  agent.kinds["Namespace"] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {team: a}}\n";
  agent.kinds["Pod"] = "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: x, labels: {app: db}}\n"
                       "spec: {containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]}\n";
  agent.kinds["Node"] = "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.2}, {type: Hostname, address: n2}]}\n"
                        "---\napiVersion: v1\nkind: Node\nmetadata: {name: n3}\n";  // no status: no addresses, no error
  agent.local = {ep("x", "db", "10.0.0.2", "lo", {{"ignored", "yes"}}), ep("", "plain", "10.0.0.3", "lo", {{"app", "web"}})};
  agent.remote = {ep("x", "far", "10.1.0.2", "veth-elsewhere", {{"app", "web"}})};
  auto b = build_view(agent);
  ASSERT_TRUE(b) << b.error().what();
  ASSERT_EQ(b->view.pods.size(), 3u);
  EXPECT_EQ(b->view.pods[0].labels, (Labels{{"app", "db"}}));  // the object's labels, the endpoint's address
  EXPECT_EQ(to_string(b->view.pods[0].ips.at(0)), "10.0.0.2/32");
  EXPECT_EQ(b->view.pods[0].ports.at(0).port, 5432);
  EXPECT_EQ(b->view.pods[1].ns, "default");
  EXPECT_EQ(b->view.pods[1].labels, (Labels{{"app", "web"}}));
  EXPECT_EQ(b->view.pods[2].name, "far");
  EXPECT_EQ(b->local_veths.size(), 2u);
  ASSERT_EQ(b->view.node_ips.size(), 1u);
  EXPECT_EQ(b->view.namespaces.at("x").labels.at("team"), "a");
}

TEST(PolicyService, InstallsThenAttachesAndKeepsSlots) {
  FakeAgent agent;
  agent.kinds["Namespace"] = "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n";
  agent.kinds["NetworkPolicy"] = kPolicy;
  // "lo" exists in every namespace: a stand-in for a pod's host veth.
  agent.local = {ep("x", "db", "10.0.0.2", "lo", {{"app", "db"}})};
  FakeKernel kernel;
  kernel.previous = {{if_nametoindex("lo"), 7}};  // a previous run's slot for that veth
  PolicyService svc(agent, kernel, PolicyConfig{});
  ASSERT_TRUE(svc.resync());
  ASSERT_EQ(kernel.installs.size(), 1u);
  EXPECT_EQ(kernel.links, (std::set<uint32_t>{if_nametoindex("lo")}));
  EXPECT_EQ(kernel.installs[0].endpoints.at(if_nametoindex("lo")).endpoint, 7u);
  EXPECT_EQ(kernel.installs[0].rules.count(7), 1u);
  EXPECT_EQ(svc.policy_count(), 1u);
  auto words = svc.describe("x/db");
  ASSERT_TRUE(words);
  EXPECT_NE(words->find("ingress: isolated by x/db"), std::string::npos) << *words;
  EXPECT_NE(words->find("allows nothing"), std::string::npos) << *words;  // no web pod exists yet
  EXPECT_FALSE(svc.describe("x/none"));
  // The pod goes: its program comes off after its entries are gone.
  agent.local.clear();
  ASSERT_TRUE(svc.resync());
  EXPECT_TRUE(kernel.links.empty());
  EXPECT_TRUE(kernel.installs.back().endpoints.empty());
}

TEST(PolicyService, ABadDocumentOrARefusedInstallChangesNothing) {
  FakeAgent agent;
  agent.kinds["NetworkPolicy"] = kPolicy;
  agent.local = {ep("x", "db", "10.0.0.2", "lo", {{"app", "db"}})};
  FakeKernel kernel;
  PolicyService svc(agent, kernel, PolicyConfig{});
  ASSERT_TRUE(svc.resync());
  agent.kinds["NetworkPolicy"] = std::string(kPolicy) + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                                 "metadata: {name: bad, namespace: x}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}\n";
  auto st = svc.resync();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "NetworkPolicy x/bad: spec.ingress[0].ports[0].protocol: 'ICMP' is not TCP, UDP or SCTP");
  EXPECT_EQ(kernel.installs.size(), 1u);
  EXPECT_EQ(svc.policy_count(), 1u);
  EXPECT_EQ(svc.last_error(), st.error().what());
  agent.kinds["NetworkPolicy"] = "";
  kernel.refuse = true;
  ASSERT_FALSE(svc.resync());
  EXPECT_EQ(svc.policy_count(), 1u);  // still the last good state
  EXPECT_NE(svc.last_error().find("the map is full"), std::string::npos);
  kernel.refuse = false;
  ASSERT_TRUE(svc.resync());
  EXPECT_EQ(svc.policy_count(), 0u);
  EXPECT_TRUE(svc.last_error().empty());
}

}  // namespace

namespace {

// AddEndpoint (the agent, before it answers CNI ADD) on top of the last state read: a pod
// known only from its endpoint takes the endpoint's new labels; one with a Pod object keeps
// the object's.
TEST(PolicyService, AnAddedEndpointRelabelsAPodWithoutAnObject) {
  FakeAgent agent;
  agent.kinds["NetworkPolicy"] = kPolicy;
  agent.local = {ep("x", "db", "10.0.0.2", "lo", {{"app", "db"}})};
  FakeKernel kernel;
  PolicyService svc(agent, kernel, PolicyConfig{});
  ASSERT_TRUE(svc.resync());
  ASSERT_TRUE(svc.endpoints().at(0).isolated_ingress);
  ASSERT_TRUE(svc.add_endpoint(R"({"containerId":"c-db","ifname":"eth0","hostVeth":"lo","ipv4":"10.0.0.2","podNamespace":"x","podName":"db",
                                  "labels":{"app":"cache"}})"));
  EXPECT_FALSE(svc.endpoints().at(0).isolated_ingress) << "app=cache: no policy selects it";
  EXPECT_EQ(kernel.installs.size(), 2u);
  agent.kinds["Pod"] = "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: x, labels: {app: db}}\nstatus: {podIP: 10.0.0.2}\n";
  ASSERT_TRUE(svc.resync());
  ASSERT_TRUE(svc.add_endpoint(R"({"containerId":"c-db","ifname":"eth0","hostVeth":"lo","ipv4":"10.0.0.2","podNamespace":"x","podName":"db",
                                  "labels":{"app":"cache"}})"));
  EXPECT_TRUE(svc.endpoints().at(0).isolated_ingress) << "the Pod object's app=db stands";
}

}  // namespace

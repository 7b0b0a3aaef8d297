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
  PolicyTables current;  // the last install and the pods added since
  size_t pod_adds = 0;
  std::set<uint32_t> links;
  std::map<uint32_t, uint32_t> previous;
  bool refuse = false;
  Status install(const PolicyTables& t) override {
    if (refuse) return make_error(Errc::invalid_argument, "update the ipcache slot 1 (the map is full)");
    installs.push_back(t);
    current = t;
    return {};
  }
  // As BpfPolicyTables::add_pod judges a collision.
  Status add_pod(const PodEntries& pod) override {
    for (const auto& [k, _] : pod.addresses)
      if (current.ipcache.count(k)) return make_error(Errc::already_exists, "address taken");
    if (current.endpoints.count(pod.ifindex) || current.rules.count(pod.endpoint.endpoint)) return make_error(Errc::already_exists, "slot taken");
    for (const auto& [k, v] : pod.addresses) current.ipcache[k] = v;
    current.endpoints[pod.ifindex] = pod.endpoint;
    if (pod.rules) current.rules[pod.endpoint.endpoint] = *pod.rules;
    ++pod_adds;
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
  uint64_t generation() const override { return installs.size() + pod_adds; }
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

namespace {

bool same_tables(const PolicyTables& a, const PolicyTables& b) {
  auto bytes = [](const auto& m) {
    std::string s;
    for (const auto& [k, v] : m) s += std::string(reinterpret_cast<const char*>(&k), sizeof k) + std::string(reinterpret_cast<const char*>(&v), sizeof v);
    return s;
  };
  if (bytes(a.ipcache) != bytes(b.ipcache) || bytes(a.cidrs) != bytes(b.cidrs) || bytes(a.endpoints) != bytes(b.endpoints)) return false;
  if (a.rules.size() != b.rules.size()) return false;
  for (const auto& [slot, keys] : a.rules) {
    if (!b.rules.count(slot) || b.rules.at(slot).size() != keys.size()) return false;
    for (const auto& k : keys)
      if (!b.rules.at(slot).count(k)) return false;
  }
  return true;
}

// A node with db-0 (no veth here: another node's pod, say) under kPolicy: app=db is an
// identity in use, and the service has read the cluster once.
class KnownIdentity : public ::testing::Test {
 protected:
  void SetUp() override {
    agent.kinds["NetworkPolicy"] = kPolicy;
    agent.local = {ep("x", "db-0", "10.0.0.2", "", {{"app", "db"}})};
    ASSERT_TRUE(svc.resync());
    ASSERT_EQ(kernel.installs.size(), 1u);
  }
  FakeAgent agent;
  FakeKernel kernel;
  PolicyService svc{agent, kernel, PolicyConfig{}};
};

// A pod whose identity is in use is written as its own entries (no compile, no whole install),
// and a whole apply of the same cluster afterwards finds exactly those tables.
TEST_F(KnownIdentity, APodOfItIsWrittenAsItsOwnEntries) {
  agent.remote = {ep("x", "web", "10.1.0.2", "", {{"app", "web"}})};
  ASSERT_TRUE(svc.resync());
  ASSERT_TRUE(svc.add_endpoint(R"({"containerId":"c-db-1","ifname":"eth0","hostVeth":"lo","ipv4":"10.0.0.3","podNamespace":"x","podName":"db-1",
                                  "labels":{"app":"db"}})"));
  EXPECT_EQ(kernel.installs.size(), 2u) << "no whole install for db-1";
  EXPECT_EQ(kernel.pod_adds, 1u);
  EXPECT_EQ(kernel.links, (std::set<uint32_t>{if_nametoindex("lo")}));
  ASSERT_EQ(svc.endpoints().size(), 1u);
  EXPECT_TRUE(svc.endpoints().at(0).isolated_ingress);
  auto words = svc.describe("x/db-1");
  ASSERT_TRUE(words);
  EXPECT_NE(words->find("from ns=x app=web"), std::string::npos) << *words;
  const PolicyTables quick = kernel.current;
  agent.local.push_back(ep("x", "db-1", "10.0.0.3", "lo", {{"app", "db"}}));
  ASSERT_TRUE(svc.resync());
  ASSERT_EQ(kernel.installs.size(), 3u);
  EXPECT_TRUE(same_tables(quick, kernel.installs.back())) << "the whole apply computes what was written";
}

// What a pod's own entries cannot say goes through a whole apply: a new identity (db's policy
// map changes), an address someone has.
TEST_F(KnownIdentity, ANewIdentityIsAWholeApply) {
  ASSERT_TRUE(svc.add_endpoint(R"({"containerId":"c-w","ifname":"eth0","hostVeth":"lo","ipv4":"10.0.0.9","podNamespace":"x","podName":"web",
                                  "labels":{"app":"web"}})"));
  EXPECT_EQ(kernel.installs.size(), 2u);
  EXPECT_EQ(kernel.pod_adds, 0u);
}

TEST_F(KnownIdentity, ATakenAddressIsAWholeApply) {
  ASSERT_TRUE(svc.add_endpoint(R"({"containerId":"c-d","ifname":"eth0","hostVeth":"lo","ipv4":"10.0.0.2","podNamespace":"x","podName":"db-1",
                                  "labels":{"app":"db"}})"));
  EXPECT_EQ(kernel.pod_adds, 0u) << "10.0.0.2 is db-0's";
  EXPECT_EQ(kernel.installs.size(), 2u);
}

}  // namespace

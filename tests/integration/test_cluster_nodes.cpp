// Cluster mode across nodes: three nodes as network namespaces on one underlay bridge, each
// node's agent running in its node's namespace and reaching a 3-member etcd over the underlay
// (the members listen in a fabric namespace that holds the bridge). Pods are made on each node
// by the reference bridge plugin chained with netaccel, as a runtime runs them. From a pod on
// every node, every address the node's agent lists for other nodes' pods is pinged: the
// cluster view names real, reachable pods. An etcd member and an agent are killed while pods
// come and go; the restarted agent and the others agree on the pods that exist, and other
// services hear of each remote change by a signal.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "etcd_cluster.h"
#include "service_fixture.h"
#include "signal_watcher.h"

using namespace netaccel::test;
using nlohmann::json;

namespace {

constexpr int kNodes = 3;
// The underlay 10.79.0.0/24: node i is .(i+1), etcd .254; node i's pods are 10.80.i.0/24.
std::string node_ip(int i) { return "10.79.0." + std::to_string(i + 1); }
const std::string kEtcdHost = "10.79.0.254";
std::string node_name(int i) { return "node-" + std::to_string(i); }

class ClusterNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    if (access("/usr/bin/etcd", X_OK) != 0) GTEST_SKIP() << "etcd-server not installed";
    cleanup_stale_namespaces("nacn");
    p_ = unique_prefix("nacn");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_);
    fabric_ = add_netns("fab");
    sh_ok("ip -n " + fabric_ + " link set lo up && ip -n " + fabric_ + " link add ub type bridge && ip -n " + fabric_ + " addr add " +
          kEtcdHost + "/24 dev ub && ip -n " + fabric_ + " link set ub up");
    for (int i = 0; i < kNodes; ++i) make_node(i);
    etcd_ = std::make_unique<EtcdCluster>(dir_, 3, 26000 + (getpid() % 400) * 10, EtcdPlacement{"/run/netns/" + fabric_, kEtcdHost});
    ASSERT_TRUE(etcd_->healthy()) << etcd_->log(0);
    for (int i = 0; i < kNodes; ++i) {
      std::string urls;
      for (const auto& u : etcd_->client_urls()) urls += (urls.empty() ? "" : ",") + u;
      std::ofstream(node_dir(i) + "/agent.conf") << "[agent]\nstate_dir = " << node_dir(i) << "/state\nwire_fastpath = no\ngc_interval_s = 1\n"
                                                 << "etcd_endpoints = " << urls << "\netcd_prefix = /netaccel-" << p_
                                                 << "\nnode_name = " << node_name(i) << "\nendpoint_lease_s = 3\n";
      agents_.push_back(std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", node_dir(i)));
      ASSERT_TRUE(agents_.back()->bus_ok());
      ASSERT_TRUE(start_agent(i));
    }
  }
  void TearDown() override {
    agents_.clear();
    etcd_.reset();
    for (auto it = netns_.rbegin(); it != netns_.rend(); ++it) sh("ip netns del " + *it + " 2>/dev/null");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }

  std::string add_netns(const std::string& suffix) {
    const std::string name = p_ + "-" + suffix;
    sh_ok("ip netns add " + name);
    netns_.push_back(name);
    return name;
  }
  std::string node_dir(int i) const { return dir_ + "/" + node_name(i); }
  std::string node_ns(int i) const { return p_ + "-n" + std::to_string(i); }
  // The node: an uplink on the underlay, forwarding on, routes to the other nodes' pods
  // (what the node network gives a real cluster; not the agent's business).
  void make_node(int i) {
    const std::string n = add_netns("n" + std::to_string(i));
    sh_ok("mkdir -p " + node_dir(i));
    sh_ok("ip -n " + fabric_ + " link add u" + std::to_string(i) + " type veth peer name eth0 netns " + n + " && ip -n " + fabric_ +
          " link set u" + std::to_string(i) + " master ub up && ip -n " + n + " addr add " + node_ip(i) + "/24 dev eth0 && ip -n " + n +
          " link set eth0 up && ip -n " + n + " link set lo up && ip netns exec " + n + " sysctl -qw net.ipv4.ip_forward=1");
    for (int j = 0; j < kNodes; ++j)
      if (j != i) sh_ok("ip -n " + n + " route add 10.80." + std::to_string(j) + ".0/24 via " + node_ip(j));
  }
  bool start_agent(int i) { return agents_[static_cast<size_t>(i)]->start(node_dir(i) + "/agent.conf", "/run/netns/" + node_ns(i)); }
  ServiceUnderTest& agent(int i) { return *agents_[static_cast<size_t>(i)]; }

  // One plugin as a runtime runs it, in the node's namespace.
  CmdResult plugin(int node, const std::string& type, const std::string& command, const json& conf, const std::string& pod) {
    std::ofstream(dir_ + "/stdin.json") << conf.dump();
    const std::string env = "CNI_COMMAND=" + command + " CNI_CONTAINERID=" + pod + " CNI_NETNS=/run/netns/" + p_ + "-" + pod +
                            " CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni 'CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=" + pod + "'";
    const std::string bin = type == "netaccel" ? binary_dir() + "/services/cni/netaccel" : "/usr/lib/cni/" + type;
    return sh("ip netns exec " + node_ns(node) + " env " + env + " " + bin + " < " + dir_ + "/stdin.json");
  }
  json bridge_conf(int node) const {
    return {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "bridge"}, {"bridge", "br0"}, {"isGateway", true}, {"ipMasq", false},
            {"ipam",
             {{"type", "host-local"},
              {"ranges", json::array({json::array({{{"subnet", "10.80." + std::to_string(node) + ".0/24"}}})})},
              {"routes", json::array({{{"dst", "0.0.0.0/0"}}})},
              {"dataDir", node_dir(node) + "/ipam"}}}};
  }
  json netaccel_conf(int node, const json& prev) {
    return {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"type", "netaccel"}, {"busAddress", agent(node).bus_address()}, {"prevResult", prev}};
  }
  // ADD as a runtime does it: bridge (with host-local), then netaccel with bridge's result.
  void add_pod(int node, const std::string& pod) {
    add_netns(pod);
    auto b = plugin(node, "bridge", "ADD", bridge_conf(node), pod);
    ASSERT_EQ(b.status, 0) << b.out;
    const json prev = json::parse(b.out);
    auto n = plugin(node, "netaccel", "ADD", netaccel_conf(node, prev), pod);
    ASSERT_EQ(n.status, 0) << n.out;
    prev_[pod] = prev;
    truth_[{node_name(node), pod + "/eth0"}] = prev["ips"][0]["address"].get<std::string>().substr(0, prev["ips"][0]["address"].get<std::string>().find('/'));
    pod_node_[pod] = node;
  }
  // DEL in reverse order, then the runtime removes the namespace.
  void del_pod(const std::string& pod) {
    const int node = pod_node_.at(pod);
    ASSERT_EQ(plugin(node, "netaccel", "DEL", netaccel_conf(node, prev_[pod]), pod).status, 0);
    ASSERT_EQ(plugin(node, "bridge", "DEL", bridge_conf(node), pod).status, 0);
    sh_ok("ip netns del " + p_ + "-" + pod);
    netns_.erase(std::find(netns_.begin(), netns_.end(), p_ + "-" + pod));
    truth_.erase({node_name(node), pod + "/eth0"});
  }
  // (node, id) -> IPv4 of every pod the agent lists, as etcd has them.
  std::map<std::pair<std::string, std::string>, std::string> view(int i) {
    std::map<std::pair<std::string, std::string>, std::string> out;
    const json data = agent(i).call(kAgentDest, "ListClusterEndpoints");
    for (const auto& e : data[0]) out[{e[0], e[1]}] = json::parse(e[2].get<std::string>(), nullptr, false).value("ipv4", "");
    return out;
  }
  bool converged(const std::set<int>& nodes) {
    for (int i : nodes)
      if (view(i) != truth_) return false;
    return true;
  }
  std::string views() {
    std::string s;
    for (int i = 0; i < kNodes; ++i) {
      s += node_name(i) + " sees:";
      for (const auto& [k, ip] : view(i)) s += " " + k.first + "/" + k.second + "=" + ip;
      s += "\n" + agent(i).log().substr(agent(i).log().size() > 1500 ? agent(i).log().size() - 1500 : 0) + "\n";
    }
    return s;
  }
  // From `pod`, every other node's pod that `pod`'s agent lists answers a ping (5 s each: a
  // reply that is slow is still a reply; none is a drop).
  void reaches_what_its_agent_lists(const std::string& pod) {
    const int node = pod_node_.at(pod);
    int remote = 0;
    for (const auto& [k, ip] : view(node)) {
      if (k.first == node_name(node)) continue;
      ++remote;
      auto r = sh("ip netns exec " + p_ + "-" + pod + " ping -n -q -c 1 -W 5 " + ip);
      EXPECT_EQ(r.status, 0) << pod << " on " << node_name(node) << " -> " << k.second << " on " << k.first << " (" << ip << "):\n" << r.out;
    }
    EXPECT_GT(remote, 0);
  }

  std::string p_, dir_, fabric_;
  std::unique_ptr<EtcdCluster> etcd_;
  std::vector<std::unique_ptr<ServiceUnderTest>> agents_;
  std::vector<std::string> netns_;
  std::map<std::string, json> prev_;
  std::map<std::string, int> pod_node_;
  std::map<std::pair<std::string, std::string>, std::string> truth_;
};

TEST_F(ClusterNodes, EveryPodReachesTheRemotePodsItsAgentListsAndKillsLoseNothing) {
  for (int i = 0; i < kNodes; ++i)
    for (int k = 0; k < 2; ++k) ASSERT_NO_FATAL_FAILURE(add_pod(i, "n" + std::to_string(i) + "p" + std::to_string(k)));
  ASSERT_TRUE(wait_until([&] { return converged({0, 1, 2}); }, 20000)) << views();
  for (int i = 0; i < kNodes; ++i) reaches_what_its_agent_lists("n" + std::to_string(i) + "p0");

  SignalWatcher on_node2(agent(2).bus_address());
  ASSERT_TRUE(on_node2.ok());
  // A member (maybe the leader) and node 1's agent die; pods come and go on the other nodes.
  etcd_->kill(0);
  agent(1).kill_hard();
  ASSERT_NO_FATAL_FAILURE(add_pod(0, "n0p2"));
  ASSERT_NO_FATAL_FAILURE(del_pod("n2p1"));
  EXPECT_TRUE(on_node2.wait_for("ClusterEndpointChanged added node-0 n0p2/eth0", 20000)) << views();
  EXPECT_TRUE(on_node2.wait_for("ClusterEndpointChanged removed node-2 n2p1/eth0", 20000)) << views();
  // Node 1's lease runs out without its agent: its pods leave the others' view...
  EXPECT_TRUE(on_node2.wait_for("ClusterEndpointChanged removed node-1 n1p0/eth0", 20000)) << views();
  // ...while its pods still work (the data path is the kernel's, not the agent's).
  auto r = sh("ip netns exec " + p_ + "-n0p0 ping -n -q -c 1 -W 5 " + truth_.at({"node-1", "n1p0/eth0"}));
  EXPECT_EQ(r.status, 0) << r.out;

  ASSERT_TRUE(start_agent(1));
  ASSERT_TRUE(etcd_->restart(0));
  EXPECT_TRUE(on_node2.wait_for("ClusterEndpointChanged added node-1 n1p0/eth0", 20000)) << views();
  ASSERT_TRUE(wait_until([&] { return converged({0, 1, 2}); }, 20000)) << views();
  // The agent that was down knows the pod made meanwhile, and it answers.
  reaches_what_its_agent_lists("n1p1");
}

}  // namespace

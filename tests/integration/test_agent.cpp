// netaccel-agent as an administrator and the CNI plugin use it: netaccelctl apply/get/delete
// and busctl through a dbus-daemon enforcing the shipped policy, the state kept across a
// restart, signals for every change, endpoints of gone network namespaces dropped.
#include <gtest/gtest.h>
#include <systemd/sd-bus.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "service_fixture.h"
#include "signal_watcher.h"

using namespace netaccel::test;

namespace {

const std::string kDest = "org.openeuler.NetAccel1.Agent /org/openeuler/NetAccel1/Agent org.openeuler.NetAccel1.Agent";

const char* kNamespace = R"(apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: web}}
)";

const char* kWorkloads = R"(apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec:
  nodeName: node-b
  containers: [{name: nginx, ports: [{name: http, containerPort: 80}]}]
status: {podIP: 10.244.1.5}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}], ports: [{port: http}]}]
)";

class Agent : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("naag");
    p_ = unique_prefix("naag");
    dir_ = "/tmp/netaccel-test-" + p_;
    sh_ok("mkdir -p " + dir_ + "/objs");
    std::ofstream(dir_ + "/agent.conf") << "[agent]\nstate_dir = " << dir_ << "/state\ngc_interval_s = 1\n";
    std::ofstream(dir_ + "/objs/1-namespace.yaml") << kNamespace;
    std::ofstream(dir_ + "/objs/2-workloads.yaml") << kWorkloads;
    svc_ = std::make_unique<ServiceUnderTest>("agent", "org.openeuler.NetAccel1.Agent", dir_);
    ASSERT_TRUE(svc_->bus_ok());
    ASSERT_TRUE(svc_->start(dir_ + "/agent.conf"));
  }
  void TearDown() override {
    svc_.reset();
    for (const auto& ns : netns_) sh("ip netns del " + ns + " 2>/dev/null");
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  CmdResult ctl(const std::string& args, const std::string& user = "") {
    std::string pre = user.empty() ? "" : "runuser -u " + user + " -- ";
    return sh(pre + "env DBUS_SYSTEM_BUS_ADDRESS=" + svc_->bus_address() + " " + binary_dir() + "/services/ctl/netaccelctl " + args);
  }
  std::string count(const char* prop) { return svc_->busctl("get-property " + kDest + " " + prop).out; }
  std::string netns(const std::string& suffix) {
    std::string name = p_ + "-" + suffix;
    sh_ok("ip netns add " + name);
    netns_.push_back(name);
    return "/run/netns/" + name;
  }
  std::string endpoint_json(const std::string& id, const std::string& ns_path, const std::string& ip) {
    return nlohmann::json{{"containerId", id}, {"ifname", "eth0"}, {"netns", ns_path}, {"hostVeth", "veth" + id},
                          {"ipv4", ip}, {"podNamespace", "shop"}, {"podName", "pod-" + id}, {"labels", {{"app", "web"}}}}
        .dump();
  }
  CmdResult register_endpoint(const std::string& json) {
    // busctl's own quoting: the JSON is one argument.
    std::ofstream(dir_ + "/ep.json") << json;
    return sh("busctl --address=" + svc_->bus_address() + " call " + kDest + " RegisterEndpoint s \"$(cat " + dir_ + "/ep.json)\"");
  }

  std::string p_, dir_;
  std::vector<std::string> netns_;
  std::unique_ptr<ServiceUnderTest> svc_;
};

TEST_F(Agent, ApplyGetDeleteLikeKubectl) {
  SignalWatcher signals(svc_->bus_address());
  ASSERT_TRUE(signals.ok());
  auto applied = ctl("apply -f " + dir_ + "/objs");
  ASSERT_EQ(applied.status, 0) << applied.out;
  for (const char* line : {"namespace/shop created", "pod/web-1 created", "service/web created", "networkpolicy/web-ingress created"})
    EXPECT_NE(applied.out.find(line), std::string::npos) << line << "\n" << applied.out;
  EXPECT_TRUE(signals.wait_for("ObjectChanged created Pod shop web-1"));
  EXPECT_TRUE(signals.wait_for("ObjectChanged created NetworkPolicy shop web-ingress"));

  auto pods = ctl("get pods -n shop");
  EXPECT_NE(pods.out.find("web-1"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("10.244.1.5"), std::string::npos) << pods.out;
  auto svc = ctl("get svc web -n shop -o json");
  ASSERT_EQ(svc.status, 0) << svc.out;
  auto j = nlohmann::json::parse(svc.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << svc.out;
  EXPECT_EQ(j["spec"]["ports"][0]["port"], 80);  // a number, as kubectl prints it
  EXPECT_EQ(j["spec"]["ports"][0]["targetPort"], "http");
  EXPECT_NE(ctl("get netpol -A -o yaml").out.find("name: web-ingress"), std::string::npos);
  EXPECT_NE(ctl("get ns").out.find("team=web"), std::string::npos);

  auto again = ctl("apply -f " + dir_ + "/objs/2-workloads.yaml");
  EXPECT_NE(again.out.find("pod/web-1 unchanged"), std::string::npos) << again.out;
  auto deleted = ctl("delete -f " + dir_ + "/objs/2-workloads.yaml");
  ASSERT_EQ(deleted.status, 0) << deleted.out;
  EXPECT_NE(deleted.out.find("service/web deleted"), std::string::npos) << deleted.out;
  EXPECT_TRUE(signals.wait_for("ObjectChanged deleted Service shop web"));
  EXPECT_NE(ctl("get pods -n shop").out.find("No resources found in shop namespace"), std::string::npos);
  auto missing = ctl("delete pod web-1 -n shop");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("(org.openeuler.NetAccel1.Error.NotFound)"), std::string::npos) << missing.out;
}

TEST_F(Agent, ABadFileChangesNothingAndNamesTheField) {
  ASSERT_EQ(ctl("apply -f " + dir_ + "/objs/1-namespace.yaml").status, 0);
  const std::string before = count("ObjectCount");
  std::ofstream(dir_ + "/objs/3-bad.yaml") << "apiVersion: v1\nkind: Service\nmetadata: {name: broken, namespace: shop}\n"
                                              "spec: {ports: [{port: 70000}]}\n";
  auto r = ctl("apply -f " + dir_ + "/objs");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("3-bad.yaml: document 1 (Service shop/broken): spec.ports[0].port: 70000 is not in 1-65535"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("(org.openeuler.NetAccel1.Error.InvalidArgument)"), std::string::npos) << r.out;
  // Nothing of the good files in the same change was applied.
  EXPECT_EQ(count("ObjectCount"), before);
  EXPECT_NE(ctl("get pods -n shop").out.find("No resources found"), std::string::npos);
  std::ofstream(dir_ + "/syntax.yaml") << "kind: [Pod\n";
  auto syntax = ctl("apply -f " + dir_ + "/syntax.yaml");
  EXPECT_NE(syntax.out.find("syntax.yaml:2:1:"), std::string::npos) << syntax.out;
  EXPECT_NE(svc_->busctl("call " + kDest + " Apply s x").status, 0);  // wrong signature
  EXPECT_NE(register_endpoint("{\"containerId\": \"c1\"}").out.find("ifname: required"), std::string::npos);
  EXPECT_EQ(count("ObjectCount"), before);
  EXPECT_NE(count("EndpointCount").find("u 0"), std::string::npos);
}

TEST_F(Agent, UnprivilegedCallersReadButCannotChange) {
  ASSERT_EQ(ctl("apply -f " + dir_ + "/objs").status, 0);
  auto read = ctl("get pods -A", "nobody");
  EXPECT_EQ(read.status, 0) << read.out;
  EXPECT_NE(read.out.find("web-1"), std::string::npos) << read.out;
  EXPECT_EQ(ctl("get endpoints", "nobody").status, 0);
  auto apply = ctl("apply -f " + dir_ + "/objs/1-namespace.yaml", "nobody");
  EXPECT_NE(apply.status, 0);
  EXPECT_NE(apply.out.find("AccessDenied"), std::string::npos) << apply.out;
  auto del = ctl("delete pod web-1 -n shop", "nobody");
  EXPECT_NE(del.status, 0);
  auto reg = svc_->busctl("call " + kDest + " UnregisterEndpoint ss c1 eth0", "nobody");
  EXPECT_NE(reg.status, 0);
  EXPECT_NE(ctl("get pods -n shop").out.find("web-1"), std::string::npos);
}

TEST_F(Agent, RestartKeepsStateAndDropsEndpointsOfGoneNetns) {
  SignalWatcher signals(svc_->bus_address());
  ASSERT_TRUE(signals.ok());
  ASSERT_EQ(ctl("apply -f " + dir_ + "/objs").status, 0);
  const std::string a = netns("a"), b = netns("b");
  auto r = register_endpoint(endpoint_json("c1", a, "10.244.0.11"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"added\""), std::string::npos) << r.out;
  ASSERT_EQ(register_endpoint(endpoint_json("c2", b, "10.244.0.12")).status, 0);
  EXPECT_NE(register_endpoint(endpoint_json("c2", b, "10.244.0.12")).out.find("\"unchanged\""), std::string::npos);
  EXPECT_TRUE(signals.wait_for("EndpointAdded c2/eth0"));
  auto eps = ctl("get endpoints");
  EXPECT_NE(eps.out.find("shop/pod-c1"), std::string::npos) << eps.out;
  EXPECT_NE(eps.out.find("10.244.0.12"), std::string::npos) << eps.out;

  // SIGKILL: what survives is what was written before each reply.
  svc_->kill_hard();
  svc_->stop();
  ASSERT_TRUE(svc_->start(dir_ + "/agent.conf"));
  EXPECT_NE(ctl("get pods -n shop").out.find("web-1"), std::string::npos);
  EXPECT_NE(count("EndpointCount").find("u 2"), std::string::npos);

  // The pod of c2 went away without CNI DEL: its netns is gone, the agent drops it.
  SignalWatcher after(svc_->bus_address());
  ASSERT_TRUE(after.ok());
  sh_ok("ip netns del " + p_ + "-b");
  EXPECT_TRUE(after.wait_for("EndpointRemoved c2/eth0", 15000)) << svc_->log();
  auto left = ctl("get endpoints -o json");
  auto j = nlohmann::json::parse(left.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << left.out;
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["containerId"], "c1");
  EXPECT_EQ(j[0]["labels"]["app"], "web");
  // CNI DEL twice: the second is not an error.
  EXPECT_NE(svc_->busctl("call " + kDest + " UnregisterEndpoint ss c1 eth0").out.find("b true"), std::string::npos);
  EXPECT_NE(svc_->busctl("call " + kDest + " UnregisterEndpoint ss c1 eth0").out.find("b false"), std::string::npos);
}

}  // namespace

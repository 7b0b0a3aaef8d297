// netaccel-policy on a bridged node (policy_lab.h): pods x/a, x/b, y/a, policies applied
// through `netaccelctl apply`, every probe a real connection judged by an event. The matrix
// after each change must be the oracle's; the daemon's death and restart change nothing; the
// bus and netaccelctl speak in words and keep unprivileged callers to reading.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>

#include "policy_lab.h"

using namespace netaccel::test;

namespace {

const std::string kPolicyDest = "org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy";

class Policy : public ::testing::Test {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("napo");
    p_ = unique_prefix("napo");
    dir_ = "/tmp/netaccel-test-" + p_;
    lab_ = std::make_unique<PolicyLab>(p_, dir_,
                                       std::vector<LabPod>{{"x", "a", "10.96.0.11", {{"pod", "a"}, {"app", "web"}}, {}},
                                                           {"x", "b", "10.96.0.12", {{"pod", "b"}, {"app", "db"}}, {}},
                                                           {"y", "a", "10.96.0.21", {{"pod", "a"}, {"app", "web"}}, {}}},
                                       PolicyLabOptions{});
    ASSERT_TRUE(lab_->ok());
    cluster_ = lab_->oracle_base();
  }
  void TearDown() override {
    lab_.reset();
    if (!dir_.empty()) sh("rm -rf " + dir_);
  }
  void set_policies(const std::vector<std::string>& docs) {
    cluster_.policies.clear();
    std::string all;
    for (const auto& d : docs) {
      cluster_.policies.push_back(YAML::Load(d));
      all += "---\n" + d;
    }
    ASSERT_TRUE(lab_->apply(all));
  }
  void expect_matrix(const std::string& what) {
    for (const auto& d : lab_->matrix_differences(cluster_)) ADD_FAILURE() << what << ": " << d;
  }

  std::string p_, dir_;
  std::unique_ptr<PolicyLab> lab_;
  OracleCluster cluster_;
};

const char* kDenyX = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: x}\nspec: {podSelector: {}}\n";
const char* kWebFromY =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-from-y, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}], ports: [{port: 80}]}]}\n";
const char* kDbEgress81 =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-out, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Egress], egress: [{ports: [{protocol: TCP, port: 81}]}]}\n";

TEST_F(Policy, RealTrafficFollowsThePoliciesAsTheyChange) {
  expect_matrix("no policy");
  set_policies({kDenyX});
  expect_matrix("deny all into x");
  set_policies({kDenyX, kWebFromY});
  expect_matrix("x/web from namespace y on TCP 80");
  set_policies({kDenyX, kWebFromY, kDbEgress81});
  expect_matrix("and x/db may only send to TCP 81");
  ASSERT_TRUE(lab_->apply(std::string("---\n") + kDenyX + "---\n" + kWebFromY + "---\n" + kDbEgress81, true));
  cluster_.policies.clear();
  expect_matrix("policies deleted");
}

TEST_F(Policy, EnforcementSurvivesTheDaemonsDeathAndRestart) {
  set_policies({kDenyX, kWebFromY});
  expect_matrix("before");
  lab_->kill_policy();
  // Pinned maps and links keep enforcing with no daemon at all (drops are read from the
  // pinned counters, so every verdict is still an event).
  expect_matrix("with no daemon");
  ASSERT_TRUE(lab_->start_policy());
  ASSERT_TRUE(wait_until([&] { return lab_->endpoint_count() == lab_->pods().size(); }, 10000)) << lab_->policy().log();
  expect_matrix("after a SIGKILL and restart");
}

TEST_F(Policy, UnprivilegedCallersReadButCannotResync) {
  set_policies({kWebFromY});
  auto text = lab_->policy().call(kPolicyDest, "GetEndpointPolicy s x/a");
  ASSERT_TRUE(text[0].is_string());
  const std::string words = text[0];
  EXPECT_NE(words.find("ingress: isolated by x/web-from-y"), std::string::npos) << words;
  EXPECT_NE(words.find("TCP 80"), std::string::npos) << words;
  EXPECT_NE(words.find("egress: unrestricted"), std::string::npos) << words;
  auto r = lab_->policy().busctl("call " + kPolicyDest + " ListIdentities", "nobody");
  EXPECT_EQ(r.status, 0) << r.out;
  r = lab_->policy().busctl("call " + kPolicyDest + " Resync", "nobody");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("Access denied"), std::string::npos) << r.out;
  r = lab_->policy().busctl("call " + kPolicyDest + " GetEndpointPolicy s x/nope");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("x/nope"), std::string::npos) << r.out;
}

TEST_F(Policy, NetaccelctlShowsStatusPoliciesAndDropsInWords) {
  set_policies({kDenyX});
  Process monitor;
  ASSERT_TRUE(monitor.start({binary_dir() + "/services/ctl/netaccelctl", "policy", "monitor", "-c", "1"},
                            {"DBUS_SYSTEM_BUS_ADDRESS=" + lab_->policy().bus_address()}, "", dir_ + "/monitor.log"));
  auto log = [&] {
    std::ifstream f(dir_ + "/monitor.log");
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  ASSERT_TRUE(wait_until([&] { return log().find("listening") != std::string::npos; }, 10000)) << log();
  ASSERT_EQ(lab_->probe(2, "10.96.0.11", "TCP", 80), Outcome::dropped);
  ASSERT_TRUE(wait_until([&] { return !monitor.running(); }, 10000)) << "the monitor saw no drop:\n" << log();
  const std::string line = log();
  EXPECT_NE(line.find("x/a ingress: 10.96.0.21 -> 10.96.0.11 TCP/80 from ns=y app=web pod=a, isolated by x/deny-all"), std::string::npos) << line;
  auto status = lab_->agent().ctl("status");
  EXPECT_NE(status.out.find("netaccel-policy    running"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("network policy: 1 policy on 3 pods"), std::string::npos) << status.out;
  auto eps = lab_->agent().ctl("policy endpoints");
  EXPECT_EQ(eps.status, 0) << eps.out;
  EXPECT_NE(eps.out.find("isolated open"), std::string::npos) << eps.out;
  auto get = lab_->agent().ctl("policy get x/b");
  EXPECT_NE(get.out.find("ingress: isolated by x/deny-all\n  allows nothing"), std::string::npos) << get.out;
  auto stats = lab_->agent().ctl("policy stats");
  EXPECT_NE(stats.out.find("x/a"), std::string::npos) << stats.out;
  auto missing = lab_->agent().ctl("policy get x/none");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find("x/none"), std::string::npos) << missing.out;
}

}  // namespace

namespace {

// The agent tells netaccel-policy about a pod before it answers the CNI plugin: the pod's
// policy is in force by the time its runtime starts it. The daemon here compiles signalled
// changes only after 1 s, so only that call can have installed the pod at once.
TEST(PolicyAdd, APodIsEnforcedWhenItsCniAddReturns) {
  NETACCEL_REQUIRE_ROOT();
  cleanup_stale_namespaces("napa");
  const std::string p = unique_prefix("napa"), dir = "/tmp/netaccel-test-" + p;
  {
    PolicyLabOptions o;
    o.settle_ms = 1000;
    PolicyLab lab(p, dir, {{"x", "a", "10.96.0.11", {{"pod", "a"}}, {}}, {"x", "b", "10.96.0.12", {{"pod", "b"}}, {}}}, o);
    ASSERT_TRUE(lab.ok());
    ASSERT_TRUE(lab.apply("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {matchLabels: {pod: b}}}\n"));
    ASSERT_TRUE(lab.unregister_pod(1));
    ASSERT_TRUE(wait_until([&] { return lab.endpoint_count() == 1; }, 10000));
    const uint64_t before = lab.generation();
    ASSERT_TRUE(lab.register_pod(1, false));
    EXPECT_GT(lab.generation(), before) << "installed before RegisterEndpoint returned\n" << lab.policy().log();
    EXPECT_EQ(lab.probe(0, "10.96.0.12", "TCP", 80), Outcome::dropped);
    EXPECT_EQ(lab.probe(1, "10.96.0.11", "TCP", 80), Outcome::answered);
  }
  sh("rm -rf " + dir);
}

// A policy map at its limit: the change is refused whole, the bus says why, and the pods keep
// the policy they had.
TEST(PolicyLimits, AFullPolicyMapKeepsTheOldPolicy) {
  NETACCEL_REQUIRE_ROOT();
  cleanup_stale_namespaces("napl");
  const std::string p = unique_prefix("napl"), dir = "/tmp/netaccel-test-" + p;
  {
    PolicyLabOptions o;
    o.policy_map_entries = 4;
    PolicyLab lab(p, dir, {{"x", "a", "10.96.0.11", {{"pod", "a"}}, {}}, {"x", "b", "10.96.0.12", {{"pod", "b"}}, {}}}, o);
    ASSERT_TRUE(lab.ok());
    const std::string small = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
                              "spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {}}], ports: [{port: 80}]}]}\n";
    ASSERT_TRUE(lab.apply(small));
    ASSERT_EQ(lab.probe(1, "10.96.0.11", "TCP", 80), Outcome::answered);
    ASSERT_EQ(lab.probe(1, "10.96.0.11", "TCP", 81), Outcome::dropped);
    // Ports 1000-2000 and 81: more keys than the map holds.
    const std::string big = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
                            "spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{from: [{podSelector: {}}], ports: [{port: 81}, {port: 1000, endPort: 2000}]}]}\n";
    std::ofstream(dir + "/big.yaml") << big;
    auto r = lab.agent().ctl("apply -f " + dir + "/big.yaml");
    ASSERT_EQ(r.status, 0) << r.out;  // the agent stores it: the document is valid
    auto last_error = [&] {
      return lab.policy().busctl("get-property org.openeuler.NetAccel1.Policy /org/openeuler/NetAccel1/Policy org.openeuler.NetAccel1.Policy LastError").out;
    };
    ASSERT_TRUE(wait_until([&] { return last_error().find("policy-map keys") != std::string::npos; }, 10000)) << last_error();
    EXPECT_NE(last_error().find("pod x/a needs"), std::string::npos) << last_error();
    EXPECT_NE(lab.policy().log().find("the previous policy stays in force"), std::string::npos) << lab.policy().log();
    EXPECT_EQ(lab.probe(1, "10.96.0.11", "TCP", 80), Outcome::answered) << "the old policy";
    EXPECT_EQ(lab.probe(1, "10.96.0.11", "TCP", 81), Outcome::dropped) << "the old policy";
  }
  sh("rm -rf " + dir);
}

}  // namespace

namespace {

// netaccel-fwd's XDP hook redirects frames past every TC hook. On veths netaccel-policy
// enforces (the TC guard it sets), fwd's XDP path leaves frames to the kernel, so the policy
// still decides every connection, and fwd counts them as pass_guarded. Without the guard the
// denied probes here would be answered.
TEST(PolicyWithXdpFwd, EnforcedVethsAreLeftToTc) {
  NETACCEL_REQUIRE_ROOT();
  cleanup_stale_namespaces("napx");
  const std::string p = unique_prefix("napx"), dir = "/tmp/netaccel-test-" + p;
  PolicyLabOptions o;
  o.fwd_hook = "xdp";
  {
    PolicyLab lab(p, dir, {{"x", "a", "10.96.0.11", {{"app", "web"}}, {}}, {"x", "b", "10.96.0.12", {{"app", "db"}}, {}}}, o);
    ASSERT_TRUE(lab.ok());
    OracleCluster cluster = lab.oracle_base();
    for (const auto& d : lab.matrix_differences(cluster)) ADD_FAILURE() << "no policy: " << d;
    ASSERT_TRUE(lab.apply(kDenyX));
    cluster.policies.push_back(YAML::Load(kDenyX));
    for (const auto& d : lab.matrix_differences(cluster)) ADD_FAILURE() << "deny all into x, fwd on XDP: " << d;
    ASSERT_NE(lab.fwd(), nullptr);
    auto stats = lab.fwd()->call("org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd org.openeuler.NetAccel1.Fwd",
                                 "GetStats s " + lab.host_veth_of(0));
    ASSERT_TRUE(stats[0].is_object()) << stats.dump();
    EXPECT_GT(stats[0].value("pass_guarded", 0), 0) << "fwd's XDP path never met the guard: " << stats.dump();
  }
  sh("rm -rf " + dir);
}

}  // namespace

namespace {

const char* kDbEchoFromWeb =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-echo, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 90}]}]}\n"
    // web takes no connection at all: db's echoes reach it only as replies of the connection
    // web opened (each request, allowed by db's policy, renews what the table knows).
    "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web-closed, namespace: x}\n"
    "spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}\n";

// One line over `s` and its echo back. A verdict, never a race: the echo arrives, or the
// connection fails (reset, closed), or 10 s pass ("slow", also a failure, named as such).
std::string echo_once(int s, const std::string& line) {
  if (send(s, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) return "send failed: " + std::string(strerror(errno));
  std::string got;
  for (int waited = 0; got.size() < line.size() && waited < 10000;) {
    pollfd pfd{s, POLLIN, 0};
    int r = poll(&pfd, 1, 100);
    if (r == 0) {
      waited += 100;
      continue;
    }
    char buf[256];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n <= 0) return n == 0 ? "closed by the peer" : "recv: " + std::string(strerror(errno));
    got.append(buf, static_cast<size_t>(n));
  }
  if (got.size() < line.size()) return "slow: no echo within 10 s";
  return got == line ? "" : "echoed '" + got + "'";
}

// An allowed connection that lives through netaccel-policy's SIGKILL, the time with no daemon
// and the restart (which adopts the pins and rewrites both state slots): every line echoed,
// no reset, nothing counted as denied; a new connection to a port the policy does not allow
// is still dropped afterwards.
TEST(PolicyRestart, AnAllowedConnectionLivesThroughTheDaemonsDeath) {
  NETACCEL_REQUIRE_ROOT();
  cleanup_stale_namespaces("napr");
  const std::string p = unique_prefix("napr"), dir = "/tmp/netaccel-test-" + p;
  PolicyLabOptions o;
  o.echo_port = 90;
  {
    PolicyLab lab(p, dir, {{"x", "web", "10.96.0.11", {{"app", "web"}}, {}}, {"x", "db", "10.96.0.12", {{"app", "db"}}, {}}}, o);
    ASSERT_TRUE(lab.ok());
    ASSERT_TRUE(lab.apply(kDbEchoFromWeb));
    int s = lab.pod_socket(0, SOCK_STREAM);
    ASSERT_GE(s, 0);
    sockaddr_in db{};
    db.sin_family = AF_INET;
    db.sin_port = htons(90);
    inet_pton(AF_INET, "10.96.0.12", &db.sin_addr);
    connect(s, reinterpret_cast<sockaddr*>(&db), sizeof db);
    pollfd pfd{s, POLLOUT, 0};
    ASSERT_EQ(poll(&pfd, 1, 10000), 1) << "connect did not finish";
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
    ASSERT_EQ(err, 0) << strerror(err);
    const uint64_t denied = lab.kernel_denied();
    int sent = 0;
    auto talk = [&](const std::string& phase, int lines) {
      for (int i = 0; i < lines; ++i, ++sent) {
        const std::string r = echo_once(s, "line " + std::to_string(sent) + "\n");
        if (!r.empty()) {
          ADD_FAILURE() << phase << ", line " << sent << ": " << r;
          return false;
        }
      }
      return true;
    };
    ASSERT_TRUE(talk("before", 50));
    lab.kill_policy();
    ASSERT_TRUE(talk("with no daemon", 50));
    ASSERT_TRUE(lab.start_policy());
    ASSERT_TRUE(wait_until([&] { return lab.endpoint_count() == 2; }, 10000)) << lab.policy().log();
    ASSERT_TRUE(talk("after the restart", 50));
    close(s);
    EXPECT_EQ(lab.kernel_denied(), denied) << "the allowed flow had packets denied";
    EXPECT_EQ(lab.probe(0, "10.96.0.12", "TCP", 80), Outcome::dropped) << "port 80 is not allowed";
  }
  sh("rm -rf " + dir);
}

}  // namespace

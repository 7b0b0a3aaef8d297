// policy.bpf.o under BPF_PROG_RUN, on veths of a private namespace (skb->ifindex must name a
// real device). The tables come from the product's compiler and writer; the verdicts must be
// the test oracle's, which reads the NetworkPolicies itself: for random worlds over every
// address pair, protocol and port, on both hooks (a pod's packets leaving through its veth,
// and arriving through the destination's veth when the kernel forwards them). Then
// table-driven cases the random worlds do not reach: fragments, malformed frames, SCTP, port
// range edges, link control traffic, a spoofed source, the node itself, replies.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "bpf_policy_tables.h"
#include "bpf_test_env.h"
#include "harness.h"
#include "packet_builder.h"
#include "policy_compiler.h"
#include "policy_skeleton.h"
#include "policy_world.h"

namespace {

using namespace netaccel;
using namespace netaccel::policy;
using namespace netaccel::test;

constexpr int kPods = 9;  // the generator's x, y, z times a, b, c

enum class Hook { from_pod, to_pod };

class PolicyProgRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = enter_private_netns();
    if (!skip_.empty()) return;
    std::string cmd = "true";
    for (int i = 0; i < kPods + 1; ++i)
      cmd += " && ip link add pv" + std::to_string(i) + " type veth peer name pp" + std::to_string(i) + " && ip link set pv" +
             std::to_string(i) + " up";
    sh_ok(cmd);
    auto s = Skeleton<struct ::policy>::open("policy");
    ASSERT_TRUE(s) << s.error().what();
    ASSERT_TRUE(s->load());
    skel_ = new Skeleton<struct ::policy>(std::move(*s));
  }
  static void TearDownTestSuite() {
    delete skel_;
    skel_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_NE(skel_, nullptr);
    tables_ = std::make_unique<BpfPolicyTables>(map_fds(skel_->get()));
  }
  void TearDown() override {
    if (tables_) {
      EXPECT_TRUE(tables_->install(PolicyTables{}));  // the next test starts empty
    }
    clear_conns();
  }

  static void clear_conns() {
    if (!skel_) return;
    int fd = bpf_map__fd((*skel_)->maps.pol_conns);
    pol_ct_key k{}, next{};
    while (bpf_map_get_next_key(fd, nullptr, &next) == 0) {
      k = next;
      bpf_map_delete_elem(fd, &k);
    }
  }

  // The world's pods on veths pv0..pv8, slots 1..9.
  std::map<std::string, LocalEndpoint> local_of(const ClusterView& v) {
    std::map<std::string, LocalEndpoint> out;
    for (size_t i = 0; i < v.pods.size(); ++i)
      out[v.pods[i].key()] = {static_cast<uint32_t>(ifindex_of("pv" + std::to_string(i))), static_cast<uint32_t>(i + 1)};
    return out;
  }

  // TCX verdict of one frame at a veth: true when it goes on (TCX_NEXT), false when dropped.
  bool run(Hook hook, const std::string& veth, const std::vector<uint8_t>& frame) {
    std::vector<uint8_t> in = frame, out(frame.size() + 256);
    __sk_buff ctx{};
    ctx.ifindex = static_cast<__u32>(ifindex_of(veth));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(), .data_size_in = static_cast<__u32>(in.size()),
                .data_size_out = static_cast<__u32>(out.size()), .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
    int prog = bpf_program__fd(hook == Hook::from_pod ? (*skel_)->progs.pol_from_pod_tc : (*skel_)->progs.pol_to_pod_tc);
    EXPECT_EQ(bpf_prog_test_run_opts(prog, &opts), 0) << "BPF_PROG_RUN: " << strerror(errno);
    EXPECT_TRUE(opts.retval == static_cast<__u32>(-1) || opts.retval == 2) << "retval " << static_cast<int>(opts.retval);
    return opts.retval == static_cast<__u32>(-1);
  }

  // Compiles `v` (this test's identities) and installs it with every pod local.
  CompiledPolicy install(const ClusterView& v) {
    auto c = compile(v, ids_, cidrs_);
    EXPECT_TRUE(c) << c.error().what();
    if (!c) return {};
    auto st = tables_->install(lower(*c, local_of(v)));
    EXPECT_TRUE(st) << st.error().what();
    return std::move(*c);
  }

  static inline std::string skip_;
  static inline Skeleton<struct ::policy>* skel_ = nullptr;
  std::unique_ptr<BpfPolicyTables> tables_;
  LocalIdentityAllocator ids_;
  CidrIdentities cidrs_;
};

std::vector<uint8_t> probe(const std::string& src, const std::string& dst, const std::string& proto, uint16_t sport, uint16_t dport) {
  PacketBuilder b;
  b.eth("02:00:00:00:00:02", "02:00:00:00:00:01");
  if (src.find(':') != std::string::npos) b.ipv6(src, dst);
  else b.ipv4(src, dst);
  if (proto == "TCP") b.tcp(sport, dport).tcp_flags(0x02);
  else if (proto == "UDP") b.udp(sport, dport);
  else if (proto == "SCTP") b.sctp(sport, dport);
  else if (src.find(':') != std::string::npos) b.icmp6(128, 0, {static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport), 0, 1});
  else b.icmp(8, 0, {static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport), 0, 1});
  return b.build();
}

int pod_index(const PolicyWorld& w, const std::string& ip) {
  for (size_t i = 0; i < w.cluster.pods.size(); ++i)
    for (const auto& a : w.cluster.pods[i].ips)
      if (a == ip) return static_cast<int>(i);
  return -1;
}

TEST_F(PolicyProgRun, VerdictsAreTheOraclesOnRandomPolicies) {
  size_t probes = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed * 7919);
    PolicyWorld w = make_world(rng, seed % 3 == 0);
    add_random_policies(w, rng, 1 + seed % 4);
    install(view_of(w));
    ASSERT_FALSE(HasFailure());
    clear_conns();
    std::vector<std::string> addrs = w.outside_ips;
    for (const auto& p : w.cluster.pods) addrs.insert(addrs.end(), p.ips.begin(), p.ips.end());
    uint16_t sport = 30000;
    for (const auto& src : addrs)
      for (const auto& dst : addrs) {
        if (src == dst || (src.find(':') == std::string::npos) != (dst.find(':') == std::string::npos)) continue;
        int si = pod_index(w, src), di = pod_index(w, dst);
        if (si < 0 && di < 0) continue;  // neither end is this node's
        for (const char* proto : {"TCP", "UDP", "SCTP", "ICMP"})
          for (uint16_t port : {80, 81, 82}) {
            bool want = oracle_allows(w.cluster, src, dst, proto, port);
            auto frame = probe(src, dst, proto, ++sport, port);
            // The fast path: leaving the source's veth decides both ends when both are local.
            bool fast = si < 0 || run(Hook::from_pod, "pv" + std::to_string(si), frame);
            // The kernel path: the destination's veth sees it too.
            bool kernel = fast && (di < 0 || run(Hook::to_pod, "pv" + std::to_string(di), frame));
            if (si >= 0 && di >= 0) {
              EXPECT_EQ(fast, want) << "seed " << seed << ": " << src << " -> " << dst << " " << proto << "/" << port;
            }
            ASSERT_EQ(kernel, want) << "seed " << seed << ": " << src << " -> " << dst << " " << proto << "/" << port << "\n"
                                    << [&] { std::string d; for (const auto& p : w.policy_yaml) d += "---\n" + p; return d; }();
            ++probes;
            if (std::string(proto) == "ICMP") break;
          }
      }
  }
  EXPECT_GT(probes, 40u * 800u);
}

}  // namespace

namespace {

// A fixed node for the table cases: namespace x with db, web and other on veths pv0..pv2,
// the node's own address 10.20.0.1.
const char* kDbPolicy = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}, {protocol: UDP, port: 53}, {protocol: SCTP, port: 9000, endPort: 9010}]
  - from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}, {ipBlock: {cidr: "fd99::/64"}}]
    ports: [{protocol: TCP}]
  - from: [{podSelector: {matchLabels: {app: other}}}]
  egress:
  - to: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 80}]
)";

ClusterView fixed_view(const std::string& policy) {
  ClusterView v;
  v.namespaces["x"] = {"x", {{"kubernetes.io/metadata.name", "x"}}};
  v.pods.push_back({"x", "db", {{"app", "db"}}, {*parse_prefix("10.20.0.2"), *parse_prefix("fd20::2")}, {}});
  v.pods.push_back({"x", "web", {{"app", "web"}}, {*parse_prefix("10.20.0.3"), *parse_prefix("fd20::3")}, {}});
  v.pods.push_back({"x", "other", {{"app", "other"}}, {*parse_prefix("10.20.0.4")}, {}});
  v.host_ips.push_back(*parse_prefix("10.20.0.1"));
  if (!policy.empty()) {
    auto p = parse_network_policy(YAML::Load(policy));
    EXPECT_TRUE(p) << p.error().what();
    if (p) v.policies.push_back(*p);
  }
  return v;
}

PacketBuilder v4(const std::string& src, const std::string& dst) {
  return std::move(PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv4(src, dst));
}
PacketBuilder v6(const std::string& src, const std::string& dst) {
  return std::move(PacketBuilder().eth("02:00:00:00:00:02", "02:00:00:00:00:01").ipv6(src, dst));
}

struct Case {
  std::string name;
  Hook hook;
  std::string veth;  // pv0 db, pv1 web, pv2 other
  std::vector<uint8_t> frame;
  bool passes;
};

std::vector<uint8_t> bad_ihl(std::vector<uint8_t> f) {
  f[14] = 0x44;  // version 4, header length 16 bytes: shorter than any IPv4 header
  return f;
}

std::vector<Case> cases() {
  const Hook out = Hook::from_pod, in = Hook::to_pod;
  return {
      {"a web pod reaches db's port", out, "pv1", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build(), true},
      {"the next port is closed", out, "pv1", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5433).tcp_flags(2).build(), false},
      {"the same port over IPv6", out, "pv1", v6("fd20::3", "fd20::2").tcp(40000, 5432).tcp_flags(2).build(), true},
      {"TCP's port is not UDP's", out, "pv1", v4("10.20.0.3", "10.20.0.2").udp(40000, 5432).build(), false},
      {"UDP 53", out, "pv1", v4("10.20.0.3", "10.20.0.2").udp(40000, 53).build(), true},
      {"UDP 54", out, "pv1", v4("10.20.0.3", "10.20.0.2").udp(40000, 54).build(), false},
      {"SCTP at the range's first port", out, "pv1", v4("10.20.0.3", "10.20.0.2").sctp(40000, 9000).build(), true},
      {"SCTP at the range's last port", out, "pv1", v4("10.20.0.3", "10.20.0.2").sctp(40000, 9010).build(), true},
      {"SCTP one past the range", out, "pv1", v4("10.20.0.3", "10.20.0.2").sctp(40000, 9011).build(), false},
      {"SCTP one before the range", out, "pv1", v4("10.20.0.3", "10.20.0.2").sctp(40000, 8999).build(), false},
      {"an ipBlock address, any TCP port", in, "pv0", v4("192.168.5.5", "10.20.0.2").tcp(1, 1).tcp_flags(2).build(), true},
      {"an ipBlock's except", in, "pv0", v4("192.168.1.5", "10.20.0.2").tcp(1, 1).tcp_flags(2).build(), false},
      {"an ipBlock allows TCP only", in, "pv0", v4("192.168.5.5", "10.20.0.2").udp(1, 1).build(), false},
      {"an IPv6 ipBlock", in, "pv0", v6("fd99::7", "fd20::2").tcp(1, 1).tcp_flags(2).build(), true},
      {"outside every block", in, "pv0", v4("10.99.0.1", "10.20.0.2").tcp(1, 1).tcp_flags(2).build(), false},
      {"the node itself (kubelet's probes)", in, "pv0", v4("10.20.0.1", "10.20.0.2").tcp(1, 8080).tcp_flags(2).build(), true},
      {"a later fragment has no port for a port rule", out, "pv1", v4("10.20.0.3", "10.20.0.2").fragment_offset(100).udp(40000, 53).build(), false},
      {"a later fragment matches 'every TCP port'", in, "pv0", v4("192.168.5.5", "10.20.0.2").fragment_offset(100).tcp(1, 1).build(), true},
      {"a first fragment has its port", out, "pv1", v4("10.20.0.3", "10.20.0.2").more_fragments().udp(40000, 53).build(), true},
      {"an IPv6 later fragment has no port", out, "pv1", v6("fd20::3", "fd20::2").fragment_offset(10).tcp(40000, 5432).build(), false},
      {"an IPv6 first fragment has its port", out, "pv1", v6("fd20::3", "fd20::2").ipv6_fragment_header().more_fragments().tcp(40000, 5432).build(), true},
      {"a malformed IPv4 header into an isolated pod", in, "pv0", bad_ihl(v4("10.20.0.3", "10.20.0.2").tcp(1, 5432).build()), false},
      {"a malformed IPv4 header out of an isolated pod", out, "pv0", bad_ihl(v4("10.20.0.2", "10.20.0.3").tcp(1, 80).build()), false},
      {"a malformed header from an unrestricted pod to the kernel", out, "pv1", bad_ihl(v4("10.20.0.3", "10.99.0.1").tcp(1, 1).build()), true},
      {"neighbour solicitation keeps the link", in, "pv0", v6("fe80::1", "ff02::1:ff00:2").icmp6(135).build(), true},
      {"ARP keeps the link", in, "pv0",
       PacketBuilder().eth("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01").arp_request("10.20.0.3", "10.20.0.2").build(), true},
      {"other may send db anything (a rule without ports)", out, "pv2", v4("10.20.0.4", "10.20.0.2").icmp_echo().build(), true},
      {"web's ICMP is not allowed", out, "pv1", v4("10.20.0.3", "10.20.0.2").icmp_echo().build(), false},
      {"a spoofed source gets the pod's own identity", out, "pv2", v4("192.168.5.5", "10.20.0.2").tcp(1, 1).tcp_flags(2).build(), true},
      {"db's egress to web:80", out, "pv0", v4("10.20.0.2", "10.20.0.3").tcp(40001, 80).tcp_flags(2).build(), true},
      {"db's egress elsewhere", out, "pv0", v4("10.20.0.2", "10.99.0.1").tcp(40001, 80).tcp_flags(2).build(), false},
      {"db's egress to web:81", out, "pv0", v4("10.20.0.2", "10.20.0.3").tcp(40001, 81).tcp_flags(2).build(), false},
      {"an unrestricted pod to anywhere", out, "pv1", v4("10.20.0.3", "10.99.0.1").udp(1, 1).build(), true},
  };
}

TEST_F(PolicyProgRun, TableCases) {
  ClusterView v = fixed_view(kDbPolicy);
  CompiledPolicy c = install(v);
  for (const auto& k : cases()) {
    clear_conns();
    EXPECT_EQ(run(k.hook, k.veth, k.frame), k.passes) << k.name;
  }
}

// "other" is a spoofer in the case above only because nothing isolates it; with its own
// egress allowed to db, the ipBlock still must not count for an address it does not own.
TEST_F(PolicyProgRun, ASpoofedSourceNeverBorrowsAnIpBlock) {
  ClusterView v = fixed_view(std::string(kDbPolicy).replace(std::string(kDbPolicy).find("  - from: [{podSelector: {matchLabels: {app: other}}}]\n"),
                                                            std::string("  - from: [{podSelector: {matchLabels: {app: other}}}]\n").size(), ""));
  CompiledPolicy c = install(v);
  EXPECT_FALSE(run(Hook::from_pod, "pv2", v4("192.168.5.5", "10.20.0.2").tcp(1, 1).tcp_flags(2).build()));
  EXPECT_TRUE(run(Hook::to_pod, "pv0", v4("192.168.5.5", "10.20.0.2").tcp(1, 1).tcp_flags(2).build()));  // the real one
}

TEST_F(PolicyProgRun, RepliesOfAllowedConnectionsPass) {
  ClusterView v = fixed_view(kDbPolicy);
  CompiledPolicy c = install(v);
  auto syn_ack = v4("10.20.0.2", "10.20.0.3").tcp(5432, 40000).tcp_flags(0x12).build();
  EXPECT_FALSE(run(Hook::from_pod, "pv0", syn_ack)) << "db's egress allows only web:80: an unsolicited reply is new";
  ASSERT_TRUE(run(Hook::from_pod, "pv1", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build()));
  EXPECT_TRUE(run(Hook::from_pod, "pv0", syn_ack)) << "the reply of an allowed connection";
  EXPECT_TRUE(run(Hook::to_pod, "pv1", syn_ack)) << "and at web's veth";
  // UDP and ICMP echo are stateful too.
  auto dns_reply = v4("10.20.0.2", "10.20.0.3").udp(53, 40002).build();
  EXPECT_FALSE(run(Hook::from_pod, "pv0", dns_reply));
  ASSERT_TRUE(run(Hook::from_pod, "pv1", v4("10.20.0.3", "10.20.0.2").udp(40002, 53).build()));
  EXPECT_TRUE(run(Hook::from_pod, "pv0", dns_reply));
  auto echo_reply = v4("10.20.0.2", "10.20.0.4").icmp(0, 0, {0x12, 0x34, 0, 1}).build();
  EXPECT_FALSE(run(Hook::from_pod, "pv0", echo_reply));
  ASSERT_TRUE(run(Hook::from_pod, "pv2", v4("10.20.0.4", "10.20.0.2").icmp(8, 0, {0x12, 0x34, 0, 1}).build()));
  EXPECT_TRUE(run(Hook::from_pod, "pv0", echo_reply));
  EXPECT_FALSE(run(Hook::from_pod, "pv0", v4("10.20.0.2", "10.20.0.4").icmp(8, 0, {0x12, 0x34, 0, 1}).build()))
      << "a request the other way is new";
  // Established connections survive a policy that no longer allows them; new ones do not.
  install(fixed_view(""));  // nothing isolates: no entries
  install(fixed_view("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}}"));
  EXPECT_TRUE(run(Hook::to_pod, "pv0", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).build())) << "established";
  EXPECT_FALSE(run(Hook::to_pod, "pv0", v4("10.20.0.3", "10.20.0.2").tcp(40009, 5432).tcp_flags(2).build())) << "new";
  EXPECT_FALSE(run(Hook::to_pod, "pv0", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build()))
      << "a SYN on the ports of an allowed connection opens a new one: judged afresh";
}

TEST_F(PolicyProgRun, DeniedPacketsAreCountedAndReported) {
  ClusterView v = fixed_view(kDbPolicy);
  CompiledPolicy c = install(v);
  std::vector<pol_drop_event> events;
  auto* rb = ring_buffer__new(
      bpf_map__fd((*skel_)->maps.pol_drops),
      [](void* ctx, void* data, size_t size) {
        if (size >= sizeof(pol_drop_event)) static_cast<std::vector<pol_drop_event>*>(ctx)->push_back(*static_cast<pol_drop_event*>(data));
        return 0;
      },
      &events, nullptr);
  ASSERT_NE(rb, nullptr);
  ring_buffer__consume(rb);
  events.clear();
  auto stats = [&](uint32_t slot, int dir, int stat) {
    std::vector<pol_stats> per_cpu(libbpf_num_possible_cpus());
    uint32_t index = slot - 1;
    EXPECT_EQ(bpf_map_lookup_elem(bpf_map__fd((*skel_)->maps.pol_stats), &index, per_cpu.data()), 0);
    uint64_t n = 0;
    for (const auto& s : per_cpu) n += s.packets[dir][stat];
    return n;
  };
  uint64_t denied = stats(1, POL_DIR_INGRESS, POL_STAT_DENIED), allowed = stats(1, POL_DIR_INGRESS, POL_STAT_ALLOWED);
  EXPECT_FALSE(run(Hook::from_pod, "pv1", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5433).tcp_flags(2).build()));
  EXPECT_TRUE(run(Hook::from_pod, "pv1", v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build()));
  EXPECT_EQ(stats(1, POL_DIR_INGRESS, POL_STAT_DENIED), denied + 1);
  EXPECT_EQ(stats(1, POL_DIR_INGRESS, POL_STAT_ALLOWED), allowed + 1);
  ring_buffer__consume(rb);
  ring_buffer__free(rb);
  ASSERT_EQ(events.size(), 1u);
  const pol_drop_event& e = events[0];
  EXPECT_EQ(e.endpoint, 1u);  // db's slot: its ingress denied it
  EXPECT_EQ(e.dir, POL_DIR_INGRESS);
  EXPECT_EQ(e.reason, POL_DROP_POLICY);
  EXPECT_EQ(e.peer_identity, c.pod_identity.at("x/web"));
  EXPECT_EQ(e.proto, 6);
  EXPECT_EQ(ntohs(e.dport), 5433);
  EXPECT_EQ(e.ifindex, static_cast<uint32_t>(ifindex_of("pv1")));
  pol_addr_key src{128, {}};
  std::memcpy(src.addr, e.saddr, 16);
  EXPECT_EQ(to_string(prefix_of(src)), "10.20.0.3/32");
}

TEST_F(PolicyProgRun, AFailedInstallChangesNothing) {
  ClusterView v = fixed_view(kDbPolicy);
  CompiledPolicy c = install(v);
  auto local = local_of(v);
  const uint32_t slot = tables_->active_slot();
  auto good = v4("10.20.0.3", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build();
  auto bad = v4("10.20.0.3", "10.20.0.2").tcp(40000, 5433).tcp_flags(2).build();
  // Every pod unrestricted, and an endpoint slot past the array's end: refused by the kernel
  // after most of the spare slot was written.
  auto none = compile(fixed_view(""), ids_, cidrs_);
  ASSERT_TRUE(none);
  auto broken = lower(*none, local);
  broken.rules[POL_MAX_ENDPOINTS + 1] = {isolation_key(Direction::ingress)};
  auto st = tables_->install(broken);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().what().find("endpoint slot 4097"), std::string::npos) << st.error().what();
  EXPECT_EQ(tables_->active_slot(), slot);
  clear_conns();
  EXPECT_TRUE(run(Hook::from_pod, "pv1", good));
  EXPECT_FALSE(run(Hook::from_pod, "pv1", bad));
  // The spare slot was put back: the next change goes in whole.
  ASSERT_TRUE(tables_->install(lower(*none, local)));
  EXPECT_NE(tables_->active_slot(), slot);
  EXPECT_TRUE(run(Hook::from_pod, "pv1", bad));
  ASSERT_TRUE(tables_->install(lower(c, local)));
  clear_conns();
  EXPECT_FALSE(run(Hook::from_pod, "pv1", bad));
}

}  // namespace

namespace {

size_t key_count(int fd) {
  size_t n = 0;
  pol_addr_key k{}, next{};
  const pol_addr_key* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    ++n;
    k = next;
    prev = &k;
  }
  return n;
}

// A restarted daemon finds a previous run's tables pinned and does not know what they hold:
// its first install rewrites both slots whole, the unread one first.
TEST_F(PolicyProgRun, ARestartedWriterRewritesBothSlotsWhole) {
  ClusterView v = fixed_view(kDbPolicy);
  install(v);
  auto bad = v4("10.20.0.3", "10.20.0.2").tcp(40000, 5433).tcp_flags(2).build();
  ASSERT_FALSE(run(Hook::from_pod, "pv1", bad));
  BpfPolicyTables restarted(map_fds(skel_->get()));
  restarted.adopt_unknown_state();
  ClusterView small;
  small.namespaces["x"] = v.namespaces["x"];
  small.pods.push_back(v.pods[1]);  // web alone, unrestricted
  auto c = compile(small, ids_, cidrs_);
  ASSERT_TRUE(c);
  auto tables = lower(*c, {{"x/web", {static_cast<uint32_t>(ifindex_of("pv1")), 2}}});
  ASSERT_TRUE(restarted.install(tables));
  EXPECT_TRUE(run(Hook::from_pod, "pv1", bad));
  for (int slot = 0; slot < 2; ++slot) {
    EXPECT_EQ(key_count(map_fds(skel_->get()).ipcache[slot]), tables.ipcache.size()) << "slot " << slot;
    EXPECT_EQ(key_count(map_fds(skel_->get()).cidrs[slot]), 0u) << "slot " << slot;
  }
  *tables_ = std::move(restarted);  // TearDown empties through the writer that knows the state
}

}  // namespace

namespace {

// A pod of an identity every policy map already knows comes and goes in place: its entries
// are written one by one into both slots, with no flip and no grace period, and it is judged
// right from its first packet. A pod that changes a policy map goes through the two slots.
TEST_F(PolicyProgRun, APodOfAKnownIdentityComesAndGoesInPlace) {
  ClusterView v = fixed_view(kDbPolicy);
  auto local = local_of(v);
  install(v);
  const uint64_t flips = tables_->flips();
  ClusterView more = v;
  more.pods.push_back({"x", "web2", {{"app", "web"}}, {*parse_prefix("10.20.0.5")}, {}});
  auto local_more = local;
  local_more["x/web2"] = {static_cast<uint32_t>(ifindex_of("pv3")), 4};
  auto c = compile(more, ids_, cidrs_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(tables_->install(lower(*c, local_more)));
  EXPECT_EQ(tables_->flips(), flips);
  EXPECT_EQ(tables_->in_place(), 1u);
  EXPECT_TRUE(run(Hook::from_pod, "pv3", v4("10.20.0.5", "10.20.0.2").tcp(40000, 5432).tcp_flags(2).build()));
  EXPECT_FALSE(run(Hook::from_pod, "pv3", v4("10.20.0.5", "10.20.0.2").tcp(40000, 5433).tcp_flags(2).build()));
  EXPECT_TRUE(run(Hook::from_pod, "pv0", v4("10.20.0.2", "10.20.0.5").tcp(40001, 80).tcp_flags(2).build())) << "db's egress to web:80";
  // It goes again: in place too, and its address is nobody's.
  c = compile(v, ids_, cidrs_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(tables_->install(lower(*c, local)));
  EXPECT_EQ(tables_->flips(), flips);
  EXPECT_EQ(tables_->in_place(), 2u);
  EXPECT_FALSE(run(Hook::from_pod, "pv0", v4("10.20.0.2", "10.20.0.5").tcp(40002, 80).tcp_flags(2).build())) << "not web any more";
  // A pod with new labels that a policy selects changes policy maps: two slots, one flip.
  ClusterView admin = v;
  admin.pods.push_back({"x", "ops", {{"app", "other"}, {"ops", "yes"}}, {*parse_prefix("10.20.0.6")}, {}});
  c = compile(admin, ids_, cidrs_);
  ASSERT_TRUE(c);
  ASSERT_TRUE(tables_->install(lower(*c, local)));
  EXPECT_EQ(tables_->flips(), flips + 1);
}

}  // namespace

namespace {

// add_pod: a second db on pv3 written as its own entries is judged as db is, from its first
// packet, in both slots (a flip afterwards changes nothing for it); a collision writes nothing.
TEST_F(PolicyProgRun, AddPodWritesOnePodsEntriesIntoBothSlots) {
  ClusterView v = fixed_view(kDbPolicy);
  auto c = install(v);
  const uint64_t flips = tables_->flips();
  const uint32_t db = c.pod_identity.at("x/db");
  PodEntries pod;
  pod.ifindex = static_cast<uint32_t>(ifindex_of("pv3"));
  pod.endpoint = pol_endpoint{4, db};
  pod.rules = endpoint_rule_keys(c.endpoints.at("x/db"));
  pod.addresses.push_back({addr_key(*parse_prefix("10.20.0.9")), pol_addr_val{db, 4}});
  // Slots 4 and 5 get their empty maps ahead (slot 1, db's, is skipped: in use).
  ASSERT_TRUE(tables_->prepare_slots({1, 4, 5}));
  EXPECT_EQ(tables_->prepared(), 2u);
  ASSERT_TRUE(tables_->add_pod(pod));
  EXPECT_EQ(tables_->prepared(), 1u) << "slot 4's map is db2's now";
  EXPECT_EQ(tables_->flips(), flips);
  auto web_to_db2 = [](uint16_t sport, uint16_t dport) { return v4("10.20.0.3", "10.20.0.9").tcp(sport, dport).tcp_flags(2).build(); };
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_TRUE(run(Hook::to_pod, "pv3", web_to_db2(41000 + pass, 5432))) << "pass " << pass;
    EXPECT_FALSE(run(Hook::to_pod, "pv3", web_to_db2(41010 + pass, 5433))) << "pass " << pass;
    EXPECT_FALSE(run(Hook::from_pod, "pv3", v4("10.20.0.9", "10.20.0.3").tcp(41020 + pass, 81).tcp_flags(2).build())) << "db's egress: web:80 only";
    EXPECT_TRUE(run(Hook::from_pod, "pv3", v4("10.20.0.9", "10.20.0.3").tcp(41030 + pass, 80).tcp_flags(2).build()));
    // The other slot: a whole install of the same state plus a pod db must allow flips to it.
    ClusterView more = v;
    more.pods.push_back({"x", "db2", {{"app", "db"}}, {*parse_prefix("10.20.0.9")}, {}});
    if (pass == 0) more.pods.push_back({"x", "web-b", {{"app", "web"}, {"tier", "b"}}, {*parse_prefix("10.20.0.10")}, {}});  // db allows a new identity
    auto local = local_of(v);
    local["x/db2"] = {pod.ifindex, 4};
    auto c2 = compile(more, ids_, cidrs_);
    ASSERT_TRUE(c2);
    ASSERT_TRUE(tables_->install(lower(*c2, local)));
  }
  EXPECT_GT(tables_->flips(), flips);
  // Its address taken: refused, nothing written.
  PodEntries clash = pod;
  clash.ifindex = static_cast<uint32_t>(ifindex_of("pv4"));
  clash.endpoint.endpoint = 5;
  auto st = tables_->add_pod(clash);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, make_error_code(Errc::already_exists));
  EXPECT_NE(st.error().message.find("10.20.0.9"), std::string::npos) << st.error().message;
  EXPECT_TRUE(run(Hook::to_pod, "pv4", web_to_db2(41100, 5433))) << "pv4 is nobody's endpoint: unrestricted";
}

}  // namespace

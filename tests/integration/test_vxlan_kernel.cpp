// netaccel-vswitch's VXLAN against the kernel's own vxlan device, over an IPv4 and an IPv6
// underlay; and its answer to a frame too big for the tunnel, which a kernel sender must take
// as a router's and lower its path MTU. Namespace "k" holds a kernel VTEP (vx0 on u0); namespace "t" holds u1, the other
// end of the underlay veth, where this test is the VTEP through an AF_PACKET socket. What the
// kernel encapsulates, vxlan_decapsulate must take apart (VNI, addresses, the inner UDP
// datagram a socket in k sent); what vxlan_encapsulate writes, the kernel must decapsulate and
// deliver to a UDP socket in k. Each verdict is an arrival; nothing in 5 s fails as "slow".
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "harness.h"
#include "packet_builder.h"
#include "too_big.h"
#include "vxlan.h"

using namespace netaccel;
using namespace netaccel::test;
using namespace netaccel::vswitch;

namespace {

constexpr uint32_t kVni = 4242;

// A socket made in namespace `ns` (sockets keep the namespace they were made in).
int socket_in(const std::string& ns, int domain, int type, int proto) {
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), there = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  int s = -1;
  if (self >= 0 && there >= 0 && setns(there, CLONE_NEWNET) == 0) {
    s = socket(domain, type | SOCK_CLOEXEC, proto);
    setns(self, CLONE_NEWNET);
  }
  if (self >= 0) close(self);
  if (there >= 0) close(there);
  return s;
}

MacAddr mac_of(const std::string& ns, const std::string& dev) {
  auto text = sh_ok("ip -n " + ns + " -o link show " + dev + " | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  auto m = mac(text);
  MacAddr out;
  std::copy(m.begin(), m.end(), out.begin());
  return out;
}

std::string mac_text(const MacAddr& m) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

struct Underlay {
  const char* name;
  const char* k_addr;  // the kernel VTEP
  const char* t_addr;  // ours
  const char* plen;
};

class VxlanKernel : public ::testing::TestWithParam<Underlay> {
 protected:
  void SetUp() override {
    NETACCEL_REQUIRE_ROOT();
    cleanup_stale_namespaces("navx");
    p_ = unique_prefix("navx");
    k_ = p_ + "-k";
    t_ = p_ + "-t";
    const Underlay& u = GetParam();
    const bool v6 = std::strchr(u.k_addr, ':') != nullptr;
    sh_ok("ip netns add " + k_ + " && ip netns add " + t_ + " && ip -n " + k_ + " link add u0 type veth peer name u1 netns " + t_ +
          " && ip -n " + k_ + " link set u0 up && ip -n " + t_ + " link set u1 up && ip -n " + k_ + " link set lo up" +
          (v6 ? " && ip netns exec " + k_ + " sysctl -qw net.ipv6.conf.u0.accept_dad=0" : std::string()) + " && ip -n " + k_ + " addr add " +
          u.k_addr + "/" + u.plen + " dev u0" + (v6 ? " nodad" : ""));
    u1_mac_ = mac_of(t_, "u1");
    u0_mac_ = mac_of(k_, "u0");
    // The kernel VTEP: vx0 over u0, one remote (us), the underlay neighbour static so no
    // ARP/ND has to be answered; the inner pod 10.90.0.2 (ours) behind the tunnel.
    sh_ok("ip -n " + k_ + " neigh replace " + u.t_addr + " lladdr " + mac_text(u1_mac_) + " dev u0 nud permanent && ip -n " + k_ +
          " link add vx0 type vxlan id " + std::to_string(kVni) + " dstport 4789 local " + u.k_addr + " remote " + u.t_addr +
          " dev u0 && ip netns exec " + k_ + " sysctl -qw net.ipv6.conf.vx0.disable_ipv6=1 && ip -n " + k_ +
          " addr add 10.90.0.1/24 dev vx0 && ip -n " + k_ + " link set vx0 up && ip -n " + k_ +
          " neigh replace 10.90.0.2 lladdr 02:00:00:00:09:02 dev vx0 nud permanent");
    vx0_mac_ = mac_of(k_, "vx0");
    raw_ = socket_in(t_, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    ASSERT_GE(raw_, 0) << strerror(errno);
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = static_cast<int>(std::stoi(sh_ok("ip netns exec " + t_ + " cat /sys/class/net/u1/ifindex")));
    ASSERT_EQ(bind(raw_, reinterpret_cast<sockaddr*>(&ll), sizeof ll), 0) << strerror(errno);
    int one = 1;
    ASSERT_EQ(setsockopt(raw_, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one), 0) << strerror(errno);
    ifindex_ = ll.sll_ifindex;
  }
  // A UDP socket in the kernel VTEP's namespace and the inner address:port it speaks of.
  int kernel_udp(const char* ip, uint16_t port, sockaddr_in* addr) const {
    *addr = sockaddr_in{};
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port);
    inet_pton(AF_INET, ip, &addr->sin_addr);
    return socket_in(k_, AF_INET, SOCK_DGRAM, 0);
  }
  void TearDown() override {
    if (raw_ >= 0) close(raw_);
    sh("ip netns del " + k_ + " 2>/dev/null; ip netns del " + t_ + " 2>/dev/null");
  }
  Tunnel ours() const {
    Tunnel t;
    t.local_mac = u1_mac_;
    t.next_hop_mac = u0_mac_;
    t.local = *parse_prefix(GetParam().t_addr);
    t.remote = *parse_prefix(GetParam().k_addr);
    t.vni = kVni;
    return t;
  }

  std::string p_, k_, t_;
  MacAddr u0_mac_{}, u1_mac_{}, vx0_mac_{};
  int raw_ = -1, ifindex_ = 0;
};

TEST_P(VxlanKernel, WeTakeApartWhatTheKernelSends) {
  sockaddr_in to;
  int s = kernel_udp("10.90.0.2", 9999, &to);
  ASSERT_GE(s, 0);
  const std::string payload = "from the kernel's vtep";
  ASSERT_EQ(sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to), static_cast<ssize_t>(payload.size()));
  close(s);
  // Frames on u1 until this test's datagram (the underlay carries the kernels' own ND/MLD too).
  bool found = false;
  for (int i = 0; i < 50 && !found; ++i) {
    pollfd pfd{raw_, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "slow: no frame on the underlay in 5 s\n"
                                      << sh("ip -n " + k_ + " -s link show vx0; ip -n " + k_ + " -s link show u0; ip -n " + t_ + " -s link show u1").out;
    // The kernel leaves the outer UDP checksum to an offload a veth never runs
    // (CHECKSUM_PARTIAL); AF_PACKET says so in the frame's auxdata, as a port driver would.
    std::vector<uint8_t> f(2048);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
    iovec iov{f.data(), f.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(raw_, &msg, 0);
    ASSERT_GT(n, 0);
    f.resize(static_cast<size_t>(n));
    bool ready = true;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
        ready = !(reinterpret_cast<tpacket_auxdata*>(CMSG_DATA(c))->tp_status & TP_STATUS_CSUMNOTREADY);
    const Decapsulated d = vxlan_decapsulate(f, kVxlanPort, ready);
    if (d.error != DecapError::none) continue;
    // The datagram of this test: inner IPv4, UDP to port 9999 (not the device's own chatter).
    const uint8_t* in = f.data() + d.inner_offset;
    if (d.inner_len < 42 || in[12] != 0x08 || in[13] != 0x00 || in[14 + 9] != 17 || in[14 + 20 + 2] != 0x27 || in[14 + 20 + 3] != 0x0f) continue;
    found = true;
    EXPECT_EQ(d.vni, kVni);
    EXPECT_EQ(d.outer_src, *parse_prefix(GetParam().k_addr));
    EXPECT_EQ(d.outer_dst, *parse_prefix(GetParam().t_addr));
    std::vector<uint8_t> inner(f.begin() + static_cast<long>(d.inner_offset), f.begin() + static_cast<long>(d.inner_offset + d.inner_len));
    ASSERT_GE(inner.size(), 42 + payload.size());
    EXPECT_EQ(std::memcmp(inner.data(), "\x02\x00\x00\x00\x09\x02", 6), 0) << "inner destination MAC";
    EXPECT_EQ(std::string(inner.begin() + 42, inner.begin() + 42 + static_cast<long>(payload.size())), payload);
    // With the outer checksum left to offload, so is the inner one (tunnel offload).
    if (ready) EXPECT_TRUE(checksums_ok(inner)) << "the inner datagram as the kernel sent it";
  }
  EXPECT_TRUE(found) << "no VXLAN frame among 50 on the underlay";
}

TEST_P(VxlanKernel, TheKernelTakesWhatWeSend) {
  sockaddr_in at;
  int s = kernel_udp("10.90.0.1", 9998, &at);
  ASSERT_GE(s, 0);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&at), sizeof at), 0) << strerror(errno);
  auto inner = PacketBuilder().eth(mac_text(vx0_mac_), "02:00:00:00:09:02").ipv4("10.90.0.2", "10.90.0.1").udp(40000, 9998, 30).build();
  inner.resize(14 + 20 + 8 + 30);  // the builder pads to 60 bytes; the datagram is exactly this
  const auto outer = vxlan_encapsulate(ours(), inner);
  ASSERT_FALSE(outer.empty());
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = ifindex_;
  ll.sll_halen = 6;
  std::memcpy(ll.sll_addr, u0_mac_.data(), 6);
  ASSERT_EQ(sendto(raw_, outer.data(), outer.size(), 0, reinterpret_cast<sockaddr*>(&ll), sizeof ll), static_cast<ssize_t>(outer.size()))
      << strerror(errno);
  pollfd pfd{s, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "slow: the kernel delivered nothing in 5 s\n" << sh("ip -n " + k_ + " -s link show vx0").out;
  char buf[64];
  ssize_t n = recv(s, buf, sizeof buf, 0);
  close(s);
  ASSERT_EQ(n, 30);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 30), std::vector<uint8_t>(inner.begin() + 42, inner.end())) << "the datagram the kernel delivered";
}

INSTANTIATE_TEST_SUITE_P(Underlays, VxlanKernel,
                         ::testing::Values(Underlay{"ipv4", "192.168.77.1", "192.168.77.2", "24"}, Underlay{"ipv6", "fd77::1", "fd77::2", "64"}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace

namespace {

// A pod (a kernel namespace on a veth) sends a 1,472-byte datagram with DF through its
// gateway, as through a 1,450-byte tunnel; check_tunnel_mtu's answer, sent back to it, makes
// its kernel cache a path MTU of 1,450 for that destination (`ip route get` shows it), and the
// next datagram of that size is refused at the socket with EMSGSIZE.
TEST(VxlanTooBig, AKernelSenderLowersItsPathMtu) {
  NETACCEL_REQUIRE_ROOT();
  cleanup_stale_namespaces("navm");
  const std::string p = unique_prefix("navm"), pod = p + "-pod", sw = p + "-sw";
  struct Cleanup {
    std::string a, b;
    ~Cleanup() { sh("ip netns del " + a + " 2>/dev/null; ip netns del " + b + " 2>/dev/null"); }
  } cleanup{pod, sw};
  sh_ok("ip netns add " + pod + " && ip netns add " + sw + " && ip -n " + pod + " link add eth0 type veth peer name pv netns " + sw +
        " && ip -n " + pod + " link set eth0 up && ip -n " + sw + " link set pv up && ip -n " + pod + " addr add 10.80.0.2/24 dev eth0 && ip -n " +
        pod + " route add default via 10.80.0.1 && ip -n " + pod + " neigh replace 10.80.0.1 lladdr 02:00:00:00:80:01 dev eth0 nud permanent");
  int raw = socket_in(sw, AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  ASSERT_GE(raw, 0);
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = std::stoi(sh_ok("ip netns exec " + sw + " cat /sys/class/net/pv/ifindex"));
  ASSERT_EQ(bind(raw, reinterpret_cast<sockaddr*>(&ll), sizeof ll), 0);
  int s = socket_in(pod, AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(s, 0);
  int pmtu = IP_PMTUDISC_DO;  // DF, and EMSGSIZE once the path MTU is known
  setsockopt(s, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(7777);
  inet_pton(AF_INET, "10.81.0.9", &to.sin_addr);
  std::vector<char> payload(1472, 'x');
  ASSERT_EQ(sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 1472) << strerror(errno);
  // The frame at the "switch": the big one, answered.
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    pollfd pfd{raw, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 5000), 1) << "slow: the pod sent nothing in 5 s";
    std::vector<uint8_t> f(2048);
    ssize_t n = recv(raw, f.data(), f.size(), 0);
    ASSERT_GT(n, 0);
    f.resize(static_cast<size_t>(n));
    const MtuCheck c = check_tunnel_mtu(f, 1450);
    if (c.verdict != MtuVerdict::answer) continue;
    ASSERT_EQ(send(raw, c.answer.data(), c.answer.size(), 0), static_cast<ssize_t>(c.answer.size())) << strerror(errno);
    answered = true;
  }
  ASSERT_TRUE(answered) << "no frame too big for a 1,450-byte tunnel among 20";
  // The kernel took it as a router's "fragmentation needed": its route to 10.81.0.9 has a
  // path MTU now. Waited on as a state, bounded.
  EXPECT_TRUE(wait_until([&] { return sh("ip -n " + pod + " route get 10.81.0.9").out.find("mtu 1450") != std::string::npos; }, 5000))
      << sh("ip -n " + pod + " route get 10.81.0.9").out;
  errno = 0;
  EXPECT_EQ(sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  close(s);
  close(raw);
}

}  // namespace

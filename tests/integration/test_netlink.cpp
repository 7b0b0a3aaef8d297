// The core library's netlink view against a private namespace this process builds with `ip`:
// look-ups (links, addresses, routes, neighbours, FDB) and change events.
#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "bpf_test_env.h"
#include "harness.h"
#include "netaccel/core/netlink.h"

using namespace netaccel;
using namespace netaccel::test;

namespace {
class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
    sh("ip link del nl0 2>/dev/null; ip link del nlbr 2>/dev/null; ip link del nlp 2>/dev/null");
    auto nl = Netlink::open();
    ASSERT_TRUE(nl) << nl.error().what();
    nl_ = std::move(*nl);
  }
  // Reads notifications for up to timeout_ms.
  void pump(int timeout_ms = 500) {
    pollfd p{nl_->fd(), POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) ASSERT_TRUE(nl_->process());
  }
  std::unique_ptr<Netlink> nl_;
};
}  // namespace

TEST_F(NetlinkTest, LooksUpLinksAddressesRoutesNeighbours) {
  sh_ok("ip link add nl0 address 02:00:00:00:aa:01 type veth peer name nl1 && ip link set nl0 up && ip link set nl1 up && "
        "ip addr add 10.99.0.1/24 dev nl0 && ip addr add fd99::1/64 dev nl0 nodad && "
        "ip route add 10.98.0.0/16 via 10.99.0.2 && ip neigh replace 10.99.0.2 lladdr 02:00:00:00:aa:02 dev nl0 nud permanent");
  auto l = nl_->link("nl0");
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->is_veth());
  EXPECT_TRUE(l->up);
  EXPECT_EQ(format_mac(l->mac), "02:00:00:00:aa:01");
  auto peer = nl_->link("nl1");
  ASSERT_TRUE(peer);
  EXPECT_EQ(l->peer_ifindex, peer->ifindex);
  EXPECT_EQ(nl_->link(l->ifindex)->name, "nl0");
  EXPECT_FALSE(nl_->link("nonexistent0"));

  auto addrs = nl_->addresses(l->ifindex);
  auto has_addr = [&](const std::string& a, int len) {
    return std::any_of(addrs.begin(), addrs.end(), [&](const auto& x) { return x.address == a && x.prefixlen == len; });
  };
  EXPECT_TRUE(has_addr("10.99.0.1", 24));
  EXPECT_TRUE(has_addr("fd99::1", 64));

  auto routes = nl_->routes(AF_INET);
  EXPECT_TRUE(std::any_of(routes.begin(), routes.end(), [&](const auto& r) {
    return r.dst == "10.98.0.0" && r.dst_len == 16 && r.gateway == "10.99.0.2" && r.oif == l->ifindex;
  }));

  auto neigh = nl_->neighbours(l->ifindex);
  EXPECT_TRUE(std::any_of(neigh.begin(), neigh.end(), [&](const auto& n) {
    return n.address == "10.99.0.2" && format_mac(n.lladdr) == "02:00:00:00:aa:02" && (n.state & NUD_PERMANENT);
  }));
  sh("ip link del nl0");
}

TEST_F(NetlinkTest, ReportsLinkAndFdbEvents) {
  std::vector<std::pair<NlEvent, LinkInfo>> links;
  std::vector<std::pair<NlEvent, FdbEntry>> fdb;
  nl_->on_link([&](NlEvent e, const LinkInfo& l) { links.emplace_back(e, l); });
  nl_->on_fdb([&](NlEvent e, const FdbEntry& f) { fdb.emplace_back(e, f); });

  sh_ok("ip link add nlbr type bridge && ip link add nlp type veth peer name nlq && ip link set nlp master nlbr && "
        "ip link set nlbr up && ip link set nlp up && bridge fdb add 02:00:00:00:bb:01 dev nlp master static");
  pump();
  auto p = nl_->link("nlp");
  auto br = nl_->link("nlbr");
  ASSERT_TRUE(p && br);
  EXPECT_EQ(p->master, br->ifindex);
  EXPECT_TRUE(std::any_of(links.begin(), links.end(), [&](const auto& e) {
    return e.first == NlEvent::added && e.second.name == "nlp" && e.second.is_veth();
  }));
  auto learned = [&](NlEvent ev) {
    return std::any_of(fdb.begin(), fdb.end(), [&](const auto& e) {
      return e.first == ev && format_mac(e.second.mac) == "02:00:00:00:bb:01" && e.second.port_ifindex == p->ifindex &&
             e.second.bridge_ifindex == br->ifindex && !e.second.local;
    });
  };
  EXPECT_TRUE(learned(NlEvent::added));
  auto entries = nl_->fdb(br->ifindex);
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const auto& e) { return format_mac(e.mac) == "02:00:00:00:bb:01"; }));
  EXPECT_TRUE(std::any_of(entries.begin(), entries.end(), [](const auto& e) { return e.local; })) << "port's own address";

  sh_ok("bridge fdb del 02:00:00:00:bb:01 dev nlp master");
  pump();
  EXPECT_TRUE(learned(NlEvent::removed));
  int idx = p->ifindex;
  sh_ok("ip link del nlp");
  pump();
  EXPECT_TRUE(std::any_of(links.begin(), links.end(), [&](const auto& e) {
    return e.first == NlEvent::removed && e.second.ifindex == idx;
  }));
  sh("ip link del nlbr");
}

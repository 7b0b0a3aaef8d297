// The sidecar-mode cgroup programs under BPF_PROG_RUN, where this kernel can run them: a
// connect4 context in, the rewritten destination out. Skips with the kernel's answer otherwise.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/socket.h>

#include <cstring>

#include "harness.h"
#include "sockmap_skeleton.h"

namespace {
using namespace netaccel;

struct ConnectCase {
  std::string name;
  std::string dst;
  uint16_t port;
  bool redirected;
};

void PrintTo(const ConnectCase& c, std::ostream* os) { *os << c.name; }

class SockmapConnect4 : public ::testing::TestWithParam<ConnectCase> {};

TEST_P(SockmapConnect4, RewritesOrLeavesTheDestination) {
  if (auto why = test::missing_privileges(); !why.empty()) GTEST_SKIP() << why;
  auto skel = Skeleton<struct sockmap>::open("sockmap");
  ASSERT_TRUE(skel);
  (*skel)->rodata->sm_proxy_uid = 4242;  // not us: our connections are application connections
  ASSERT_TRUE(skel->load());
  const auto& c = GetParam();
  bpf_sock_addr in{};
  in.user_family = AF_INET;
  in.family = AF_INET;
  in.type = SOCK_STREAM;
  in.protocol = IPPROTO_TCP;
  inet_pton(AF_INET, c.dst.c_str(), &in.user_ip4);
  in.user_port = htons(c.port);
  bpf_sock_addr out{};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &in, .ctx_out = &out, .ctx_size_in = sizeof(in),
              .ctx_size_out = sizeof(out));
  int err = bpf_prog_test_run_opts(bpf_program__fd((*skel)->progs.sm_connect4), &opts);
  if (err) GTEST_SKIP() << "BPF_PROG_RUN for cgroup/connect4 is not available here: " << strerror(errno)
                        << " (covered by Sockmap.SidecarModeWithHaproxy instead)";
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &out.user_ip4, ip, sizeof(ip));
  if (c.redirected) {
    EXPECT_STREQ(ip, "127.0.0.1");
    EXPECT_EQ(ntohs(static_cast<uint16_t>(out.user_port)), 15001);
  } else {
    EXPECT_EQ(c.dst, ip);
    EXPECT_EQ(ntohs(static_cast<uint16_t>(out.user_port)), c.port);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SockmapConnect4,
                         ::testing::Values(ConnectCase{"service", "10.96.0.10", 80, true},
                                           ConnectCase{"loopback_app", "127.0.0.2", 9940, true},
                                           ConnectCase{"already_to_proxy", "127.0.0.1", 15001, false}),
                         [](const auto& info) { return info.param.name; });
}  // namespace

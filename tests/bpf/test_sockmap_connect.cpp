// The sidecar-mode cgroup programs, case by case. The kernel has no BPF_PROG_RUN for
// cgroup/connect4 (it answers ENOTSUPP), so each case runs the real thing instead: the
// programs attached to a throwaway cgroup, a child in that cgroup calls connect(), and the
// test reads where the socket ended up, what SO_ORIGINAL_DST answers on the accepting side,
// and the redirect counter. All of it in this process's own network namespace, so the fixed
// ports below are free.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "bpf_sockmap.h"
#include "bpf_test_env.h"
#include "harness.h"

namespace {
using namespace netaccel;
using namespace netaccel::test;

constexpr uint32_t kProxyUid = 4242;
constexpr uint16_t kProxyPort = 15001;
constexpr uint16_t kAppPort = 9940;

// Where a destination points: a remote service, or one of the two listeners the child opens.
enum class Dest { Service, App, Proxy };

struct ConnectCase {
  std::string name;
  Dest dst;
  int type;      // SOCK_STREAM or SOCK_DGRAM
  uint32_t uid;  // the connecting process's uid
  Dest expect_peer;
  bool captured;  // counted, and SO_ORIGINAL_DST names the original destination
};

void PrintTo(const ConnectCase& c, std::ostream* os) { *os << c.name; }

// What the child in the cgroup saw, sent back through a pipe.
struct Seen {
  int connect_errno = -1;
  sockaddr_in peer{};
  int orig_errno = -1;  // getsockopt(SO_ORIGINAL_DST) on the accepted socket
  sockaddr_in orig{};
};

sockaddr_in addr(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &a.sin_addr);
  a.sin_port = htons(port);
  return a;
}

std::string text(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

int listener(const sockaddr_in& a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;  // the previous case's connections linger in TIME_WAIT on the same ports
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 || bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 8) != 0) return -1;
  return fd;
}

class SockmapConnect4 : public ::testing::TestWithParam<ConnectCase> {
 protected:
  void SetUp() override {
    if (auto why = enter_private_netns(); !why.empty()) GTEST_SKIP() << why;
    sh_ok("ip link set lo up");
    std::string prefix = unique_prefix("nasc");
    cgroup_ = "/sys/fs/cgroup/unified/netaccel-test-" + prefix;
    pin_root_ = "/sys/fs/bpf/netaccel-test-" + prefix;
    ASSERT_EQ(mkdir(cgroup_.c_str(), 0755), 0) << cgroup_ << ": " << strerror(errno);
    struct stat st{};
    ASSERT_EQ(stat(cgroup_.c_str(), &st), 0);
    cgroup_id_ = st.st_ino;
    sockmap::SidecarOptions sidecar;
    sidecar.enabled = true;
    sidecar.outbound_port = kProxyPort;
    sidecar.proxy_uid = kProxyUid;
    auto dp = sockmap::BpfSockmap::open(pin_root_, sidecar);
    ASSERT_TRUE(dp) << dp.error().message;
    dp_ = std::move(*dp);
    auto st2 = dp_->enable({cgroup_id_, cgroup_});
    ASSERT_TRUE(st2) << st2.error().message;
  }

  void TearDown() override {
    if (dp_) {
      (void)dp_->disable(cgroup_id_);
      dp_.reset();
      (void)sockmap::BpfSockmap::purge(pin_root_);
      rmdir(pin_root_.c_str());
    }
    if (!cgroup_.empty()) rmdir(cgroup_.c_str());
  }

  static sockaddr_in where(Dest d) {
    return d == Dest::Service ? addr("10.96.0.10", 80) : d == Dest::App ? addr("127.0.0.2", kAppPort) : addr("127.0.0.1", kProxyPort);
  }

  // Forks a child that joins the cgroup, opens the proxy's and the application's listeners
  // there (an accepted socket belongs to its listener's cgroup, and the proxy runs in the
  // enabled cgroup), becomes uid, connects to dst and, for TCP, accepts on the listener it
  // reached, as the proxy would, and asks SO_ORIGINAL_DST.
  Seen connect_from_cgroup(const sockaddr_in& dst, int type, uint32_t uid) {
    int p[2];
    if (pipe(p) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      Seen s;
      std::ofstream(cgroup_ + "/cgroup.procs") << 0;  // 0: the writer itself
      int proxy_fd = listener(where(Dest::Proxy));
      int app_fd = listener(where(Dest::App));
      if (proxy_fd < 0 || app_fd < 0) _exit(2);
      if (uid != 0 && setresuid(uid, uid, uid) != 0) _exit(3);
      int fd = socket(AF_INET, type, 0);
      s.connect_errno = connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof(dst)) == 0 ? 0 : errno;
      socklen_t len = sizeof(s.peer);
      getpeername(fd, reinterpret_cast<sockaddr*>(&s.peer), &len);
      if (s.connect_errno == 0 && type == SOCK_STREAM) {
        int lfd = s.peer.sin_port == htons(kProxyPort) ? proxy_fd : app_fd;
        int afd = accept(lfd, nullptr, nullptr);
        len = sizeof(s.orig);
        s.orig_errno = getsockopt(afd, SOL_IP, SO_ORIGINAL_DST, &s.orig, &len) == 0 ? 0 : errno;
      }
      _exit(write(p[1], &s, sizeof(s)) == sizeof(s) ? 0 : 1);
    }
    close(p[1]);
    Seen s;
    bool got = pid > 0 && read(p[0], &s, sizeof(s)) == sizeof(s);
    close(p[0]);
    int status = -1;
    if (pid > 0) waitpid(pid, &status, 0);
    EXPECT_TRUE(got && WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child in the cgroup did not report (status " << status << ")";
    return s;
  }

  std::string cgroup_, pin_root_;
  uint64_t cgroup_id_ = 0;
  std::unique_ptr<sockmap::BpfSockmap> dp_;
};

TEST_P(SockmapConnect4, RewritesOrLeavesTheDestination) {
  const auto& c = GetParam();
  const sockaddr_in dst = where(c.dst);
  const uint64_t before = dp_->stats()[SM_STAT_SIDECAR_REDIRECTED];
  Seen s = connect_from_cgroup(dst, c.type, c.uid);
  ASSERT_EQ(s.connect_errno, 0) << "connect to " << text(dst) << ": " << strerror(s.connect_errno);
  EXPECT_EQ(text(s.peer), text(where(c.expect_peer)));
  EXPECT_EQ(dp_->stats()[SM_STAT_SIDECAR_REDIRECTED] - before, c.captured ? 1u : 0u);
  if (c.captured) {
    ASSERT_EQ(s.orig_errno, 0) << strerror(s.orig_errno);
    EXPECT_EQ(text(s.orig), text(dst)) << "SO_ORIGINAL_DST on the proxy's socket";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SockmapConnect4,
    ::testing::Values(ConnectCase{"service_to_proxy", Dest::Service, SOCK_STREAM, 0, Dest::Proxy, true},
                      ConnectCase{"loopback_app_to_proxy", Dest::App, SOCK_STREAM, 0, Dest::Proxy, true},
                      ConnectCase{"already_to_proxy", Dest::Proxy, SOCK_STREAM, 0, Dest::Proxy, false},
                      ConnectCase{"proxy_uid_goes_direct", Dest::App, SOCK_STREAM, kProxyUid, Dest::App, false},
                      ConnectCase{"udp_left_alone", Dest::App, SOCK_DGRAM, 0, Dest::App, false}),
    [](const auto& info) { return info.param.name; });
}  // namespace

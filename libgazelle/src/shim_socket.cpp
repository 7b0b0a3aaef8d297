// POSIX shim, socket lifecycle and options. A socket starts on the kernel; it moves to the user
// stack when it is bound to host_addr, or connects (or sends, for UDP) to an address inside
// host_addr/mask_addr (or through gateway_addr while bound to host_addr). Everything else —
// unix sockets, loopback, IPv6, other addresses, files, pipes — stays with the kernel.
#include <fcntl.h>
#include <netinet/tcp.h>
#undef TCP_MSS  // the BSD constant; lwIP's TCP_MSS (lwipopts.h) is the one meant here
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdarg>
#include <cstring>

#include "shim_common.h"

namespace gazelle::shim {
namespace {

int kernel_type(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (real().getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return -1;
  return type;
}

int kernel_int_opt(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof(v);
  return real().getsockopt(fd, level, name, &v, &len) < 0 ? 0 : v;
}

bool user_candidate(const Runtime& rt) { return !Runtime::inside() && rt.enabled() && !rt.in_child(); }

// A new user-stack socket for kernel fd (lock held), carrying options set before the move.
std::shared_ptr<Sock> adopt(int fd, int type) {
  bool nonblock = real().fcntl(fd, F_GETFL) & O_NONBLOCK;
  auto s = std::make_shared<Sock>(type, nonblock);
  s->set_reuseaddr(kernel_int_opt(fd, SOL_SOCKET, SO_REUSEADDR));
  if (type == SOCK_STREAM) s->set_nodelay(kernel_int_opt(fd, IPPROTO_TCP, TCP_NODELAY));
  return s;
}

// Does a connect/sendto from kernel socket fd to dst belong on the user stack?
bool routes_to_user(const Runtime& rt, int fd, const sockaddr_in& dst) {
  const Config& c = rt.config();
  if (dst.sin_addr.s_addr == c.host_addr || !c.in_subnet(dst.sin_addr.s_addr)) return false;
  sockaddr_in local{};
  socklen_t len = sizeof(local);
  // Explicitly bound to some kernel address: the application chose the kernel.
  if (real().getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 && local.sin_family == AF_INET &&
      (local.sin_addr.s_addr != INADDR_ANY || local.sin_port != 0))
    return false;
  return true;
}

int connect_user(Locked& l, Sock& s, const sockaddr_in& dst) {
  int rc = s.connect(dst);
  Runtime::get().stack()->flush();
  if (rc != -EINPROGRESS || s.nonblock()) return rc;
  int w = wait_for(l, s, EPOLLOUT | EPOLLERR | EPOLLHUP, -1);
  if (w < 0) return w;
  return s.connect_result();
}

int do_accept(int fd, sockaddr* addr, socklen_t* addrlen, int flags) {
  auto& rt = Runtime::get();
  Locked l;
  auto s = lookup(rt, fd);
  if (!s) return -EBADF;
  if (!s->listening()) return -EINVAL;
  std::shared_ptr<Sock> conn;
  rt.stack()->poll();
  for (;;) {
    int rc = s->accept(&conn);
    if (rc == 0) break;
    if (rc != -EAGAIN || s->nonblock()) return rc;
    if (int w = wait_for(l, *s, EPOLLIN, -1); w < 0) return w;
  }
  // The application needs an fd number; a kernel socket reserves it (and answers fstat).
  int nfd = real().socket(AF_INET, SOCK_STREAM | (flags & SOCK_CLOEXEC) | (flags & SOCK_NONBLOCK), 0);
  if (nfd < 0) {
    conn->abort();
    return -errno;
  }
  if (nfd >= kMaxFds) {
    real().close(nfd);
    conn->abort();
    return -EMFILE;
  }
  conn->set_nonblock(flags & SOCK_NONBLOCK);
  if (addr && addrlen) {
    sockaddr_in peer{};
    conn->getpeername(&peer);
    memcpy(addr, &peer, std::min<socklen_t>(*addrlen, sizeof(peer)));
    *addrlen = sizeof(peer);
  }
  rt.install(nfd, std::move(conn));
  return nfd;
}

}  // namespace
}  // namespace gazelle::shim

using namespace gazelle;
using namespace gazelle::shim;

extern "C" {

int socket(int domain, int type, int protocol) {
  // Sockets are born on the kernel; bind() or connect() decides where they live.
  return real().socket(domain, type, protocol);
}

int bind(int fd, const sockaddr* addr, socklen_t len) {
  auto& rt = Runtime::get();
  if (!user_candidate(rt) || !addr || addr->sa_family != AF_INET || len < sizeof(sockaddr_in))
    return real().bind(fd, addr, len);
  sockaddr_in in;
  memcpy(&in, addr, sizeof(in));
  if (in.sin_addr.s_addr != rt.config().host_addr) return real().bind(fd, addr, len);
  Locked l;
  if (auto s = rt.sock(fd)) return posix_result(s->bind(in));
  int type = kernel_type(fd);
  if ((type != SOCK_STREAM && type != SOCK_DGRAM) || fd >= kMaxFds || !rt.ensure_stack())
    return real().bind(fd, addr, len);
  auto s = adopt(fd, type);
  if (int rc = s->bind(in)) return posix_result(rc);
  rt.install(fd, std::move(s));
  return 0;
}

int listen(int fd, int backlog) {
  if (!is_user(fd)) return real().listen(fd, backlog);
  auto& rt = Runtime::get();
  Locked l;
  auto s = lookup(rt, fd);
  if (!s) return posix_result(-EBADF);
  return posix_result(s->listen(backlog));
}

int accept(int fd, sockaddr* addr, socklen_t* addrlen) {
  if (!is_user(fd)) return real().accept(fd, addr, addrlen);
  return posix_result(do_accept(fd, addr, addrlen, 0));
}

int accept4(int fd, sockaddr* addr, socklen_t* addrlen, int flags) {
  if (!is_user(fd)) return real().accept4(fd, addr, addrlen, flags);
  return posix_result(do_accept(fd, addr, addrlen, flags));
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
  auto& rt = Runtime::get();
  if (!user_candidate(rt) || !addr || len < sizeof(sockaddr_in) ||
      (addr->sa_family != AF_INET && !(addr->sa_family == AF_UNSPEC && is_user(fd))))
    return real().connect(fd, addr, len);
  sockaddr_in dst;
  memcpy(&dst, addr, sizeof(dst));
  Locked l;
  if (auto s = rt.sock(fd)) return posix_result(connect_user(l, *s, dst));
  if (!routes_to_user(rt, fd, dst)) return real().connect(fd, addr, len);
  int type = kernel_type(fd);
  if ((type != SOCK_STREAM && type != SOCK_DGRAM) || fd >= kMaxFds || !rt.ensure_stack())
    return real().connect(fd, addr, len);
  auto s = adopt(fd, type);
  rt.install(fd, s);
  return posix_result(connect_user(l, *s, dst));
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* to, socklen_t tolen) {
  auto& rt = Runtime::get();
  if (!is_user(fd)) {
    if (!user_candidate(rt) || !to || to->sa_family != AF_INET || tolen < sizeof(sockaddr_in))
      return real().sendto(fd, buf, n, flags, to, tolen);
    sockaddr_in dst;
    memcpy(&dst, to, sizeof(dst));
    Locked l;
    // An unbound UDP socket sending into the user stack's subnet moves there.
    if (rt.sock(fd) == nullptr) {
      if (!routes_to_user(rt, fd, dst) || kernel_type(fd) != SOCK_DGRAM || fd >= kMaxFds || !rt.ensure_stack())
        return real().sendto(fd, buf, n, flags, to, tolen);
      rt.install(fd, adopt(fd, SOCK_DGRAM));
    }
  }
  iovec v{const_cast<void*>(buf), n};
  return posix_result(user_send(fd, &v, 1, flags, to, tolen));
}

int close(int fd) {
  if (Runtime::inside()) return real().close(fd);
  FdKind k = Runtime::kind(fd);
  if (k == FdKind::kernel) return real().close(fd);
  auto& rt = Runtime::get();
  {
    Locked l;
    if (k == FdKind::epoll) {
      rt.forget_epoll_set(fd);
    } else if (auto last = rt.uninstall(fd); last && !rt.in_child()) {
      last->close();
      rt.stack()->flush();
    }
  }
  return real().close(fd);
}

int shutdown(int fd, int how) {
  if (!is_user(fd)) return real().shutdown(fd, how);
  auto& rt = Runtime::get();
  Locked l;
  auto s = lookup(rt, fd);
  if (!s) return posix_result(-EBADF);
  int rc = s->shutdown(how);
  rt.stack()->flush();
  return posix_result(rc);
}

int getsockname(int fd, sockaddr* addr, socklen_t* len) {
  if (!is_user(fd)) return real().getsockname(fd, addr, len);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return posix_result(-EBADF);
  sockaddr_in a{};
  s->getsockname(&a);
  memcpy(addr, &a, std::min<socklen_t>(*len, sizeof(a)));
  *len = sizeof(a);
  return 0;
}

int getpeername(int fd, sockaddr* addr, socklen_t* len) {
  if (!is_user(fd)) return real().getpeername(fd, addr, len);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return posix_result(-EBADF);
  sockaddr_in a{};
  if (int rc = s->getpeername(&a)) return posix_result(rc);
  memcpy(addr, &a, std::min<socklen_t>(*len, sizeof(a)));
  *len = sizeof(a);
  return 0;
}

int getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
  if (!is_user(fd)) return real().getsockopt(fd, level, name, val, len);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return posix_result(-EBADF);
  auto put_int = [&](int v) {
    if (*len < sizeof(int)) return posix_result(-EINVAL);
    memcpy(val, &v, sizeof(v));
    *len = sizeof(v);
    return 0L;
  };
  if (level == SOL_SOCKET && name == SO_ERROR) return put_int(s->take_error());
  if (level == SOL_SOCKET && name == SO_ACCEPTCONN) return put_int(s->listening());
  if (level == SOL_SOCKET && name == SO_RCVBUF) return put_int(TCP_WND);
  if (level == SOL_SOCKET && name == SO_SNDBUF) return put_int(TCP_SND_BUF);
  if (level == IPPROTO_TCP && name == TCP_NODELAY) return put_int(s->nodelay());
  if (level == IPPROTO_TCP && name == TCP_INFO) {
    tcp_info info{};
    info.tcpi_state = static_cast<uint8_t>(s->tcp_state());
    info.tcpi_snd_mss = TCP_MSS;
    info.tcpi_rcv_mss = TCP_MSS;
    memcpy(val, &info, std::min<socklen_t>(*len, sizeof(info)));
    *len = std::min<socklen_t>(*len, sizeof(info));
    return 0;
  }
  // Type, domain, protocol and the rest: the placeholder kernel socket answers alike.
  return real().getsockopt(fd, level, name, val, len);
}

int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  if (!is_user(fd)) return real().setsockopt(fd, level, name, val, len);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return posix_result(-EBADF);
  int v = 0;
  if (len >= sizeof(int)) memcpy(&v, val, sizeof(v));
  if (level == IPPROTO_TCP && name == TCP_NODELAY) return posix_result(s->set_nodelay(v));
  if (level == SOL_SOCKET && name == SO_KEEPALIVE) s->set_keepalive(v);
  if (level == SOL_SOCKET && name == SO_REUSEADDR) s->set_reuseaddr(v);
  if (level == SOL_SOCKET && name == SO_LINGER && len >= sizeof(linger)) {
    linger lg;
    memcpy(&lg, val, sizeof(lg));
    s->set_linger_abort(lg.l_onoff && lg.l_linger == 0);
  }
  // Options lwIP has no use for are still checked (and remembered) by the placeholder.
  return real().setsockopt(fd, level, name, val, len);
}

static int user_fcntl(int fd, int cmd, long arg) {
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return static_cast<int>(posix_result(-EBADF));
  if (cmd == F_SETFL) s->set_nonblock(arg & O_NONBLOCK);
  int rc = real().fcntl(fd, cmd, arg);
  if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
    if (rc >= kMaxFds) {
      real().close(rc);
      return static_cast<int>(posix_result(-EMFILE));
    }
    Runtime::get().install(rc, s);
  }
  return rc;
}

static int any_fcntl(int fd, int cmd, long arg) { return is_user(fd) ? user_fcntl(fd, cmd, arg) : real().fcntl(fd, cmd, arg); }

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return any_fcntl(fd, cmd, arg);
}

// glibc's name for the same call in programs built with 64-bit file offsets.
int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return any_fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (!is_user(fd) || (req != FIONBIO && req != FIONREAD)) return real().ioctl(fd, req, arg);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return static_cast<int>(posix_result(-EBADF));
  if (req == FIONBIO) {
    s->set_nonblock(*static_cast<int*>(arg) != 0);
    return real().ioctl(fd, req, arg);
  }
  Runtime::get().stack()->poll();
  *static_cast<int*>(arg) = static_cast<int>(s->rx_available());
  return 0;
}

int dup(int fd) {
  if (!is_user(fd)) return real().dup(fd);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return static_cast<int>(posix_result(-EBADF));
  int nfd = real().dup(fd);
  if (nfd >= 0 && nfd < kMaxFds) Runtime::get().install(nfd, s);
  return nfd;
}

static int dup_onto(int fd, int nfd, int flags) {
  if (fd == nfd) return flags >= 0 ? static_cast<int>(posix_result(-EINVAL)) : nfd;
  if (Runtime::kind(nfd) != FdKind::kernel) close(nfd);  // dup2 closes the target first
  if (!is_user(fd)) return flags >= 0 ? real().dup3(fd, nfd, flags) : real().dup2(fd, nfd);
  Locked l;
  auto s = lookup(Runtime::get(), fd);
  if (!s) return static_cast<int>(posix_result(-EBADF));
  int rc = flags >= 0 ? real().dup3(fd, nfd, flags) : real().dup2(fd, nfd);
  if (rc >= 0 && rc < kMaxFds) Runtime::get().install(rc, s);
  return rc;
}

int dup2(int fd, int nfd) { return Runtime::inside() ? real().dup2(fd, nfd) : dup_onto(fd, nfd, -1); }
int dup3(int fd, int nfd, int flags) { return Runtime::inside() ? real().dup3(fd, nfd, flags) : dup_onto(fd, nfd, flags); }

}  // extern "C"

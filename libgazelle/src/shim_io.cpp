// POSIX shim, data transfer: read/write and their socket-flavoured relatives, sendfile. Calls
// on kernel fds go straight to the C library after one array look-up.
#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "shim_common.h"

namespace gazelle::shim {

std::shared_ptr<Sock> lookup(Runtime& rt, int fd) {
  if (rt.in_child()) return nullptr;
  return rt.sock(fd);
}

namespace {
// The part of iov after its first `skip` bytes (a partial transfer's remainder), in rest.
int iov_after(const iovec* iov, int iovcnt, size_t skip, std::vector<iovec>& rest, const iovec** out) {
  rest.clear();
  for (int i = 0; i < iovcnt; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    rest.push_back({static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip});
    skip = 0;
  }
  *out = rest.data();
  return static_cast<int>(rest.size());
}
}  // namespace

int wait_for(Locked& l, Sock& s, uint32_t events, int timeout_ms) {
  auto& rt = Runtime::get();
  return rt.wait(l.lock(), timeout_ms, [&] { return (s.ready() & events) != 0; });
}

ssize_t user_recv(int fd, const iovec* iov, int iovcnt, int flags, sockaddr* from, socklen_t* fromlen,
                  int* msg_flags) {
  auto& rt = Runtime::get();
  Locked l;
  auto s = lookup(rt, fd);
  if (!s) return -EBADF;
  bool nonblock = s->nonblock() || (flags & MSG_DONTWAIT);
  size_t want = 0;
  for (int i = 0; i < iovcnt; ++i) want += iov[i].iov_len;
  rt.stack()->poll();  // run to completion: every call moves the stack forward
  ssize_t got = 0;
  for (;;) {
    sockaddr_in peer{};
    bool trunc = false;
    // MSG_WAITALL on a stream: keep filling the rest of the buffer.
    std::vector<iovec> rest;
    const iovec* v = iov;
    int n = iovcnt;
    if (got > 0) n = iov_after(iov, iovcnt, static_cast<size_t>(got), rest, &v);
    ssize_t rc = s->recv(v, n, flags & ~MSG_DONTWAIT, &peer, &trunc);
    if (rc >= 0) {
      if (from && fromlen) {
        socklen_t len = std::min<socklen_t>(*fromlen, sizeof(peer));
        memcpy(from, &peer, len);
        *fromlen = sizeof(peer);
      }
      if (msg_flags) *msg_flags = trunc ? MSG_TRUNC : 0;
      got += rc;
      bool waitall = (flags & MSG_WAITALL) && s->type() == SOCK_STREAM && !(flags & MSG_PEEK);
      if (!waitall || rc == 0 || static_cast<size_t>(got) >= want) return got;
    } else if (rc != -EAGAIN || nonblock) {
      return got ? got : rc;
    }
    if (int w = wait_for(l, *s, EPOLLIN | EPOLLERR | EPOLLHUP, -1); w < 0) return got ? got : w;
  }
}

ssize_t user_send(int fd, const iovec* iov, int iovcnt, int flags, const sockaddr* to, socklen_t tolen) {
  auto& rt = Runtime::get();
  Locked l;
  auto s = lookup(rt, fd);
  if (!s) return -EBADF;
  sockaddr_in dst{};
  const sockaddr_in* dstp = nullptr;
  if (to && s->type() == SOCK_DGRAM) {
    if (tolen < sizeof(sockaddr_in) || to->sa_family != AF_INET) return -EINVAL;
    memcpy(&dst, to, sizeof(dst));
    dstp = &dst;
  }
  bool nonblock = s->nonblock() || (flags & MSG_DONTWAIT);
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
  size_t sent = 0;
  std::vector<iovec> rest;
  for (;;) {
    const iovec* v = iov;
    int n = iovcnt;
    if (sent) n = iov_after(iov, iovcnt, sent, rest, &v);
    ssize_t rc = s->send(v, n, dstp);
    rt.stack()->flush();
    if (rc > 0) sent += static_cast<size_t>(rc);
    if (sent == total && (rc >= 0 || sent)) return static_cast<ssize_t>(sent);
    if (rc < 0 && rc != -EAGAIN) {
      if (sent) return static_cast<ssize_t>(sent);
      if (rc == -EPIPE && !(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
      return rc;
    }
    if (nonblock) return sent ? static_cast<ssize_t>(sent) : -EAGAIN;
    rt.stack()->poll();
    if (int w = wait_for(l, *s, EPOLLOUT | EPOLLERR | EPOLLHUP, -1); w < 0) return sent ? static_cast<ssize_t>(sent) : w;
  }
}

}  // namespace gazelle::shim

using gazelle::real;
using gazelle::shim::is_user;
using gazelle::shim::posix_result;
using gazelle::shim::user_recv;
using gazelle::shim::user_send;

extern "C" {

ssize_t read(int fd, void* buf, size_t n) {
  if (!is_user(fd)) return real().read(fd, buf, n);
  iovec v{buf, n};
  return posix_result(user_recv(fd, &v, 1, 0, nullptr, nullptr, nullptr));
}

ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) abort();  // what glibc's fortify check does
  return read(fd, buf, n);
}

ssize_t readv(int fd, const iovec* iov, int iovcnt) {
  if (!is_user(fd)) return real().readv(fd, iov, iovcnt);
  return posix_result(user_recv(fd, iov, iovcnt, 0, nullptr, nullptr, nullptr));
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!is_user(fd)) return real().recv(fd, buf, n, flags);
  iovec v{buf, n};
  return posix_result(user_recv(fd, &v, 1, flags, nullptr, nullptr, nullptr));
}

ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) abort();
  return recv(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* fromlen) {
  if (!is_user(fd)) return real().recvfrom(fd, buf, n, flags, from, fromlen);
  iovec v{buf, n};
  return posix_result(user_recv(fd, &v, 1, flags, from, fromlen, nullptr));
}

ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags, sockaddr* from, socklen_t* fromlen) {
  if (n > buflen) abort();
  return recvfrom(fd, buf, n, flags, from, fromlen);
}

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (!is_user(fd)) return real().recvmsg(fd, msg, flags);
  msg->msg_controllen = 0;
  socklen_t len = msg->msg_namelen;
  ssize_t rc = user_recv(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), flags,
                         static_cast<sockaddr*>(msg->msg_name), msg->msg_name ? &len : nullptr, &msg->msg_flags);
  if (rc >= 0 && msg->msg_name) msg->msg_namelen = len;
  return posix_result(rc);
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (!is_user(fd)) return real().write(fd, buf, n);
  iovec v{const_cast<void*>(buf), n};
  return posix_result(user_send(fd, &v, 1, 0, nullptr, 0));
}

ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  if (!is_user(fd)) return real().writev(fd, iov, iovcnt);
  return posix_result(user_send(fd, iov, iovcnt, 0, nullptr, 0));
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!is_user(fd)) return real().send(fd, buf, n, flags);
  iovec v{const_cast<void*>(buf), n};
  return posix_result(user_send(fd, &v, 1, flags, nullptr, 0));
}

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (!is_user(fd)) return real().sendmsg(fd, msg, flags);
  return posix_result(user_send(fd, msg->msg_iov, static_cast<int>(msg->msg_iovlen), flags,
                                static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen));
}

ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  if (!is_user(out_fd)) return real().sendfile(out_fd, in_fd, offset, count);
  // The user stack has no page cache path: read the file and send the bytes.
  char buf[64 * 1024];
  size_t done = 0;
  while (done < count) {
    size_t want = std::min(sizeof(buf), count - done);
    ssize_t got = offset ? pread(in_fd, buf, want, *offset) : real().read(in_fd, buf, want);
    if (got < 0) return done ? static_cast<ssize_t>(done) : -1;
    if (got == 0) break;
    iovec v{buf, static_cast<size_t>(got)};
    ssize_t sent = user_send(out_fd, &v, 1, MSG_NOSIGNAL, nullptr, 0);
    if (sent < 0) {
      if (!offset) lseek(in_fd, -got, SEEK_CUR);
      if (done) return static_cast<ssize_t>(done);
      return posix_result(sent);
    }
    if (offset) *offset += sent;
    else if (sent < got) lseek(in_fd, sent - got, SEEK_CUR);
    done += static_cast<size_t>(sent);
    if (sent < got) break;  // socket full: the caller comes back when it is writable
  }
  return static_cast<ssize_t>(done);
}

ssize_t sendfile64(int out_fd, int in_fd, off_t* offset, size_t count) { return sendfile(out_fd, in_fd, offset, count); }

}  // extern "C"

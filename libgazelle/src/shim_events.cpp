// POSIX shim, readiness: epoll, poll, select. User-stack sockets have no kernel readiness, so
// their interest lives in the runtime and is answered after running the stack; kernel fds in
// the same set are asked of the kernel in the same call. While nothing is ready the caller
// sleeps in the kernel on its own set plus the back end's wait fd, so frames wake it.
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "shim_common.h"

namespace gazelle::shim {
namespace {

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int remaining(long deadline) {
  if (deadline < 0) return -1;
  long left = deadline - now_ms();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Slice of a wait: never past lwIP's next timer (retransmissions, delayed ACKs).
int slice(Runtime& rt, int left) {
  int t = rt.stack() ? rt.stack()->next_timer_ms() : 100;
  if (rt.stack() && rt.stack()->wait_fd() < 0) t = 0;  // busy-poll back end
  return left < 0 ? t : std::min(left, t);
}

// Busy-poll back ends (no wait fd): spin a while for latency, then nap so an idle application
// leaves the CPU to others.
void idle_round(unsigned* idle) {
  if (++*idle < 256) return;
  timespec ts{0, 50 * 1000};
  nanosleep(&ts, nullptr);
}

// Collects ready user sockets of set into out[0..max); lock held, stack just polled. The scan
// starts where the previous one stopped, so with more ready sockets than `max` none starves
// (the kernel keeps a FIFO ready list for the same reason).
int collect_user(Runtime& rt, EpollSet& set, epoll_event* out, int max) {
  int n = 0;
  auto start = set.user.lower_bound(set.resume_fd);
  auto it = start;
  for (size_t seen = 0; seen < set.user.size() && n < max; ++seen, ++it) {
    if (it == set.user.end()) it = set.user.begin();
    auto& [fd, in] = *it;
    if (in.disarmed) continue;
    auto s = rt.sock(fd);
    if (!s) continue;
    uint32_t want = in.ev.events | EPOLLERR | EPOLLHUP;
    uint32_t got = s->ready() & want;
    if (!got) continue;
    if (in.ev.events & EPOLLET) {
      if (in.reported_gen == s->generation()) continue;
      in.reported_gen = s->generation();
    }
    if (in.ev.events & EPOLLONESHOT) in.disarmed = true;
    out[n].events = got;
    out[n].data = in.ev.data;
    ++n;
    set.resume_fd = fd + 1;
  }
  return n;
}

// Drops the wake cookie from kernel results.
int drop_wake(epoll_event* ev, int n) {
  int k = 0;
  for (int i = 0; i < n; ++i)
    if (ev[i].data.u64 != kWakeCookie) ev[k++] = ev[i];
  return k;
}

int user_epoll_wait(int epfd, epoll_event* events, int max, int timeout, const sigset_t* mask) {
  auto& rt = Runtime::get();
  if (max <= 0) return static_cast<int>(posix_result(-EINVAL));
  long deadline = timeout < 0 ? -1 : now_ms() + timeout;
  auto kernel_wait = [&](epoll_event* ev, int n, int ms) {
    return mask ? real().epoll_pwait(epfd, ev, n, ms, mask) : real().epoll_wait(epfd, ev, n, ms);
  };
  const uint64_t signals = signal_counts().any;
  unsigned idle = 0;
  for (;;) {
    // A handler that ran while we polled in user space interrupted no system call.
    if (signal_counts().any != signals) return static_cast<int>(posix_result(-EINTR));
    int n = 0;
    bool has_user = false;
    {
      Locked l;
      EpollSet* set = rt.find_epoll_set(epfd);
      has_user = set && !set->user.empty() && rt.stack();
      if (has_user) {
        rt.stack()->poll();
        n = collect_user(rt, *set, events, max);
      }
    }
    if (!has_user) return kernel_wait(events, max, remaining(deadline));
    if (n > 0) {  // add what the kernel has now, without waiting
      int k = n < max ? kernel_wait(events + n, max - n, 0) : 0;
      return n + (k > 0 ? drop_wake(events + n, k) : 0);
    }
    int left = remaining(deadline);
    int sl = slice(rt, left);
    int k = kernel_wait(events, max, sl);
    if (k < 0) return k;
    k = drop_wake(events, k);
    if (k == 0 && sl == 0 && left != 0) idle_round(&idle);
    if (k > 0) {
      Locked l;
      EpollSet* set = rt.find_epoll_set(epfd);
      if (set && rt.stack()) {
        rt.stack()->poll();
        k += collect_user(rt, *set, events + k, max - k);
      }
      return k;
    }
    if (left == 0) return 0;
  }
}

// poll() over a mix of user and kernel fds.
int user_poll(pollfd* fds, nfds_t nfds, int timeout, const sigset_t* mask) {
  auto& rt = Runtime::get();
  long deadline = timeout < 0 ? -1 : now_ms() + timeout;
  std::vector<pollfd> kfds;
  std::vector<nfds_t> kidx;
  int wfd = -1;
  {
    Locked l;
    wfd = rt.stack() ? rt.stack()->wait_fd() : -1;
  }
  for (nfds_t i = 0; i < nfds; ++i) {
    fds[i].revents = 0;
    if (Runtime::kind(fds[i].fd) != FdKind::user) {
      kfds.push_back(fds[i]);
      kidx.push_back(i);
    }
  }
  size_t nk = kfds.size();
  if (wfd >= 0) kfds.push_back({wfd, POLLIN, 0});
  auto kernel_poll = [&](int ms) {
    if (!mask) return real().poll(kfds.data(), kfds.size(), ms);
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    return real().ppoll(kfds.data(), kfds.size(), ms < 0 ? nullptr : &ts, mask);
  };
  auto user_ready = [&]() {
    int n = 0;
    Locked l;
    if (rt.stack()) rt.stack()->poll();
    for (nfds_t i = 0; i < nfds; ++i) {
      if (Runtime::kind(fds[i].fd) != FdKind::user) continue;
      auto s = lookup(rt, fds[i].fd);
      if (!s) {
        fds[i].revents = POLLNVAL;
        ++n;
        continue;
      }
      uint32_t r = s->ready();
      short rev = 0;
      if ((r & EPOLLIN) && (fds[i].events & (POLLIN | POLLRDNORM))) rev |= fds[i].events & (POLLIN | POLLRDNORM);
      if ((r & EPOLLOUT) && (fds[i].events & (POLLOUT | POLLWRNORM))) rev |= fds[i].events & (POLLOUT | POLLWRNORM);
      if ((r & EPOLLRDHUP) && (fds[i].events & POLLRDHUP)) rev |= POLLRDHUP;
      if (r & EPOLLERR) rev |= POLLERR;
      if (r & EPOLLHUP) rev |= POLLHUP;
      fds[i].revents = rev;
      if (rev) ++n;
    }
    return n;
  };
  auto merge_kernel = [&]() {
    int n = 0;
    for (size_t j = 0; j < nk; ++j) {
      fds[kidx[j]].revents = kfds[j].revents;
      if (kfds[j].revents) ++n;
    }
    return n;
  };
  const uint64_t signals = signal_counts().any;
  unsigned idle = 0;
  for (;;) {
    if (signal_counts().any != signals) return static_cast<int>(posix_result(-EINTR));
    int n = user_ready();
    if (n > 0) {
      if (nk && kernel_poll(0) > 0) n += merge_kernel();
      return n;
    }
    int left = remaining(deadline);
    int sl = slice(rt, left);
    int k = kernel_poll(sl);
    if (k < 0) return k;
    int m = merge_kernel();
    if (m > 0) return m + user_ready();
    if (sl == 0 && left != 0) idle_round(&idle);
    if (left == 0) return 0;
  }
}

bool any_user(const pollfd* fds, nfds_t nfds) {
  for (nfds_t i = 0; i < nfds; ++i)
    if (Runtime::kind(fds[i].fd) == FdKind::user) return true;
  return false;
}

bool any_user(int nfds, fd_set* r, fd_set* w, fd_set* e) {
  for (int fd = 0; fd < nfds; ++fd)
    if (Runtime::kind(fd) == FdKind::user && ((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (e && FD_ISSET(fd, e))))
      return true;
  return false;
}

// select() as poll(): same semantics, one implementation of the mixed wait.
int select_as_poll(int nfds, fd_set* r, fd_set* w, fd_set* e, int timeout_ms, const sigset_t* mask) {
  std::vector<pollfd> p;
  for (int fd = 0; fd < nfds; ++fd) {
    short ev = 0;
    if (r && FD_ISSET(fd, r)) ev |= POLLIN;
    if (w && FD_ISSET(fd, w)) ev |= POLLOUT;
    if (e && FD_ISSET(fd, e)) ev |= POLLPRI;
    if (ev) p.push_back({fd, ev, 0});
  }
  int rc = user_poll(p.data(), p.size(), timeout_ms, mask);
  if (rc < 0) return rc;
  if (r) FD_ZERO(r);
  if (w) FD_ZERO(w);
  if (e) FD_ZERO(e);
  int count = 0;
  for (const auto& q : p) {
    if (q.revents & POLLNVAL) return static_cast<int>(posix_result(-EBADF));
    if (r && (q.revents & (POLLIN | POLLHUP | POLLERR))) { FD_SET(q.fd, r); ++count; }
    if (w && (q.revents & (POLLOUT | POLLERR))) { FD_SET(q.fd, w); ++count; }
    if (e && (q.revents & POLLPRI)) { FD_SET(q.fd, e); ++count; }
  }
  return count;
}

}  // namespace
}  // namespace gazelle::shim

using namespace gazelle;
using namespace gazelle::shim;

extern "C" {

int epoll_ctl(int epfd, int op, int fd, epoll_event* ev) {
  if (!is_user(fd)) return real().epoll_ctl(epfd, op, fd, ev);
  auto& rt = Runtime::get();
  Locked l;
  if (!lookup(rt, fd)) return static_cast<int>(posix_result(-EBADF));
  EpollSet& set = rt.epoll_set(epfd);
  if (!set.wait_fd_added && rt.stack() && rt.stack()->wait_fd() >= 0) {
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.u64 = kWakeCookie;
    if (real().epoll_ctl(epfd, EPOLL_CTL_ADD, rt.stack()->wait_fd(), &wake) < 0 && errno != EEXIST)
      return -1;
    set.wait_fd_added = true;
  }
  auto it = set.user.find(fd);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (it != set.user.end()) return static_cast<int>(posix_result(-EEXIST));
      if (!ev) return static_cast<int>(posix_result(-EFAULT));
      set.user[fd] = EpollInterest{*ev};
      return 0;
    case EPOLL_CTL_MOD:
      if (it == set.user.end()) return static_cast<int>(posix_result(-ENOENT));
      if (!ev) return static_cast<int>(posix_result(-EFAULT));
      it->second = EpollInterest{*ev};  // re-arms, and reports current state again
      return 0;
    case EPOLL_CTL_DEL:
      if (it == set.user.end()) return static_cast<int>(posix_result(-ENOENT));
      set.user.erase(it);
      return 0;
    default:
      return static_cast<int>(posix_result(-EINVAL));
  }
}

int epoll_wait(int epfd, epoll_event* events, int max, int timeout) {
  if (Runtime::inside() || Runtime::kind(epfd) != FdKind::epoll) return real().epoll_wait(epfd, events, max, timeout);
  return user_epoll_wait(epfd, events, max, timeout, nullptr);
}

int epoll_pwait(int epfd, epoll_event* events, int max, int timeout, const sigset_t* mask) {
  if (Runtime::inside() || Runtime::kind(epfd) != FdKind::epoll)
    return real().epoll_pwait(epfd, events, max, timeout, mask);
  return user_epoll_wait(epfd, events, max, timeout, mask);
}

int poll(pollfd* fds, nfds_t nfds, int timeout) {
  if (Runtime::inside() || !any_user(fds, nfds)) return real().poll(fds, nfds, timeout);
  return user_poll(fds, nfds, timeout, nullptr);
}

int __poll_chk(pollfd* fds, nfds_t nfds, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < nfds) abort();
  return poll(fds, nfds, timeout);
}

int ppoll(pollfd* fds, nfds_t nfds, const timespec* ts, const sigset_t* mask) {
  if (Runtime::inside() || !any_user(fds, nfds)) return real().ppoll(fds, nfds, ts, mask);
  int ms = ts ? static_cast<int>(ts->tv_sec * 1000 + ts->tv_nsec / 1000000) : -1;
  return user_poll(fds, nfds, ms, mask);
}

int select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* tv) {
  if (Runtime::inside() || !any_user(nfds, r, w, e)) return real().select(nfds, r, w, e, tv);
  int ms = tv ? static_cast<int>(tv->tv_sec * 1000 + tv->tv_usec / 1000) : -1;
  return select_as_poll(nfds, r, w, e, ms, nullptr);
}

int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const timespec* ts, const sigset_t* mask) {
  if (Runtime::inside() || !any_user(nfds, r, w, e)) return real().pselect(nfds, r, w, e, ts, mask);
  int ms = ts ? static_cast<int>(ts->tv_sec * 1000 + ts->tv_nsec / 1000000) : -1;
  return select_as_poll(nfds, r, w, e, ms, mask);
}

}  // extern "C"

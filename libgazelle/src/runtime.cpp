#include "runtime.h"

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "if_lock.h"
#include "real_calls.h"

namespace gazelle {

namespace {

// How long an exiting process keeps sending what it wrote to a peer that still acknowledges
// (a 100 MiB socat upload ends with a few MiB in flight; lwIP's buffers bound it).
constexpr int kExitLingerMs = 10000;

void say(const std::string& msg) {
  std::string line = "libgazelle[" + std::to_string(getpid()) + "]: " + msg + "\n";
  real().write(2, line.data(), line.size());
}

void atfork_prepare() { Runtime::get().mutex().lock(); }
void atfork_parent() { Runtime::get().mutex().unlock(); }
void atfork_child() {
  Runtime::get().mutex().unlock();
  Runtime::get().on_fork_child();
}
void at_exit() { Runtime::get().shutdown_at_exit(); }

// Busy-poll pause for back ends without a wait fd (DPDK): short enough to keep latency low,
// long enough that an idle application does not burn a core.
void idle_pause() {
  timespec ts{0, 50 * 1000};
  nanosleep(&ts, nullptr);
}

}  // namespace

Runtime& Runtime::get() {
  // Never destroyed: exit handlers and other libraries' destructors may still call in.
  static Runtime* rt = new Runtime();
  return *rt;
}

Runtime::Runtime() {
  Inside inside;
  owner_ = getpid();
  std::string path = config_path();
  if (!config_exists(path)) return;  // no config: a transparent library, everything on the kernel
  auto cfg = load_config(path);
  if (!cfg) {
    say("bad config, every socket stays on the kernel stack: " + cfg.error().what());
    return;
  }
  cfg_ = std::move(*cfg);
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  atexit(at_exit);
}

bool Runtime::in_child() const { return getpid() != owner_; }

bool Runtime::ensure_stack() {
  if (stack_) return true;
  if (!cfg_ || stack_failed_ || in_child()) return false;
  if (std::string ifname = interface_of(cfg_->dpdk_args, cfg_->xdp_eth_name); !ifname.empty()) {
    auto lock = lock_interface(cfg_->stats_dir, ifname);
    if (!lock) {
      stack_failed_ = true;
      say("cannot start the user stack, sockets stay on the kernel stack: " + lock.error().what());
      return false;
    }
    if_lock_ = std::move(*lock);
    remove_stale_steering(ifname);
  }
  auto io = cfg_->backend == Backend::dpdk ? open_dpdk(*cfg_) : open_af_xdp(*cfg_);
  if (!io) {
    stack_failed_ = true;
    say("cannot start the user stack, sockets stay on the kernel stack: " + io.error().what());
    return false;
  }
  in_addr a{cfg_->host_addr};
  char ip[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a, ip, sizeof(ip));
  stats_.reset(StatsFile::create(cfg_->stats_dir, (*io)->kind(), (*io)->name(), cfg_->host_addr));
  set_counters(stats_ ? stats_->data() : nullptr);
  stack_ = std::make_unique<Stack>(*cfg_, std::move(*io), stats_.get());
  set_connection_limit(cfg_->tcp_conn_count);
  say(std::string("user stack up: ") + ip + " on " + stack_->io().kind() + " " + stack_->io().name());
  return true;
}

std::shared_ptr<Sock> Runtime::sock(int fd) {
  auto it = fds_.find(fd);
  return it == fds_.end() ? nullptr : it->second;
}

void Runtime::install(int fd, std::shared_ptr<Sock> s) {
  fds_[fd] = std::move(s);
  kinds_[fd].store(static_cast<uint8_t>(FdKind::user), std::memory_order_release);
}

std::shared_ptr<Sock> Runtime::uninstall(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return nullptr;
  auto s = std::move(it->second);
  fds_.erase(it);
  kinds_[fd].store(static_cast<uint8_t>(FdKind::kernel), std::memory_order_release);
  for (auto& [epfd, set] : epolls_) set.user.erase(fd);
  for (const auto& [other, o] : fds_)
    if (o == s) return nullptr;  // a dup still names it
  return s;
}

EpollSet& Runtime::epoll_set(int epfd) {
  kinds_[epfd].store(static_cast<uint8_t>(FdKind::epoll), std::memory_order_release);
  return epolls_[epfd];
}

EpollSet* Runtime::find_epoll_set(int epfd) {
  auto it = epolls_.find(epfd);
  return it == epolls_.end() ? nullptr : &it->second;
}

void Runtime::forget_epoll_set(int epfd) {
  epolls_.erase(epfd);
  kinds_[epfd].store(static_cast<uint8_t>(FdKind::kernel), std::memory_order_release);
}

void Runtime::sleep_for_frames(std::unique_lock<std::mutex>& lk, int ms) {
  int wfd = stack_ ? stack_->wait_fd() : -1;
  lk.unlock();
  if (wfd >= 0) {
    pollfd p{wfd, POLLIN, 0};
    real().poll(&p, 1, ms);
  } else if (ms > 0) {
    idle_pause();
  }
  lk.lock();
}

void Runtime::on_fork_child() {
  // The child shares the parent's rings and lwIP memory but must not drive them: its user-stack
  // fds only close (see README, "fork and exec"); the parent keeps the stack and its stats file.
  if (stats_) stats_->forget();
  set_counters(nullptr);
  real().close(if_lock_.release());  // the lock is the parent's
}

void Runtime::linger_until_sent(std::unique_lock<std::mutex>& lk) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kExitLingerMs);
  stack_->poll();
  while (stack_->tcp_sending() && std::chrono::steady_clock::now() < deadline) {
    sleep_for_frames(lk, std::min(stack_->next_timer_ms(), 10));
    stack_->poll();
  }
  stack_->flush();
}

void Runtime::shutdown_at_exit() {
  Inside inside;
  if (in_child() || !stack_) {
    if (in_child()) {
      (void)stats_.release();  // the parent's file and mapping stay
      (void)stack_.release();
    }
    return;
  }
  std::unique_lock<std::mutex> lk(mu_);
  // As the kernel does at exit: every socket is closed (FIN, or RST where data is unread), and
  // what the application wrote before exiting still reaches the peer. The kernel keeps such
  // orphans sending after the process is gone; a user stack dies with its process, so it lingers
  // here until lwIP has nothing unacknowledged, bounded for peers that stopped answering.
  for (auto& [fd, s] : fds_) s->close();
  fds_.clear();
  linger_until_sent(lk);
  // Whatever is left (a silent peer) gets a RST when the interface goes away with the stack.
  stack_.reset();
  stats_.reset();
}

}  // namespace gazelle

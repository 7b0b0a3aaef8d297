// Process-wide state of libgazelle: the config, the one stack (created on first use), which
// fds are user-stack sockets, and the epoll sets that watch them. One lock serialises every
// use of lwIP; a thread-local flag lets libgazelle's own libc calls (and libbpf's, libxdp's,
// DPDK's) pass through the shim untouched.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "config.h"
#include "netaccel/core/unique_fd.h"
#include "signals.h"
#include "socket.h"
#include "stack.h"
#include "stats.h"

namespace gazelle {

inline constexpr int kMaxFds = 1 << 20;

enum class FdKind : uint8_t { kernel = 0, user = 1, epoll = 2 };

struct EpollInterest {
  epoll_event ev;
  uint64_t reported_gen = ~0ull;  // edge-triggered: last generation reported
  bool disarmed = false;          // EPOLLONESHOT fired
};

struct EpollSet {
  std::map<int, EpollInterest> user;
  int resume_fd = 0;  // next scan starts here (round robin)
  bool wait_fd_added = false;
};

// Marks the back end's wait fd inside an application's epoll set; filtered from results.
inline constexpr uint64_t kWakeCookie = 0x67617a656c6c6531ull;  // "gazelle1"

class Runtime {
 public:
  static Runtime& get();

  static FdKind kind(int fd) {
    if (fd < 0 || fd >= kMaxFds) return FdKind::kernel;
    return static_cast<FdKind>(kinds_[fd].load(std::memory_order_acquire));
  }
  // True inside libgazelle (or a library it calls): the shim passes straight through.
  static bool inside() { return inside_; }

  // Config state, decided once at load.
  bool enabled() const { return cfg_.has_value(); }
  const Config& config() const { return *cfg_; }
  bool in_child() const;  // forked child of the process that owns the stack

  std::mutex& mutex() { return mu_; }
  // Brings the stack up if needed (lock held); false (with a message once) if it cannot.
  bool ensure_stack();
  Stack* stack() { return stack_.get(); }

  std::shared_ptr<Sock> sock(int fd);
  void install(int fd, std::shared_ptr<Sock> s);
  // Removes fd from the table and from every epoll set; returns the socket if fd was the
  // last fd naming it (the caller then closes it).
  std::shared_ptr<Sock> uninstall(int fd);
  EpollSet& epoll_set(int epfd);
  EpollSet* find_epoll_set(int epfd);
  void forget_epoll_set(int epfd);

  // Runs the stack until ready() or the timeout (ms, -1 = none); the lock is released while
  // sleeping. Returns 0 when ready, -EAGAIN on timeout, -EINTR on a signal.
  template <typename Ready>
  int wait(std::unique_lock<std::mutex>& lk, int timeout_ms, Ready ready);
  // One sleep of at most ms on the back end's fd (lock released); a signal ends it early.
  void sleep_for_frames(std::unique_lock<std::mutex>& lk, int ms);

  void on_fork_child();
  void shutdown_at_exit();

 private:
  // Polls the stack until nothing written is unacknowledged, or kExitLingerMs; waits for
  // frames as blocking calls do (sleep_for_frames, the lock released meanwhile).
  void linger_until_sent(std::unique_lock<std::mutex>& lk);
  Runtime();
  static inline std::atomic<uint8_t> kinds_[kMaxFds];
  static inline thread_local bool inside_ = false;
  friend class Inside;

  std::optional<Config> cfg_;
  bool stack_failed_ = false;
  pid_t owner_ = 0;
  std::mutex mu_;
  netaccel::UniqueFd if_lock_;
  std::unique_ptr<StatsFile> stats_;
  std::unique_ptr<Stack> stack_;
  std::unordered_map<int, std::shared_ptr<Sock>> fds_;
  std::unordered_map<int, EpollSet> epolls_;
};

// RAII: marks the thread as inside libgazelle for a scope.
class Inside {
 public:
  Inside() : prev_(Runtime::inside_) { Runtime::inside_ = true; }
  ~Inside() { Runtime::inside_ = prev_; }
  Inside(const Inside&) = delete;
  Inside& operator=(const Inside&) = delete;

 private:
  bool prev_;
};

// Holds the runtime lock and the inside flag.
class Locked {
 public:
  Locked() : lk_(Runtime::get().mutex()) {}
  std::unique_lock<std::mutex>& lock() { return lk_; }

 private:
  Inside inside_;
  std::unique_lock<std::mutex> lk_;
};

template <typename Ready>
int Runtime::wait(std::unique_lock<std::mutex>& lk, int timeout_ms, Ready ready) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  const uint64_t signals = signal_counts().no_restart;
  for (;;) {
    if (stack_) stack_->poll();
    if (ready()) return 0;
    if (signal_counts().no_restart != signals) return -EINTR;  // SA_RESTART handlers restart
    int left = -1;
    if (timeout_ms >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (spent >= timeout_ms) return -EAGAIN;
      left = static_cast<int>(timeout_ms - spent);
    }
    int ms = stack_ ? stack_->next_timer_ms() : 100;
    if (left >= 0 && left < ms) ms = left;
    sleep_for_frames(lk, ms);
  }
}

}  // namespace gazelle

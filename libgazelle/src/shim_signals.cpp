// POSIX shim, signals: see signals.h.
#include <dlfcn.h>
#include <signal.h>

#include <atomic>
#include <cstring>

#include "runtime.h"
#include "signals.h"

namespace gazelle {
namespace {

std::atomic<uint64_t> g_any{0};
std::atomic<uint64_t> g_no_restart{0};

struct Installed {
  std::atomic<void*> handler{nullptr};
  std::atomic<bool> siginfo{false};
  std::atomic<bool> restart{false};
};
Installed g_installed[NSIG];

using RealSigaction = int (*)(int, const struct sigaction*, struct sigaction*);
RealSigaction real_sigaction() {
  static RealSigaction fn = reinterpret_cast<RealSigaction>(dlsym(RTLD_NEXT, "sigaction"));
  return fn;
}

void trampoline(int sig, siginfo_t* info, void* uc) {
  Installed& in = g_installed[sig];
  g_any.fetch_add(1, std::memory_order_relaxed);
  if (!in.restart.load(std::memory_order_relaxed)) g_no_restart.fetch_add(1, std::memory_order_relaxed);
  void* h = in.handler.load(std::memory_order_acquire);
  if (in.siginfo.load(std::memory_order_relaxed))
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(h)(sig, info, uc);
  else
    reinterpret_cast<void (*)(int)>(h)(sig);
}

// What the application installed, as it would read it back.
void unwrap(int sig, struct sigaction* old) {
  if (!old || old->sa_sigaction != trampoline) return;
  Installed& in = g_installed[sig];
  if (in.siginfo) {
    old->sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(in.handler.load());
  } else {
    old->sa_flags &= ~SA_SIGINFO;
    old->sa_handler = reinterpret_cast<void (*)(int)>(in.handler.load());
  }
}

}  // namespace

SignalCounts signal_counts() { return {g_any.load(), g_no_restart.load()}; }

}  // namespace gazelle

using namespace gazelle;

extern "C" {

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  bool plain = act && !(act->sa_flags & SA_SIGINFO);
  if (!act || sig <= 0 || sig >= NSIG || (plain && (act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN))) {
    int rc = real_sigaction()(sig, act, old);
    if (rc == 0 && sig > 0 && sig < NSIG) unwrap(sig, old);
    return rc;
  }
  Installed& in = g_installed[sig];
  struct sigaction wrapped = *act;
  wrapped.sa_flags |= SA_SIGINFO;
  wrapped.sa_sigaction = trampoline;
  void* prev_handler = in.handler.load();
  bool prev_siginfo = in.siginfo.load();
  in.handler.store(plain ? reinterpret_cast<void*>(act->sa_handler) : reinterpret_cast<void*>(act->sa_sigaction));
  in.siginfo.store(!plain);
  in.restart.store(act->sa_flags & SA_RESTART);
  int rc = real_sigaction()(sig, &wrapped, old);
  if (rc == 0 && old && old->sa_sigaction == trampoline) {
    // The previous handler was ours too: report the application's one.
    if (prev_siginfo) {
      old->sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(prev_handler);
    } else {
      old->sa_flags &= ~SA_SIGINFO;
      old->sa_handler = reinterpret_cast<void (*)(int)>(prev_handler);
    }
  }
  return rc;
}

sighandler_t signal(int sig, sighandler_t handler) {
  // glibc's signal(): BSD semantics, i.e. SA_RESTART, handler stays installed.
  struct sigaction act {}, old{};
  act.sa_handler = handler;
  sigemptyset(&act.sa_mask);
  sigaddset(&act.sa_mask, sig);
  act.sa_flags = SA_RESTART;
  if (sigaction(sig, &act, &old) < 0) return SIG_ERR;
  return old.sa_handler;
}

}  // extern "C"

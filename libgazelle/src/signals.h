// Signal accounting for run-to-completion waits. A signal that arrives while libgazelle runs
// the stack in user space interrupts no system call, so the application's handler runs but its
// epoll_wait()/read() would not return EINTR: nginx and redis would miss SIGTERM. The shim
// therefore wraps handlers installed with sigaction()/signal() to count deliveries; waits
// compare counts and return EINTR as the kernel would.
#pragma once

#include <cstdint>

namespace gazelle {

struct SignalCounts {
  uint64_t any;         // every delivery: epoll_wait/poll/select return EINTR
  uint64_t no_restart;  // deliveries to handlers without SA_RESTART: read/accept/... too
};

SignalCounts signal_counts();

}  // namespace gazelle

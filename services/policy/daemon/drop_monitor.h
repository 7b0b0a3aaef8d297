// The drop ring buffer read on the event loop: each denied packet becomes a Dropped signal in
// words (pods and identities by name, the policies that isolate the endpoint), at most
// drop_events_per_s a second; the rest are counted, never lost from the counters.
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>

#include "netaccel/core/event_loop.h"
#include "policy_bus.h"
#include "policy_service.h"

namespace netaccel::policy {

class DropMonitor {
 public:
  DropMonitor(const PolicyService& svc, PolicyBus& bus, unsigned per_second) : svc_(svc), bus_(bus), per_second_(per_second) {}
  ~DropMonitor();
  Status start(EventLoop& loop, int ringbuf_fd);
  uint64_t suppressed() const { return suppressed_; }

 private:
  static int on_event(void* ctx, void* data, size_t size);

  const PolicyService& svc_;
  PolicyBus& bus_;
  unsigned per_second_;
  ring_buffer* rb_ = nullptr;
  uint64_t window_start_ns_ = 0, in_window_ = 0, suppressed_ = 0;
};

}  // namespace netaccel::policy

#include "drop_monitor.h"

#include <arpa/inet.h>
#include <time.h>

#include <cstring>

#include "policy_tables.h"

namespace netaccel::policy {

namespace {

std::string address(const uint8_t* a) {
  pol_addr_key k{128, {}};
  std::memcpy(k.addr, a, 16);
  std::string s = to_string(prefix_of(k));
  return s.substr(0, s.find('/'));
}

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

DropMonitor::~DropMonitor() { ring_buffer__free(rb_); }

Status DropMonitor::start(EventLoop& loop, int ringbuf_fd) {
  rb_ = ring_buffer__new(ringbuf_fd, &DropMonitor::on_event, this, nullptr);
  if (!rb_) return errno_error(errno, "open the policy drop ring buffer");
  return loop.watch_fd(ring_buffer__epoll_fd(rb_), [this] { ring_buffer__consume(rb_); });
}

int DropMonitor::on_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<DropMonitor*>(ctx);
  if (size < sizeof(pol_drop_event)) return 0;
  pol_drop_event e;
  std::memcpy(&e, data, sizeof(e));
  const uint64_t now = now_ns();
  if (now - self->window_start_ns_ > 1000000000ull) {
    self->window_start_ns_ = now;
    self->in_window_ = 0;
  }
  if (++self->in_window_ > self->per_second_) {
    ++self->suppressed_;
    return 0;
  }
  const Direction dir = e.dir == POL_DIR_EGRESS ? Direction::egress : Direction::ingress;
  const std::string pod = self->svc_.pod_in_slot(e.endpoint);
  const std::string peer = e.reason == POL_DROP_MALFORMED ? "malformed packet" : self->svc_.identity_name(e.peer_identity);
  self->bus_.dropped(pod, direction_name(dir), peer, address(e.saddr), address(e.daddr), proto_name(e.proto), ntohs(e.dport),
                     self->svc_.isolating_policies(pod, dir));
  return 0;
}

}  // namespace netaccel::policy

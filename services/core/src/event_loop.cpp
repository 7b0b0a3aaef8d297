#include "netaccel/core/event_loop.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <memory>

namespace netaccel {

Result<EventLoop> EventLoop::create() {
  sd_event* ev = nullptr;
  int r = sd_event_new(&ev);
  if (r < 0) return errno_error(r, "create event loop");
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  // NULL handler: sd-event exits the loop on these signals.
  if ((r = sd_event_add_signal(ev, nullptr, SIGTERM, nullptr, nullptr)) < 0 ||
      (r = sd_event_add_signal(ev, nullptr, SIGINT, nullptr, nullptr)) < 0) {
    sd_event_unref(ev);
    return errno_error(r, "watch SIGTERM/SIGINT");
  }
  sd_event_set_watchdog(ev, 1);  // no-op unless WatchdogSec= is set
  return EventLoop(ev);
}

EventLoop::EventLoop(EventLoop&& o) noexcept : ev_(o.ev_), callbacks_(std::move(o.callbacks_)) { o.ev_ = nullptr; }

EventLoop::~EventLoop() {
  if (ev_) sd_event_unref(ev_);
}

Status EventLoop::watch_fd(int fd, std::function<void()> fn) {
  auto cb = std::make_unique<Callback>(Callback{std::move(fn)});
  int r = sd_event_add_io(
      ev_, nullptr, fd, EPOLLIN,
      [](sd_event_source*, int, uint32_t, void* u) -> int {
        static_cast<Callback*>(u)->fn();
        return 0;
      },
      cb.get());
  if (r < 0) return errno_error(r, "watch fd");
  callbacks_.push_back(std::move(cb));
  return {};
}

Status EventLoop::every(uint64_t period_usec, std::function<void()> fn) {
  auto cb = std::make_unique<Callback>(Callback{std::move(fn), period_usec});
  int r = sd_event_add_time_relative(
      ev_, nullptr, CLOCK_MONOTONIC, period_usec, 0,
      [](sd_event_source* s, uint64_t, void* u) -> int {
        auto* c = static_cast<Callback*>(u);
        c->fn();
        // sd-event timers fire once: re-arm for the next period.
        uint64_t now = 0;
        sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
        sd_event_source_set_time(s, now + c->period_usec);
        return sd_event_source_set_enabled(s, SD_EVENT_ON);
      },
      cb.get());
  if (r < 0) return errno_error(r, "add timer");
  callbacks_.push_back(std::move(cb));
  return {};
}

int EventLoop::run() { return sd_event_loop(ev_); }
void EventLoop::exit(int code) { sd_event_exit(ev_, code); }

void EventLoop::notify_ready(const std::string& status) { sd_notifyf(0, "READY=1\nSTATUS=%s", status.c_str()); }
void EventLoop::notify_stopping() { sd_notify(0, "STOPPING=1"); }

}  // namespace netaccel

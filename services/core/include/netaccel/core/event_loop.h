// The daemon frame: an sd-event loop that stops on SIGTERM/SIGINT, pings the systemd watchdog
// and tells systemd when the service is ready.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel {

class EventLoop {
 public:
  static Result<EventLoop> create();
  EventLoop(EventLoop&&) noexcept;
  EventLoop& operator=(EventLoop&&) = delete;
  EventLoop(const EventLoop&) = delete;
  ~EventLoop();

  sd_event* get() const { return ev_; }
  // Calls fn whenever fd is readable. fn's failures are logged by the caller's own fn.
  Status watch_fd(int fd, std::function<void()> fn);
  // Calls fn every period_usec (CLOCK_MONOTONIC), first after one period.
  Status every(uint64_t period_usec, std::function<void()> fn);
  // Runs until SIGTERM/SIGINT or exit(). Returns the exit code.
  int run();
  void exit(int code);

  static void notify_ready(const std::string& status);
  static void notify_stopping();

 private:
  explicit EventLoop(sd_event* ev) : ev_(ev) {}
  struct Callback {
    std::function<void()> fn;
    uint64_t period_usec = 0;  // timers
  };
  sd_event* ev_ = nullptr;
  std::vector<std::unique_ptr<Callback>> callbacks_;
};

}  // namespace netaccel

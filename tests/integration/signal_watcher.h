// Subscribes to the agent's signals on a private bus and waits for one by event, not by
// sleeping: sd_bus_wait returns when a message arrives. A signal is seen as its member and
// string arguments: "ObjectChanged created Pod shop web-1", "EndpointAdded c1/eth0".
#pragma once

#include <systemd/sd-bus.h>

#include <string>
#include <vector>

namespace netaccel::test {

class SignalWatcher {
 public:
  explicit SignalWatcher(const std::string& address) {
    if (sd_bus_new(&bus_) < 0 || sd_bus_set_address(bus_, address.c_str()) < 0 || sd_bus_set_bus_client(bus_, 1) < 0 ||
        sd_bus_start(bus_) < 0)
      return;
    ok_ = sd_bus_add_match(bus_, nullptr, "type='signal',interface='org.openeuler.NetAccel1.Agent'", &SignalWatcher::on, this) >= 0;
  }
  ~SignalWatcher() { sd_bus_flush_close_unref(bus_); }
  bool ok() const { return ok_; }
  // "ObjectChanged created Pod shop web-1", "EndpointAdded c1/eth0"
  bool wait_for(const std::string& line, int timeout_ms = 10000) {
    for (int waited = 0; waited < timeout_ms;) {
      for (const auto& s : seen_)
        if (s == line) return true;
      if (sd_bus_process(bus_, nullptr) > 0) continue;
      sd_bus_wait(bus_, 100000);
      waited += 100;
    }
    return false;
  }

 private:
  static int on(sd_bus_message* m, void* u, sd_bus_error*) {
    std::string line = sd_bus_message_get_member(m);
    const char* s = nullptr;
    while (sd_bus_message_read(m, "s", &s) > 0) line += std::string(" ") + s;
    static_cast<SignalWatcher*>(u)->seen_.push_back(line);
    return 0;
  }
  sd_bus* bus_ = nullptr;
  bool ok_ = false;
  std::vector<std::string> seen_;
};

}  // namespace netaccel::test

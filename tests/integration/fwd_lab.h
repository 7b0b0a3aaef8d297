// The integration fixture: the node-like lab of tests/lib/topology.sh, a private dbus-daemon
// enforcing the shipped policy, and netaccel-fwd running in the node namespace with its own
// pin root. Everything is removed in the destructor, whatever the test did.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"
#include "service_fixture.h"

namespace netaccel::test {

class FwdLab {
 public:
  // config: the [fwd] body; pin_root is appended.
  explicit FwdLab(const std::string& fwd_config = "bridges = br0\nprefixes = vr\n", int bridged = 3, int routed = 3);
  ~FwdLab();
  FwdLab(const FwdLab&) = delete;
  FwdLab& operator=(const FwdLab&) = delete;

  bool ok() const { return ok_; }
  const std::string& prefix() const { return prefix_; }
  std::string ns(const std::string& pod) const { return prefix_ + "-" + pod; }  // "node", "r1", "b2"
  std::string in(const std::string& pod, const std::string& cmd) const { return "ip netns exec " + ns(pod) + " " + cmd; }
  const std::string& bus_address() const { return svc_->bus_address(); }
  std::string pin_dir() const { return pin_root_ + "/fwd"; }

  bool start_daemon() { return svc_->start(config_path_, "/run/netns/" + ns("node")); }
  int stop_daemon() { return svc_->stop(); }
  std::string daemon_log() const { return svc_->log(); }

  // busctl against the private bus; returns the JSON reply ("data") or the error text.
  CmdResult busctl(const std::string& args, const std::string& as_user = "") const;
  nlohmann::json call(const std::string& method, const std::string& signature_and_args, bool* ok = nullptr) const;
  std::vector<std::string> attached() const;  // names from ListInterfaces
  uint64_t counter(const std::string& ifname, const std::string& name) const;
  std::string ctl(const std::string& args) const;  // netaccelctl output

  // Real traffic between pods.
  bool ping(const std::string& from, const std::string& addr, int count = 3, const std::string& opts = "-i 0.05") const;
  // A TCP transfer of `bytes` from pod `client` to `addr` served by pod `server` (socat);
  // reverse = the server sends. A fixed amount, not a fixed time, counted by the receiving end
  // after the sender closed: it is exactly `bytes` when the path delivers, however busy the
  // machine. Returns that count (0 on any failure).
  uint64_t tcp_stream(const std::string& client, const std::string& server, const std::string& addr, bool reverse,
                      uint64_t bytes = kStreamBytes) const;
  static constexpr uint64_t kStreamBytes = 64ull << 20;
  // iperf3 UDP at `mbit`; returns the delivered/sent ratio (0 on failure), where delivered
  // counts what reached the server's socket, read or dropped at its full buffer.
  double udp_delivery(const std::string& client, const std::string& server, const std::string& addr, int mbit = 20) const;

 private:
  std::string prefix_, dir_, pin_root_, config_path_;
  std::unique_ptr<ServiceUnderTest> svc_;
  bool ok_ = false;
};

}  // namespace netaccel::test

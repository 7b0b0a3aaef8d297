// A netaccel daemon under test: a private dbus-daemon enforcing the shipped policy file, the
// daemon started from the build tree (optionally inside a network namespace), busctl against
// that bus. Stops everything by pid in the destructor.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace netaccel::test {

// busctl destinations (name, object, interface) of the daemons that run on one node's bus.
inline const std::string kAgentDest = "org.openeuler.NetAccel1.Agent /org/openeuler/NetAccel1/Agent org.openeuler.NetAccel1.Agent";
inline const std::string kFwdDest = "org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd org.openeuler.NetAccel1.Fwd";
inline const std::string kSockmapDest =
    "org.openeuler.NetAccel1.Sockmap /org/openeuler/NetAccel1/Sockmap org.openeuler.NetAccel1.Sockmap";
// Where cgroup v2 is mounted (hybrid hosts: /sys/fs/cgroup/unified).
std::string cgroup2_dir();

class ServiceUnderTest {
 public:
  // name: "fwd" or "sockmap"; dir: scratch directory owned by the caller.
  ServiceUnderTest(std::string name, std::string bus_name, std::string dir);
  // A second daemon on `other`'s bus (a node runs several): dir holds only its log.
  ServiceUnderTest(std::string name, std::string bus_name, std::string dir, const ServiceUnderTest& other);
  ~ServiceUnderTest();
  ServiceUnderTest(const ServiceUnderTest&) = delete;
  ServiceUnderTest& operator=(const ServiceUnderTest&) = delete;

  bool bus_ok() const { return !address_.empty(); }
  const std::string& bus_address() const { return address_; }
  // Starts <build>/services/<name>/netaccel-<name> -c config; waits for its bus name.
  bool start(const std::string& config_path, const std::string& netns_path = "", int timeout_ms = 10000);
  // A daemon whose binary is not netaccel-<name> (netaccel-iptablesd).
  void set_binary(std::string path) { binary_ = std::move(path); }
  int stop();
  // SIGKILL: the daemon gets no chance to save anything.
  void kill_hard();
  std::string log() const;
  std::string binary() const;
  CmdResult busctl(const std::string& args, const std::string& as_user = "") const;
  // busctl --json call; the reply's "data" array, or (after a test failure naming the
  // call) [[]] so callers can index it.
  nlohmann::json call(const std::string& dest, const std::string& args) const;
  // netaccelctl with this bus
  CmdResult ctl(const std::string& args) const;

 private:
  std::string name_, bus_name_, dir_, address_, binary_;
  Process daemon_;
  bool owns_bus_ = true;
};

}  // namespace netaccel::test

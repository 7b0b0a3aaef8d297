#include "service_fixture.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace netaccel::test {

ServiceUnderTest::ServiceUnderTest(std::string name, std::string bus_name, std::string dir)
    : name_(std::move(name)), bus_name_(std::move(bus_name)), dir_(std::move(dir)) {
  // Every shipped policy, as on a node: daemons on one bus call each other (agent -> fwd).
  auto bus = sh(source_dir() + "/tests/lib/private-bus.sh start " + dir_ + "/bus " + source_dir() +
                "/systemd/org.openeuler.NetAccel1.*.conf");
  if (bus.status != 0) {
    ADD_FAILURE() << "private bus: " << bus.out;
    return;
  }
  address_ = bus.out.substr(0, bus.out.find(' '));
}

ServiceUnderTest::ServiceUnderTest(std::string name, std::string bus_name, std::string dir, const ServiceUnderTest& other)
    : name_(std::move(name)), bus_name_(std::move(bus_name)), dir_(std::move(dir)), address_(other.address_), owns_bus_(false) {
  sh("mkdir -p " + dir_);
}

ServiceUnderTest::~ServiceUnderTest() {
  stop();
  if (owns_bus_) sh(source_dir() + "/tests/lib/private-bus.sh stop " + dir_ + "/bus");
}

std::string ServiceUnderTest::binary() const {
  return binary_.empty() ? binary_dir() + "/services/" + name_ + "/netaccel-" + name_ : binary_;
}

bool ServiceUnderTest::start(const std::string& config_path, const std::string& netns_path, int timeout_ms) {
  daemon_.start({binary(), "-c", config_path}, {"DBUS_SYSTEM_BUS_ADDRESS=" + address_, "NETACCEL_LOG=stderr"},
                netns_path, dir_ + "/daemon.log");
  bool up = wait_until([&] { return busctl("status " + bus_name_).status == 0; }, timeout_ms);
  if (!up) ADD_FAILURE() << "netaccel-" << name_ << " did not come up:\n" << log();
  return up;
}

int ServiceUnderTest::stop() { return daemon_.stop(); }

void ServiceUnderTest::kill_hard() {
  if (daemon_.pid() > 0) kill(daemon_.pid(), SIGKILL);
  daemon_.stop();
}

std::string ServiceUnderTest::log() const {
  std::ifstream f(dir_ + "/daemon.log");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

CmdResult ServiceUnderTest::busctl(const std::string& args, const std::string& as_user) const {
  std::string pre = as_user.empty() ? "" : "runuser -u " + as_user + " -- ";
  return sh(pre + "busctl --address=" + address_ + " " + args);
}

std::string cgroup2_dir() {
  return access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
}

nlohmann::json ServiceUnderTest::call(const std::string& dest, const std::string& args) const {
  auto r = busctl("--json=short call " + dest + " " + args);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.status != 0 || j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty()) {
    ADD_FAILURE() << "busctl call " << args << ": status " << r.status << ": " << r.out;
    return nlohmann::json::array({nlohmann::json::array()});
  }
  return j["data"];
}

CmdResult ServiceUnderTest::ctl(const std::string& args) const {
  return sh("DBUS_SYSTEM_BUS_ADDRESS=" + address_ + " " + binary_dir() + "/services/ctl/netaccelctl " + args);
}

}  // namespace netaccel::test

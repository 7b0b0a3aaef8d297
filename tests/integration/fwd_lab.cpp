#include "fwd_lab.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace netaccel::test {
namespace {
const std::string kBus = "org.openeuler.NetAccel1.Fwd";
const std::string kPath = "/org/openeuler/NetAccel1/Fwd";
const std::string kIface = "org.openeuler.NetAccel1.Fwd";
std::string topology() { return source_dir() + "/tests/lib/topology.sh"; }
}  // namespace

FwdLab::FwdLab(const std::string& fwd_config, int bridged, int routed) {
  cleanup_stale_namespaces("nai");
  prefix_ = unique_prefix("nai");
  dir_ = "/tmp/netaccel-test-" + prefix_;
  pin_root_ = "/sys/fs/bpf/netaccel-test-" + prefix_;
  sh("rm -rf " + dir_ + " && mkdir -p " + dir_);
  auto up = sh(topology() + " up " + prefix_ + " " + std::to_string(bridged) + " " + std::to_string(routed));
  if (up.status != 0) {
    ADD_FAILURE() << "topology up: " << up.out;
    return;
  }
  svc_ = std::make_unique<ServiceUnderTest>("fwd", kBus, dir_);
  if (!svc_->bus_ok()) return;
  config_path_ = dir_ + "/fwd.conf";
  std::ofstream(config_path_) << "[fwd]\n" << fwd_config << "pin_root = " << pin_root_ << "\n";
  ok_ = start_daemon();
}

FwdLab::~FwdLab() {
  svc_.reset();  // daemon and bus
  sh(binary_dir() + "/services/fwd/netaccel-fwd --purge --pin-root " + pin_root_ + " -c /dev/null");
  sh("rmdir " + pin_root_ + " 2>/dev/null");
  sh(topology() + " down " + prefix_);
  sh("rm -rf " + dir_);
}

CmdResult FwdLab::busctl(const std::string& args, const std::string& as_user) const { return svc_->busctl(args, as_user); }

nlohmann::json FwdLab::call(const std::string& method, const std::string& sig_args, bool* ok) const {
  auto r = busctl("--json=short call " + kBus + " " + kPath + " " + kIface + " " + method + " " + sig_args);
  if (ok) *ok = r.status == 0;
  if (r.status != 0) return nlohmann::json(r.out);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_discarded() ? nlohmann::json(r.out) : j["data"];
}

std::vector<std::string> FwdLab::attached() const {
  std::vector<std::string> out;
  bool ok = false;
  auto j = call("ListInterfaces", "", &ok);
  if (!ok) return out;
  for (const auto& row : j[0]) out.push_back(row[0].get<std::string>());
  return out;
}

uint64_t FwdLab::counter(const std::string& ifname, const std::string& name) const {
  bool ok = false;
  auto j = call("GetStats", "s " + ifname, &ok);
  if (!ok || !j[0].contains(name)) return 0;
  return j[0][name].get<uint64_t>();
}

std::string FwdLab::ctl(const std::string& args) const { return svc_->ctl(args).out; }

bool FwdLab::ping(const std::string& from, const std::string& addr, int count, const std::string& opts) const {
  auto r = sh(in(from, "ping -q -W 2 -c " + std::to_string(count) + " " + opts + " " + addr));
  return r.status == 0 && r.out.find(" 0% packet loss") != std::string::npos;
}

namespace {
nlohmann::json iperf(const FwdLab& lab, const std::string& client, const std::string& server, const std::string& args) {
  static int port = 5301;
  const std::string p = std::to_string(port++);
  sh(lab.in(server, "iperf3 -s -1 -D -p " + p + " --logfile /dev/null"));
  wait_until([&] { return sh(lab.in(server, "ss -ltn")).out.find(":" + p) != std::string::npos; }, 3000);
  auto r = sh(lab.in(client, "timeout 20 iperf3 -J -p " + p + " " + args));
  sh(lab.in(server, "pkill -f 'iperf3 -s -1 -D -p " + p + "'"));
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || j.contains("error")) {
    ADD_FAILURE() << "iperf3 " << args << ": " << r.out.substr(0, 2000);
    return nlohmann::json();
  }
  return j;
}
}  // namespace

uint64_t FwdLab::tcp_stream(const std::string& client, const std::string& server, const std::string& addr, bool reverse,
                            uint64_t bytes) const {
  auto j = iperf(*this, client, server, "-c " + addr + " -n " + std::to_string(bytes) + (reverse ? " -R" : ""));
  if (j.is_null()) return 0;
  return j["end"]["sum_received"]["bytes"].get<uint64_t>();
}

double FwdLab::udp_delivery(const std::string& client, const std::string& server, const std::string& addr, int mbit) const {
  auto j = iperf(*this, client, server, "-u -b " + std::to_string(mbit) + "M -t 1 -c " + addr);
  if (j.is_null()) return 0;
  const auto& sum = j["end"]["sum"];
  double total = sum["packets"].get<double>();
  double lost = sum["lost_packets"].get<double>();
  return total > 0 ? (total - lost) / total : 0;
}

}  // namespace netaccel::test

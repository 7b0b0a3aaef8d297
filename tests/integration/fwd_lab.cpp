#include "fwd_lab.h"

#include <gtest/gtest.h>

#include <algorithm>
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
  static int port = 5401;
  const std::string p = std::to_string(port++), n = std::to_string(bytes);
  const bool v6 = addr.find(':') != std::string::npos;
  const std::string listen = std::string(v6 ? "TCP6-LISTEN:" : "TCP4-LISTEN:") + p + ",reuseaddr";
  const std::string target = "TCP:" + (v6 ? "[" + addr + "]" : addr) + ":" + p;
  const std::string zeros = "head -c " + n + " /dev/zero", log = "/tmp/" + prefix_ + "-stream-" + p + ".log";
  // The listener runs in `server` (by pid, so it goes whatever happens); whichever end receives
  // counts the bytes with wc, and it only prints once the sender has closed: an event, not a time.
  Process listener;
  listener.start({"/bin/sh", "-c", reverse ? "socat -u \"SYSTEM:" + zeros + "\" " + listen : "socat -u " + listen + " STDOUT | wc -c"}, {},
                 "/run/netns/" + ns(server), log);
  if (!wait_until([&] { return sh(in(server, "ss -ltn")).out.find(":" + p + " ") != std::string::npos; }, 10000)) {
    ADD_FAILURE() << "stream listener on " << server << ":" << p << " did not come up";
    return 0;
  }
  auto r = sh(in(client, "timeout 120 sh -c '" + (reverse ? "socat -u " + target + " STDOUT | wc -c" : zeros + " | socat -u STDIN " + target) + "'"));
  std::string count = r.out;
  if (!reverse) {
    wait_until([&] { return !listener.running(); }, 120000);
    count = sh("cat " + log + "; rm -f " + log).out;
  } else {
    listener.stop();
    sh("rm -f " + log);
  }
  try {
    return std::stoull(count);
  } catch (const std::exception&) {
    ADD_FAILURE() << "TCP stream " << client << " -> " << addr << (reverse ? " (reverse)" : "") << ": " << r.out << count;
    return 0;
  }
}

namespace {
// Datagrams the kernel of `pod` dropped at a full socket buffer (IPv4 and IPv6): they crossed
// the path and reached the socket; the receiving process was only too slow to read them.
uint64_t udp_rcvbuf_errors(const FwdLab& lab, const std::string& pod) {
  auto out = sh(lab.in(pod, "awk '/^Udp: [0-9]/ { n += $6 } /^Udp6RcvbufErrors/ { n += $2 } END { print n + 0 }' "
                            "/proc/net/snmp /proc/net/snmp6")).out;
  try {
    return std::stoull(out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "UDP counters of " << pod << ": " << out;
    return 0;
  }
}
}  // namespace

double FwdLab::udp_delivery(const std::string& client, const std::string& server, const std::string& addr, int mbit) const {
  const uint64_t full_before = udp_rcvbuf_errors(*this, server);
  auto j = iperf(*this, client, server, "-u -b " + std::to_string(mbit) + "M -t 1 -c " + addr);
  if (j.is_null()) return 0;
  const auto& sum = j["end"]["sum"];
  double total = sum["packets"].get<double>();
  // What iperf3 calls lost, less what the path delivered to a receiver too busy to read it
  // (a loaded machine starves iperf3, not the data path): dropped, not slow.
  double lost = sum["lost_packets"].get<double>() - static_cast<double>(udp_rcvbuf_errors(*this, server) - full_before);
  return total > 0 ? (total - std::max(lost, 0.0)) / total : 0;
}

}  // namespace netaccel::test

// A pod with libgazelle: namespace "a" (the pod: kernel address 10.76.0.2, user stack
// 10.76.0.3 on the same veth) and namespace "b" (its peer, kernel stack only, 10.76.0.1).
// Applications start with LD_PRELOAD=libgazelle.so on one of three back ends.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace netaccel::test {

enum class GazelleBackend { af_xdp, dpdk_af_packet, dpdk_af_xdp };
std::string to_string(GazelleBackend b);

class GazelleLab {
 public:
  static constexpr const char* kPeerIp = "10.76.0.1";
  static constexpr const char* kPodKernelIp = "10.76.0.2";
  static constexpr const char* kUserIp = "10.76.0.3";

  explicit GazelleLab(GazelleBackend backend, const std::string& config_override = "");
  ~GazelleLab();
  GazelleLab(const GazelleLab&) = delete;
  GazelleLab& operator=(const GazelleLab&) = delete;

  const std::string& dir() const { return dir_; }
  std::string ns(const std::string& n) const { return prefix_ + "-" + n; }
  const std::string& pod_if() const { return pod_if_; }

  // Starts cmd (through /bin/sh, with a high fd limit) in pod "a" or "b"; preload: under
  // libgazelle. Output goes to <dir>/<name>.log.
  Process& spawn(const std::string& name, const std::string& cmd, const std::string& pod, bool preload);
  // Runs cmd to completion the same way; returns its exit status and output.
  CmdResult run(const std::string& cmd, const std::string& pod, bool preload, int timeout_s = 120);
  std::string log(const std::string& name) const;
  // gazellectl's JSON entry for pid (null when absent).
  nlohmann::json stats(pid_t pid) const;
  // Waits until a TCP port answers on ip from namespace "b".
  bool wait_port(const std::string& ip, int port, int timeout_ms = 10000);
  // Waits until process pid listens on the user stack (gazellectl), without connecting: a
  // probe connection would be the one client of `socat` or `iperf3 -1`.
  bool wait_user_listener(pid_t pid, int timeout_ms = 10000);
  // Writes an nginx config serving <dir>/www on ip:80 (user stack or kernel).
  std::string nginx_config(const std::string& name, const std::string& ip) const;
  // <dir>/www/big: size_mib of random bytes.
  std::string big_file(int size_mib);
  bool xdp_attached() const;

 private:
  std::string prefix_, dir_, pod_if_, peer_if_, config_;
  std::vector<std::unique_ptr<Process>> procs_;
};

}  // namespace netaccel::test

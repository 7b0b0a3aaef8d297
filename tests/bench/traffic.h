// Traffic for benchmarks: a BPF live-frame generator (BPF_PROG_RUN + XDP_TX) with a TC counter
// at the receiver, TCP request/response timing, and iperf3 streams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netaccel/core/result.h"

namespace netaccel::bench {

struct Pod {
  std::string netns;  // name under /run/netns
  std::string ip;     // IPv4 address of eth0
  std::string mac;    // MAC of eth0
};

// Sends 64-byte UDP frames from `from` (eth0) addressed to `l2_dst` and `to`.ip for about
// `seconds`; returns packets per second delivered to `to`'s eth0.
Result<double> udp64_pps(const Pod& from, const Pod& to, const std::string& l2_dst, double seconds);

struct Latency {
  double p50_us = 0, p99_us = 0;
};
// 64-byte TCP request/response, `count` round trips, client and server pinned to `cpu`.
Result<Latency> tcp_rr(const Pod& client, const Pod& server, int count, int cpu);

// iperf3 TCP stream client -> server for `seconds`; Gbit/s received.
Result<double> tcp_stream_gbps(const Pod& client, const Pod& server, double seconds);

}  // namespace netaccel::bench

// Traffic for benchmarks: a BPF live-frame generator (BPF_PROG_RUN + XDP_TX) with a TC counter
// at the receiver, TCP request/response timing, and iperf3 streams.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_abi.h"
#include "netaccel/core/result.h"

namespace netaccel::bench {

struct Pod {
  std::string netns;  // name under /run/netns; empty: the caller's own namespace
  std::string ip;     // IPv4 address of eth0
  std::string mac;    // MAC of eth0
};

// The generators udp64_pps may use: BPF_PROG_RUN live frames (XDP_TX), the fastest, or, where
// the kernel refuses live frames, an AF_PACKET TX ring with PACKET_QDISC_BYPASS.
inline constexpr const char* kGeneratorLiveFrames = "bpf live frames";
inline constexpr const char* kGeneratorPacketRing = "af_packet tx ring";

struct PpsResult {
  double pps = 0;         // frames counted at the receiver per second of sending
  std::string generator;  // which generator sent them (and why the faster one was not used)
};

// Sends 64-byte UDP frames from `from` (eth0) addressed to `l2_dst` and `to`.ip for about
// `seconds`; returns packets per second delivered to `to`'s eth0 (counted and dropped at its
// TC ingress). With `flows`, frame k takes flow k % flows.size()'s source address and
// destination port. An error, never 0, when nothing arrived.
Result<PpsResult> udp64_pps(const Pod& from, const Pod& to, const std::string& l2_dst, double seconds,
                            const std::vector<gen_flow>& flows = {});

struct Latency {
  double p50_us = 0, p99_us = 0;
};
// TCP request/response of `size` bytes, `count` round trips, client and server pinned to
// `cpu`, connecting to server.ip:port.
Result<Latency> tcp_rr(const Pod& client, const Pod& server, int count, int cpu, size_t size = 64, int port = 7007,
                       int listen_port = 0);

// A new TCP connection per round trip: connect, `size` bytes each way, close, to
// `addr`:port (a service address DNAT'ed to `server`, listening on listen_port). This is what
// a service's rules cost: only a connection's first packet walks the nat table.
Result<Latency> tcp_connect_rr(const Pod& client, const Pod& server, const std::string& addr, int port, int listen_port,
                               int count, size_t size = 64);

// In-process TCP stream of `write_size` writes for `seconds`; Gbit/s the reader got.
Result<double> tcp_stream_inproc(const Pod& client, const Pod& server, double seconds, size_t write_size, int port);

// iperf3 TCP stream client -> server for `seconds`; Gbit/s received.
Result<double> tcp_stream_gbps(const Pod& client, const Pod& server, double seconds);

}  // namespace netaccel::bench

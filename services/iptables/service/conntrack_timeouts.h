// When a tracked connection is forgotten: Linux's conntrack timeouts (nf_conntrack_*_timeout
// sysctls, same defaults), applied to the data path's connections by the daemon's periodic
// sweep. Pure logic: which connection has expired, given its state and idle time.
#pragma once

#include <cstdint>

#include "bpf/iptables/ipt_abi.h"

namespace netaccel::ipt {

struct CtTimeouts {
  uint32_t tcp_unreplied = 120;      // SYN sent, nothing back (nf_conntrack_tcp_timeout_syn_sent)
  uint32_t tcp_established = 432000; // 5 days
  uint32_t tcp_closing = 120;        // FIN or RST seen (time_wait)
  uint32_t udp_unreplied = 30;       // nf_conntrack_udp_timeout
  uint32_t udp_replied = 120;        // nf_conntrack_udp_timeout_stream
  uint32_t icmp = 30;
  uint32_t other = 600;              // nf_conntrack_generic_timeout
};

// Seconds a connection of this protocol and state may stay idle.
uint32_t ct_timeout(const CtTimeouts& t, uint8_t proto, uint32_t conn_flags);
// Whether c (its protocol is its reply key's) is idle longer than its timeout at now_ns
// (CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns).
bool ct_expired(const CtTimeouts& t, const ipt_conn& c, uint64_t now_ns);

}  // namespace netaccel::ipt

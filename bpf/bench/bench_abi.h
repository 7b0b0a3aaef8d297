/* Benchmark traffic generator ABI (benchgen.bpf.c and tests/bench/traffic.cpp). Test
 * infrastructure, not part of the product. */
#ifndef NETACCEL_BENCH_ABI_H
#define NETACCEL_BENCH_ABI_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define GEN_TEMPLATE_LEN 64
#define GEN_MAX_FLOWS 65536

/* Value of gen_frame[0]: a whole 64-byte frame (Ethernet, IPv4, UDP). */
struct gen_template {
	__u8 bytes[GEN_TEMPLATE_LEN];
};

/* Value of gen_flows[i]: with gen_nflows > 0, frame k gets flow k % gen_nflows written
 * over the template's source address and UDP destination port (spreads traffic over rules). */
struct gen_flow {
	__u32 saddr; /* be */
	__u16 dport; /* be */
	__u16 pad;
};

#endif

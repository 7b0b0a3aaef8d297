/* Per-process statistics of libgazelle, shared with gazellectl through a small file in
 * stats_dir (default /run/gazelle/lstack-<pid>.stats) that the process maps and updates in
 * place: run-to-completion has no thread to answer a query, so the numbers are simply there.
 * Fixed-width types; a reader checks magic and version first. */
#ifndef GAZELLE_STATS_ABI_H
#define GAZELLE_STATS_ABI_H

#include <stdint.h>

#define GAZELLE_STATS_MAGIC 0x5a4c4753u /* "GSLZ" */
#define GAZELLE_STATS_VERSION 1u

struct gazelle_stats {
	uint32_t magic;
	uint32_t version;
	int32_t pid;
	uint32_t host_addr;      /* be */
	char backend[16];        /* "af_xdp" or "dpdk" */
	char ifname[32];         /* interface or DPDK port name */
	uint64_t started_ns;     /* CLOCK_REALTIME */
	/* Link level (back end). */
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_drops;       /* no pbuf for a received frame */
	uint64_t tx_drops;       /* no TX descriptor or frame */
	/* Stack level (lwIP). */
	uint64_t tcp_conns;      /* TCP connections open now (not listeners) */
	uint64_t tcp_listeners;
	uint64_t tcp_accepted;   /* total */
	uint64_t tcp_connected;  /* total, active opens */
	uint64_t tcp_retransmits;
	uint64_t tcp_resets_rx;  /* connections ended by a RST from the peer */
	uint64_t udp_sockets;
	uint64_t ip_drops;       /* lwIP: bad checksum, not for us, no route, ... */
	uint64_t tcp_drops;
	uint64_t polls;          /* times the stack was run */
};

#endif

/* libgazelle steering ABI: the XDP program that hands this stack's frames to its AF_XDP socket
 * and everything else to the kernel. Shared by steer.bpf.c and libgazelle's back ends.
 * Fixed-width types; "be" marks network byte order. tests/abi checks them against BTF. */
#ifndef NETACCEL_GAZELLE_ABI_H
#define NETACCEL_GAZELLE_ABI_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define GZ_MAX_QUEUES 64

/* gz_config[0], written by the back end once the socket is bound. A map rather than rodata
 * because DPDK's net_af_xdp driver loads the object itself (xdp_prog=): the back end finds the
 * map afterwards through the attached program. host_addr 0 steers nothing. */
struct gz_steer_config {
	__u32 host_addr; /* be: the user stack's IPv4 address */
	__u32 flags;     /* GZ_CFG_* */
};

/* The link delivers TCP/UDP with only the pseudo-header checksum (a veth peer with tx offload,
 * CHECKSUM_PARTIAL): complete it before the frame leaves the kernel's skb world. */
#define GZ_CFG_COMPLETE_CSUM (1u << 0)

/* Counter slots of the per-CPU array gz_stats. */
enum gz_stat {
	GZ_STAT_ARP_STEERED = 0, /* ARP whose target is host_addr */
	GZ_STAT_IP_STEERED,      /* IPv4 to host_addr */
	GZ_STAT_PASSED,          /* everything else: the kernel stack's traffic */
	GZ_STAT_CSUM_INCOMPLETE, /* checksum could not be completed: lwIP will drop it */
	GZ_STAT_NO_SOCKET,       /* steered but no socket on that queue: the kernel got it */
	GZ_STAT_MAX,
};

struct gz_stats {
	__u64 packets[GZ_STAT_MAX];
};

#endif

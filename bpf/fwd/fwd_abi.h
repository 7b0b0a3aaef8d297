/* netaccel-fwd ABI: every map key/value and constant shared by fwd.bpf.c and the C++ daemon.
 * Fixed-width types only; byte order is host unless a field says "be" (network order).
 * tests/abi checks these layouts against the BTF of fwd.bpf.o. */
#ifndef NETACCEL_FWD_ABI_H
#define NETACCEL_FWD_ABI_H

#ifdef __BPF__
/* vmlinux.h already provides __u8.. __u64 */
#else
#include <linux/types.h>
#endif

#define FWD_MAX_IFACES 4096
#define FWD_MAX_FDB 65536

/* fwd_iface.mode */
enum fwd_mode {
	FWD_MODE_ROUTER = 1, /* bpf_fib_lookup decides */
	FWD_MODE_BRIDGE = 2, /* the fwd_fdb map (mirror of the kernel bridge FDB) decides */
};

/* fwd_iface.hook: which hook the program is attached to on this interface */
enum fwd_hook {
	FWD_HOOK_TC = 1,
	FWD_HOOK_XDP = 2,
};

/* Key: ifindex (host order). One entry per interface netaccel-fwd manages. */
struct fwd_iface {
	__u32 mode;           /* enum fwd_mode */
	__u32 hook;           /* enum fwd_hook */
	__u32 bridge_ifindex; /* bridge mode: the master bridge; router mode: 0 */
	__u8 mac[6];          /* the interface's own MAC: router mode only forwards frames sent to it */
	__u16 pad;
};

/* Key of fwd_fdb: one learned (non-local) unicast MAC behind a bridge port. */
struct fwd_fdb_key {
	__u32 bridge_ifindex;
	__u8 mac[6];
	__u16 pad; /* must be zero */
};

struct fwd_fdb_val {
	__u32 port_ifindex;
};

/* Counter slots of struct fwd_stats. FWD_STAT_PASS_* say why a packet went to the kernel. */
enum fwd_stat {
	FWD_STAT_FORWARDED = 0,
	FWD_STAT_PASS_NOT_IP,           /* ARP, LLDP, anything but IPv4/IPv6 */
	FWD_STAT_PASS_MULTICAST,        /* broadcast/multicast MAC or IP, IPv6 link-local */
	FWD_STAT_PASS_NOT_FOR_US,       /* router mode: destination MAC is not the interface's */
	FWD_STAT_PASS_TTL,              /* TTL / hop limit <= 1: the kernel sends the ICMP */
	FWD_STAT_PASS_FRAGMENT,
	FWD_STAT_PASS_IP_OPTIONS,       /* IPv4 options, IPv6 hop-by-hop */
	FWD_STAT_PASS_ICMP_CONTROL,     /* IPv6 neighbour discovery / router solicitation */
	FWD_STAT_PASS_NO_NEIGH,         /* FIB hit but no resolved neighbour yet */
	FWD_STAT_PASS_NOT_FWDED,        /* local destination, or no route at all: the kernel answers */
	FWD_STAT_PASS_NO_ROUTE,         /* unreachable, blackhole or prohibit route */
	FWD_STAT_PASS_MTU,              /* would need fragmentation */
	FWD_STAT_PASS_FDB_MISS,         /* bridge mode: unknown unicast */
	FWD_STAT_PASS_EGRESS_UNMANAGED, /* egress interface is not managed by netaccel-fwd */
	FWD_STAT_PASS_HAIRPIN,          /* egress == ingress */
	FWD_STAT_PASS_MALFORMED,        /* truncated headers: the kernel decides what to do */
	FWD_STAT_PASS_DISABLED,         /* IPv6 with ipv6 forwarding disabled in config */
	FWD_STAT_PASS_GUARDED,          /* XDP: a TC stage must see it (netaccel_guard.h) */
	FWD_STAT_DROPPED,               /* a redirect helper failed */
	FWD_STAT__MAX
};

/* Value of fwd_stats (per-CPU hash keyed by ingress ifindex). */
struct fwd_stats {
	__u64 packets[FWD_STAT__MAX];
	__u64 forwarded_bytes;
};

/* rodata, set before load */
#define FWD_CFG_IPV6 (1u << 0)

#endif

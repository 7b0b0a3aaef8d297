/* netaccel-sockmap ABI: map keys/values and constants shared by sockmap.bpf.c and the daemon.
 * Fixed-width types; "be" marks network byte order. tests/abi checks them against BTF. */
#ifndef NETACCEL_SOCKMAP_ABI_H
#define NETACCEL_SOCKMAP_ABI_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#include "../include/netaccel_consts.h"

#define SM_MAX_SOCKETS 65536
#define SM_MAX_PREFIXES 256
#define SM_MAX_CGROUPS 256
#define SM_CGROUP_PATH_MAX 256

/* Key of sm_sockets: one established TCP socket, seen from itself. Pod addresses are unique
 * on a node, so a 4-tuple names a socket; loopback tuples repeat in every network namespace,
 * so for them netns_cookie keeps namespaces apart (0 otherwise). */
struct sm_sock_key {
	__u64 netns_cookie;
	__u32 family;       /* NA_AF_INET or NA_AF_INET6 */
	__u32 local_port;   /* host order */
	__u32 remote_port;  /* host order */
	__u32 pad;          /* zero */
	__u32 local_ip[4];  /* be; IPv4 in [0], rest zero */
	__u32 remote_ip[4]; /* be */
};

/* Key of sm_local_prefixes (LPM trie): addresses whose sockets are on this node (pod CIDRs,
 * node addresses); loopback is always local. prefixlen counts the family byte too (8 + bits). */
struct sm_prefix_key {
	__u32 prefixlen;
	__u8 family;
	__u8 addr[16]; /* be */
};

/* Counter slots of the per-CPU array sm_stats. */
enum sm_stat {
	SM_STAT_SOCKETS_ADDED = 0,     /* established sockets put in the map */
	SM_STAT_SOCKETS_REMOVED,       /* closed sockets (the kernel unlinks them) */
	SM_STAT_SKIP_REMOTE,           /* peer not on this node: never touched */
	SM_STAT_ADD_FAILED,            /* sockhash update failed (map full, ...) */
	SM_STAT_MSG_REDIRECTED,        /* sendmsg calls handed to the peer socket */
	SM_STAT_BYTES_REDIRECTED,
	SM_STAT_MSG_FALLBACK_NO_PEER,  /* peer socket not in the map: normal TCP path */
	SM_STAT_SIDECAR_REDIRECTED,    /* sidecar mode: connect() sent to the local proxy */
	SM_STAT_ORIG_DST_ANSWERED,     /* sidecar mode: SO_ORIGINAL_DST answered for the proxy */
	SM_STAT_SIDECAR_INBOUND,       /* sidecar mode: a proxy's connection sent to the peer pod's inbound port */
	SM_STAT_SOCKETS_TO_BULK,       /* bulk bypass: sockets that sent sm_bulk_bytes unanswered, now on TCP */
	SM_STAT_MSG_BULK_PASSED,       /* bulk bypass: sendmsg calls of such sockets left to the TCP path */
	SM_STAT__MAX
};

struct sm_stats {
	__u64 v[SM_STAT__MAX];
};

/* Value of sm_flows (key: struct sm_sock_key, the socket as it sees itself): bulk bypass state
 * of one accelerated socket. A socket that keeps sending without its peer sending back is a
 * bulk sender; on machines where redirecting loses to TCP for bulk (page-table isolation),
 * it is left to TCP from then on. The switch is one way: a redirected message is on the peer's
 * queue before the next send starts, and the peer reads that queue before its TCP queue, so
 * order holds; going back could let a redirected message overtake TCP data in flight. */
struct sm_flow {
	__u64 unanswered; /* bytes sent since the peer last sent */
	__u32 bulk;       /* 1: this socket's sends take the TCP path */
	__u32 pad;
};

/* Sidecar mode. An application's connect() is sent to the local proxy; the original
 * destination is kept first by socket cookie (connect4/6 know no source port yet), then by the
 * application socket's local address once established, which is what the proxy's accepted
 * socket sees as its peer and asks about with getsockopt(SO_ORIGINAL_DST). */
struct sm_orig_dst {
	__u32 family; /* NA_AF_INET or NA_AF_INET6 */
	__u32 ip[4];  /* be; IPv4 in [0] */
	__u16 port;   /* be */
	__u16 pad;
};

struct sm_orig_key {
	__u64 netns_cookie; /* loopback addresses only (they repeat per namespace); 0 for pod IPs */
	__u32 family;
	__u32 ip[4]; /* be: the application socket's local address */
	__u16 port;  /* be */
	__u16 pad;
};

/* Key of sm_sidecar_pods: a pod on this node that runs its own sidecar (inbound capture). */
struct sm_pod_key {
	__u32 family;
	__u32 ip[4]; /* be */
};

/* Value of sm_sidecar_pods. The pod's own connections to itself are never captured. */
struct sm_pod {
	__u64 netns_cookie;
};

/* Value of sm_cgroups (key: cgroup id = inode of the cgroup v2 directory): user-space state the
 * daemon pins with its links so a restarted daemon knows which cgroups it enabled. */
struct sm_cgroup {
	char path[SM_CGROUP_PATH_MAX];
};

#endif

/* netaccel-policy ABI: every map key/value and constant shared by policy.bpf.c and the C++
 * daemon. Fixed-width types; byte order is host unless a field says "be" (network order).
 * LPM trie keys are compared byte by byte, so their multi-byte fields are big-endian.
 * tests/abi checks these layouts against the BTF of policy.bpf.o. */
#ifndef NETACCEL_POLICY_ABI_H
#define NETACCEL_POLICY_ABI_H

#ifdef __BPF__
/* vmlinux.h already provides __u8.. __u64 */
#else
#include <linux/types.h>
#endif

#define POL_MAX_ENDPOINTS 4096   /* local pods with a policy slot */
#define POL_MAX_ADDRESSES 262144 /* ipcache: pods and nodes of the cluster */
#define POL_MAX_CIDRS 16384      /* ranges of the ipBlock partition */
#define POL_MAX_ENTRIES 16384    /* per endpoint policy map */
#define POL_MAX_CONNS 262144     /* connection table (LRU) */

/* Reserved identities (services/policy/identity/identity.h uses these values). */
#define POL_ID_ANY 0 /* in a policy entry: every peer */
#define POL_ID_HOST 1
#define POL_ID_WORLD 2
#define POL_ID_UNMANAGED 3
#define POL_ID_REMOTE_NODE 4
#define POL_ID_FIRST_POD 256
#define POL_ID_FIRST_CIDR (1u << 24)
#define POL_ID_ISOLATED 0xffffffffu /* marker entry: this direction is isolated */

enum pol_dir {
	POL_DIR_INGRESS = 0, /* into the endpoint */
	POL_DIR_EGRESS = 1,  /* out of the endpoint */
};

/* Addresses: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one trie holds both families. */
#define POL_ADDR_PREFIX_BITS(v4len) (96 + (v4len))

/* Key of the ipcache and cidr tries. */
struct pol_addr_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Value of the ipcache: the address's identity and, for a pod on this node, its endpoint. */
struct pol_addr_val {
	__u32 identity;
	__u32 endpoint; /* slot in the policy arrays + 1; 0: not a local endpoint */
};

/* Value of the cidr trie. */
struct pol_cidr_val {
	__u32 identity;
};

/* Key of an endpoint's policy trie: identity, direction, then protocol and port.
 * prefixlen 40: every protocol and port; 48: every port of `proto`; 48 + n: a port range
 * whose first n bits are fixed. The isolation marker is {POL_ID_ISOLATED, dir} at 40. */
#define POL_RULE_BITS_ANY_PROTO 40
#define POL_RULE_BITS_ANY_PORT 48
#define POL_RULE_BITS_FULL 64
struct pol_rule_key {
	__u32 prefixlen;
	__be32 identity;
	__u8 dir; /* enum pol_dir */
	__u8 proto;
	__be16 port;
};

struct pol_rule_val {
	__u32 flags; /* reserved, 0 */
};

/* Key of pol_endpoints: the host-side veth's ifindex. */
struct pol_endpoint {
	__u32 endpoint; /* slot + 1, as in pol_addr_val */
	__u32 identity;
};

/* The connection table: the original direction of a connection some isolated direction
 * allowed. Replies (the reversed tuple) and later packets pass without a policy lookup. */
struct pol_ct_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport; /* ICMP echo: the identifier; else 0 for portless protocols */
	__be16 dport;
	__u8 proto;
	__u8 pad[3]; /* zero */
};

struct pol_ct_val {
	__u64 last_seen_ns;
};

/* The state slot the data path reads (pol_version[0]): the daemon writes the other slot,
 * flips this, waits for readers of the old slot to finish, then brings the old slot level. */
struct pol_version {
	__u32 slot; /* 0 or 1 */
};

/* Counters per endpoint slot and direction (per-CPU). */
enum pol_stat {
	POL_STAT_ALLOWED = 0,  /* new connections a policy entry allowed */
	POL_STAT_ESTABLISHED,  /* packets of known connections and their replies */
	POL_STAT_DENIED,
	POL_STAT_UNRESTRICTED, /* packets in a direction no policy isolates */
	POL_STAT_MAX,
};
struct pol_stats {
	__u64 packets[2][POL_STAT_MAX]; /* [enum pol_dir][enum pol_stat] */
};

/* Why a packet was dropped (pol_drop_event.reason). */
enum pol_drop_reason {
	POL_DROP_POLICY = 1,    /* no entry of an isolating policy allows it */
	POL_DROP_MALFORMED = 2, /* an IP header that cannot be read, at an isolated endpoint */
};

/* One denied packet, for `netaccelctl policy monitor` (ring buffer pol_drops). */
struct pol_drop_event {
	__u64 ts_ns;
	__u32 endpoint; /* slot + 1 of the endpoint whose policy denied it */
	__u32 peer_identity;
	__u32 ifindex; /* where it was seen */
	__u8 dir;      /* the endpoint's direction that denied it */
	__u8 reason;   /* enum pol_drop_reason */
	__u8 proto;
	__u8 pad;
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
};

#endif

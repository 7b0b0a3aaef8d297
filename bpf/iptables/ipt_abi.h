/* netaccel-iptables ABI: the compiled ruleset the classifier walks, conntrack, counters.
 * Shared by iptables.bpf.c and the daemon's compiler. Fixed-width types; "be" marks network
 * byte order, everything else is host order. tests/abi checks them against BTF.
 *
 * Classifier: tuple space search per chain. Every rule is filed under one tuple of its chain
 * (which packet fields it matches exactly: prefix lengths, protocol, ports, interface) and a
 * key (those fields' values). For a packet, each tuple of the chain costs one hash lookup; the
 * bucket found lists the rules with that key in chain order, each with residual predicates
 * (ranges, negations, modules) checked in turn. The first match is the lowest position over
 * all tuples, so the per-packet cost follows the number of tuples, not of rules. */
#ifndef NETACCEL_IPT_ABI_H
#define NETACCEL_IPT_ABI_H

#ifndef __BPF__
#include <linux/types.h>
#endif

#define IPT_MAX_RULES 262144   /* two generations of 131,072 during an atomic swap */
#define IPT_MAX_CHAINS 131072  /* two generations of 65,536: 25,000 kube-proxy services make 50,000 */
#define IPT_MAX_TUPLES 16       /* per chain; more distinct shapes -> the compiler merges */
#define IPT_MAX_DEPTH 16        /* nested jumps */
#define IPT_MAX_STEPS 512       /* rules examined per packet and hook, a safety bound */
#define IPT_MAX_MULTIPORT 15
#define IPT_MAX_IFACE_PATTERNS 64
#define IPT_NONE 0xffffffffu

/* Address families: one data path instance per family (rodata ipt_family), same maps' layout. */
#define IPT_FAMILY_V4 4
#define IPT_FAMILY_V6 6

/* An address of either family, be words: IPv6 as in struct in6_addr, IPv4 in w[0] with
 * w[1..3] zero. Prefix lengths count from the first bit of w[0] (0-32 for IPv4, 0-128). */
struct ipt_addr {
	__u32 w[4];
};

/* Built-in chains, and which tables evaluate at each of netaccel's hooks. */
enum ipt_hook {
	IPT_HOOK_PREROUTING = 0, /* nat */
	IPT_HOOK_INPUT,          /* filter (+ nat INPUT for SNAT) */
	IPT_HOOK_FORWARD,        /* filter */
	IPT_HOOK_OUTPUT,         /* filter and nat */
	IPT_HOOK_POSTROUTING,    /* nat */
	IPT_HOOK_MAX,
};

/* ipt_tuple.use */
#define IPT_USE_PROTO (1u << 0)
#define IPT_USE_SPORT (1u << 1)
#define IPT_USE_DPORT (1u << 2)
#define IPT_USE_IN (1u << 3)
#define IPT_USE_OUT (1u << 4)

struct ipt_tuple {
	__u8 src_len; /* source prefix length in the key (0 = not used) */
	__u8 dst_len;
	__u8 use;     /* IPT_USE_* */
	__u8 pad;
};

/* Value of ipt_chains[chain id]. */
struct ipt_chain {
	__u32 ntuples;
	__u32 policy; /* enum ipt_verdict for a built-in chain; IPT_V_RETURN for a user chain */
	struct ipt_tuple tuples[IPT_MAX_TUPLES];
};

/* Key of ipt_buckets. */
struct ipt_key {
	__u32 chain;
	__u32 tuple;  /* index into ipt_chain.tuples */
	struct ipt_addr src; /* masked to the tuple's src_len */
	struct ipt_addr dst; /* masked */
	__u16 sport;  /* host order, 0 when not used */
	__u16 dport;
	__u32 in_if;  /* exact-name interface pattern id + 1, 0 when not used */
	__u32 out_if;
	__u8 proto;   /* 0 when not used */
	__u8 pad[3];
};

/* Value of ipt_buckets: the first rule (lowest position) filed under the key. */
struct ipt_bucket {
	__u32 first;
};

/* Verdicts and targets. */
enum ipt_verdict {
	IPT_V_NONE = 0,   /* no target: count and continue */
	IPT_V_ACCEPT,
	IPT_V_DROP,
	IPT_V_RETURN,
	IPT_V_JUMP,       /* arg = chain id */
	IPT_V_GOTO,
	IPT_V_REJECT,     /* arg = enum ipt_reject */
	IPT_V_DNAT,       /* nat fields */
	IPT_V_SNAT,
	IPT_V_MASQUERADE,
	IPT_V_REDIRECT,
	IPT_V_LOG,        /* arg = rule id (the daemon has the prefix and level) */
	IPT_V_MARK,       /* mark = (mark & ~mark_mask) ^ mark_value */
};

enum ipt_reject {
	IPT_REJ_PORT_UNREACH = 0,
	IPT_REJ_NET_UNREACH,
	IPT_REJ_HOST_UNREACH,
	IPT_REJ_PROTO_UNREACH,
	IPT_REJ_NET_PROHIB,
	IPT_REJ_HOST_PROHIB,
	IPT_REJ_ADMIN_PROHIB,
	IPT_REJ_TCP_RESET,
	/* ip6tables' kinds (ICMPv6 destination unreachable) */
	IPT_REJ6_NO_ROUTE,
	IPT_REJ6_ADM_PROHIB,
	IPT_REJ6_ADDR_UNREACH,
	IPT_REJ6_PORT_UNREACH,
	IPT_REJ6_POLICY_FAIL,
	IPT_REJ6_REJECT_ROUTE,
};

/* ipt_rule.check: residual predicates (beyond the bucket key). */
#define IPT_C_SRC (1u << 0)        /* (src & src_mask) == src_addr */
#define IPT_C_SRC_NEG (1u << 1)
#define IPT_C_DST (1u << 2)
#define IPT_C_DST_NEG (1u << 3)
#define IPT_C_PROTO (1u << 4)      /* proto == proto (negated: !=) */
#define IPT_C_PROTO_NEG (1u << 5)
#define IPT_C_SPORT (1u << 6)      /* sport in [sport_lo, sport_hi] */
#define IPT_C_SPORT_NEG (1u << 7)
#define IPT_C_DPORT (1u << 8)
#define IPT_C_DPORT_NEG (1u << 9)
#define IPT_C_IN (1u << 10)        /* in interface matches pattern in_pattern */
#define IPT_C_IN_NEG (1u << 11)
#define IPT_C_OUT (1u << 12)
#define IPT_C_OUT_NEG (1u << 13)
#define IPT_C_TCPFLAGS (1u << 14)  /* (flags & tcp_mask) == tcp_comp */
#define IPT_C_TCPFLAGS_NEG (1u << 15)
#define IPT_C_MULTIPORT (1u << 16) /* see mp_dir */
#define IPT_C_MULTIPORT_NEG (1u << 17)
#define IPT_C_CTSTATE (1u << 18)   /* ctstate bit in ctstates */
#define IPT_C_CTSTATE_NEG (1u << 19)
#define IPT_C_MARK (1u << 20)      /* (mark & mark_mask) == mark_value */
#define IPT_C_MARK_NEG (1u << 21)
#define IPT_C_RANDOM (1u << 22)    /* prandom < probability (31-bit) */
#define IPT_C_NTH (1u << 23)       /* per-rule counter, every/packet */
#define IPT_C_SRC_LOCAL (1u << 24) /* addrtype --src-type LOCAL */
#define IPT_C_SRC_LOCAL_NEG (1u << 25)
#define IPT_C_DST_LOCAL (1u << 26)
#define IPT_C_DST_LOCAL_NEG (1u << 27)
#define IPT_C_ICMP (1u << 28)      /* icmp (proto 1) or icmp6 (58) type, and code unless icmp_any_code */
#define IPT_C_ICMP_NEG (1u << 29)
/* Checks that look at more than the flow: a verdict that examined one is not cached. */
#define IPT_C_PER_PACKET (IPT_C_TCPFLAGS | IPT_C_MARK | IPT_C_RANDOM | IPT_C_NTH)

/* ct states as rules name them (same bits as the model's CtState). */
#define IPT_CT_INVALID 1
#define IPT_CT_NEW 2
#define IPT_CT_RELATED 4
#define IPT_CT_ESTABLISHED 8
#define IPT_CT_UNTRACKED 16
#define IPT_CT_SNAT 32
#define IPT_CT_DNAT 64

struct ipt_port_range {
	__u16 lo, hi;
};

/* Value of ipt_rules[rule id]. */
struct ipt_rule {
	__u64 pos;           /* order within its chain (gaps allow inserts) */
	__u32 next;          /* next rule of the same bucket, higher pos; IPT_NONE at the end */
	__u32 chain;
	__u32 check;         /* IPT_C_* */
	__u32 verdict;       /* enum ipt_verdict */
	__u32 arg;           /* chain id (JUMP/GOTO), enum ipt_reject, rule id (LOG) */
	struct ipt_addr src_addr, src_mask; /* be */
	struct ipt_addr dst_addr, dst_mask;
	__u16 sport_lo, sport_hi, dport_lo, dport_hi;
	__u32 in_pattern;    /* interface pattern id */
	__u32 out_pattern;
	__u8 proto;
	__u8 tcp_mask, tcp_comp;
	__u8 ctstates;       /* IPT_CT_* */
	__u8 mp_dir;         /* multiport: 0 src, 1 dst, 2 either */
	__u8 mp_count;
	__u8 icmp_type, icmp_code;
	__u8 icmp_any_code;
	__u8 pad[3];
	struct ipt_port_range mp[IPT_MAX_MULTIPORT];
	__u32 mark_value, mark_mask;         /* -m mark */
	__u32 set_mark_value, set_mark_mask; /* -j MARK */
	__u32 probability;   /* random: p * 2^31 */
	__u32 nth_every;     /* nth: every - 1 */
	__u32 nth_packet;
	/* NAT targets */
	struct ipt_addr nat_addr_lo, nat_addr_hi; /* all zero = keep the address */
	__u16 nat_port_lo, nat_port_hi; /* 0 = keep the port */
	__u32 nat_flags;               /* IPT_NAT_* */
};

#define IPT_NAT_RANDOM (1u << 0)
#define IPT_NAT_PERSISTENT (1u << 1)
#define IPT_NAT_RANDOM_FULLY (1u << 2)

/* Value of ipt_ifaces[ifindex]: which interface patterns an interface matches. */
struct ipt_iface {
	__u32 exact_id;      /* pattern id + 1 of its exact name, 0 if no rule names it */
	__u32 pad;
	__u64 patterns;      /* bit i: matches pattern i (exact names and "eth+" wildcards) */
};

/* Value of ipt_config[0]: which of the two ruleset slots is live (atomic swap). */
struct ipt_config {
	__u32 active;        /* 0 or 1 */
	__u32 generation;    /* bumped on every change: cached verdicts older than it are redone */
	__u32 hook_chain[2][IPT_HOOK_MAX * 2]; /* [slot][hook*2 + table]: chain id, IPT_NONE if absent; table 0 filter, 1 nat */
};

/* Per-CPU value of ipt_counters[rule id] (and of built-in chain policies, id = IPT_MAX_RULES + chain). */
struct ipt_counter {
	__u64 packets;
	__u64 bytes;
};

/* What one classification decided (test entry point: ipt_last_decision[0]). */
#define IPT_MAX_PATH 32
struct ipt_decision {
	__u32 verdict;        /* enum ipt_verdict: ACCEPT, DROP, REJECT or a NAT target */
	__u32 by;             /* deciding rule id; IPT_NONE for a chain policy */
	__u32 mark;           /* after MARK targets */
	__u32 steps;          /* candidate rules examined */
	__u32 flags;          /* IPT_D_* */
	__u32 npath;
	__u32 path[IPT_MAX_PATH]; /* matched rule ids in order */
};
#define IPT_D_CACHEABLE (1u << 0)
#define IPT_D_STEPS_EXCEEDED (1u << 1)

/* cb[] of a BPF_PROG_RUN context for ipt_classify_test: what a real hook knows. */
enum ipt_test_cb {
	IPT_TCB_HOOK_TABLE = 0, /* hook * 2 + table */
	IPT_TCB_OUT_IFINDEX,
	IPT_TCB_CTSTATE,
	IPT_TCB_LOCAL,          /* bit 0 src local, bit 1 dst local */
	IPT_TCB_RANDOM31,
};

/* ---- Connection tracking ---- */

#define IPT_CT_MAX 262144
#define IPT_CACHE_PATH 8

/* Key of ipt_ct: a packet's tuple as one hook sees it. ICMP echo: sport = identifier, dport 0. */
struct ipt_ct_key {
	struct ipt_addr src, dst;
	__u16 sport, dport; /* host order */
	__u8 proto;
	__u8 pad[3];
};

/* A rewrite: zero fields (all-zero addresses) are kept. */
struct ipt_rewrite {
	struct ipt_addr src, dst;
	__u16 sport, dport; /* host order */
};

#define IPT_DIR_ORIG 0
#define IPT_DIR_REPLY 1

/* ipt_ct_entry.flags */
#define IPT_CTE_INGRESS (1u << 0) /* an ingress hook sees this tuple */
#define IPT_CTE_EGRESS (1u << 1)  /* an egress hook sees this tuple */
#define IPT_CTE_LOCAL (1u << 2)   /* this direction starts or ends on this host (INPUT/OUTPUT) */

/* Value of ipt_ct: what a hook does with a tracked tuple. */
struct ipt_ct_entry {
	__u64 conn;                /* ipt_conns key */
	__u8 dir;                  /* IPT_DIR_* */
	__u8 flags;                /* IPT_CTE_* */
	__u8 pad[6];
	struct ipt_rewrite ingress;      /* before the filter (DNAT; un-SNAT of replies) */
	struct ipt_rewrite ingress_late; /* after the filter, local delivery (un-DNAT of replies) */
	struct ipt_rewrite egress;       /* SNAT; un-DNAT of replies */
};

/* ipt_conn.flags */
#define IPT_CONN_SEEN_REPLY (1u << 0)
#define IPT_CONN_DNAT (1u << 1)
#define IPT_CONN_SNAT (1u << 2)
#define IPT_CONN_POST_DONE (1u << 3)  /* nat POSTROUTING decided */
#define IPT_CONN_LOCAL_OUT (1u << 4)  /* started on this host */
#define IPT_CONN_CLOSING (1u << 5)    /* FIN or RST seen */

/* Value of ipt_conns: one connection's shared state. */
struct ipt_conn {
	__u64 last_seen_ns;
	__u32 flags;          /* IPT_CONN_* */
	__u32 pad;
	/* Filter verdicts cached per direction for packets without per-packet checks. */
	__u32 cache_gen[2];   /* ipt_config.generation + 1 when valid, 0 when not */
	__u32 cache_hook[2];
	__u32 cache_state[2];
	__u32 cache_verdict[2];
	__u32 cache_mark[2];
	__u32 cache_npath[2];
	__u32 cache_path[2][IPT_CACHE_PATH];
	/* Keys of this connection (to re-key on SNAT, delete on close). */
	struct ipt_ct_key reply_key; /* the ingress key replies arrive with */
};

/* Value of ipt_local_addrs[struct ipt_addr]: the host owns it (addrtype LOCAL, local origin). */
struct ipt_local_addr {
	__u32 ifindex;
};

/* Value of ipt_iface_addrs[ifindex]: the interface's primary address of the instance's family
 * (MASQUERADE, REDIRECT, REJECT's answers in FORWARD). IPv6: a global one if it has one. */
struct ipt_iface_addr {
	struct ipt_addr addr;
};

/* Ring buffer record for -j LOG (the daemon writes it to the journal). */
struct ipt_log_event {
	__u32 rule;           /* rule id */
	__u32 hook;
	struct ipt_addr src, dst;
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
	__u32 in_ifindex, out_ifindex;
	__u32 len;
};

/* Per-CPU slots of ipt_stats. */
enum ipt_stat {
	IPT_STAT_PACKETS = 0,     /* packets of the instance's family seen */
	IPT_STAT_CT_NEW,          /* connections created */
	IPT_STAT_CT_HIT,          /* packets of tracked connections */
	IPT_STAT_CACHED,          /* filter verdicts taken from the connection */
	IPT_STAT_CLASSIFIED,      /* filter or nat classifications run */
	IPT_STAT_DROPPED,
	IPT_STAT_REJECTED,
	IPT_STAT_NATTED,
	IPT_STAT_INVALID,
	IPT_STAT_STEPS_EXCEEDED,  /* classification gave up: the packet passed */
	IPT_STAT_NAT_NO_PORT,     /* no free source port for SNAT */
	IPT_STAT_MAX,
};

struct ipt_stats {
	__u64 v[IPT_STAT_MAX];
};

#endif

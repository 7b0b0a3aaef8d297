// SPDX-License-Identifier: GPL-2.0-only
/* netaccel-iptables data path: iptables' filter and nat tables on TC hooks.
 *
 * ingress (every attached interface): conntrack; for a new connection nat PREROUTING (DNAT,
 *   REDIRECT); the FIB decides INPUT (local) or FORWARD; filter INPUT/FORWARD, cached per
 *   connection direction unless a per-packet check was involved.
 * egress: packets of tracked connections get their SNAT / un-DNAT; a new connection's first
 *   packet gets nat POSTROUTING (SNAT, MASQUERADE). Packets from local sockets with no
 *   connection yet start one: nat OUTPUT, filter OUTPUT, nat POSTROUTING.
 * One instance per address family (rodata ipt_family); everything the programs cannot judge (the
 * other family, not tracked) passes on. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "iptables/ipt_rewrite.h"
#include "iptables/ipt_ct_maps.h"
#include "iptables/ipt_reject.h"
#include "iptables/ipt_ct_key.h"
#include "iptables/ipt_icmp_error.h"

#define IPT_TABLE_FILTER 0
#define IPT_TABLE_NAT 1
#define IPT_TCP_FIN 0x01
#define IPT_TCP_SYN 0x02
#define IPT_TCP_RST 0x04
#define IPT_TCP_ACK 0x10
#define IPT_TCP_URG 0x20

static __always_inline void ipt_fill_local(struct ipt_pkt *p)
{
	p->src_local = bpf_map_lookup_elem(&ipt_local_addrs, &p->src) != NULL;
	p->dst_local = bpf_map_lookup_elem(&ipt_local_addrs, &p->dst) != NULL;
}

static __always_inline void ipt_log_matches(struct ipt_scratch *s, __u32 hook, __u32 in_if, __u32 out_if)
{
	__u32 i;

	for (i = 0; i < IPT_MAX_PATH; i++) {
		__u32 id;
		struct ipt_rule *r;
		struct ipt_log_event *e;

		if (i >= s->d.npath)
			break;
		id = s->d.path[i];
		r = bpf_map_lookup_elem(&ipt_rules, &id);
		if (!r || r->verdict != IPT_V_LOG)
			continue;
		e = bpf_ringbuf_reserve(&ipt_log, sizeof(*e), 0);
		if (!e)
			continue;
		e->rule = id;
		e->hook = hook;
		e->src = s->pkt.src;
		e->dst = s->pkt.dst;
		e->sport = s->pkt.sport;
		e->dport = s->pkt.dport;
		e->proto = s->pkt.proto;
		e->in_ifindex = in_if;
		e->out_ifindex = out_if;
		e->len = s->pkt.len;
		bpf_ringbuf_submit(e, 0);
	}
}

/* A cached filter verdict for this direction, counters included; 1 when used. */
static __always_inline int ipt_cached(struct ipt_scratch *s, struct ipt_conn *c, __u32 dir, __u32 hook, __u32 gen)
{
	__u32 d = dir & 1, i;

	if (c->cache_gen[d] != gen + 1 || c->cache_hook[d] != hook || c->cache_state[d] != s->pkt.ctstate)
		return 0;
	s->d.verdict = c->cache_verdict[d];
	s->d.mark = c->cache_mark[d];
	s->d.npath = c->cache_npath[d];
	for (i = 0; i < IPT_CACHE_PATH; i++) {
		__u32 id;

		if (i >= c->cache_npath[d])
			break;
		id = c->cache_path[d][i];
		s->d.path[i] = id;
		ipt_count(id, s->pkt.len);
	}
	ipt_stat(IPT_STAT_CACHED);
	return 1;
}

static __always_inline void ipt_cache(struct ipt_scratch *s, struct ipt_conn *c, __u32 dir, __u32 hook, __u32 gen)
{
	__u32 d = dir & 1, i;

	/* REJECT needs its rule (the reject kind): it is classified every time. */
	if (!(s->d.flags & IPT_D_CACHEABLE) || s->d.npath > IPT_CACHE_PATH || s->d.verdict == IPT_V_REJECT)
		return;
	for (i = 0; i < IPT_CACHE_PATH; i++) {
		if (i >= s->d.npath)
			break;
		c->cache_path[d][i] = s->d.path[i];
	}
	c->cache_hook[d] = hook;
	c->cache_state[d] = s->pkt.ctstate;
	c->cache_verdict[d] = s->d.verdict;
	c->cache_mark[d] = s->d.mark;
	c->cache_npath[d] = s->d.npath;
	c->cache_gen[d] = gen + 1;
}

static __always_inline __u32 ipt_generation(void)
{
	__u32 zero = 0;
	struct ipt_config *cfg = bpf_map_lookup_elem(&ipt_config, &zero);

	return cfg ? cfg->generation : 0;
}

/* MARK targets of a nat chain mark this packet (kube-proxy's KUBE-MARK-MASQ is read by the
 * filter and by POSTROUTING). */
static __always_inline void ipt_take_mark(struct __sk_buff *skb, struct ipt_scratch *s)
{
	if (s->d.mark != s->pkt.mark) {
		skb->mark = s->d.mark;
		s->pkt.mark = s->d.mark;
	}
}

/* Filter table at hook, from the connection's cache when possible. Returns the verdict. */
static __always_inline __u32 ipt_filter(struct __sk_buff *skb, struct ipt_scratch *s, struct ipt_conn *c, __u32 dir,
					__u32 hook, __u32 in_if, __u32 out_if)
{
	__u32 gen = ipt_generation();

	s->d.npath = 0;
	if (c && ipt_cached(s, c, dir, hook, gen)) {
		/* cached */
	} else {
		ipt_stat(IPT_STAT_CLASSIFIED);
		if (ipt_classify(s, hook, IPT_TABLE_FILTER))
			return IPT_V_ACCEPT;
		if (s->d.flags & IPT_D_STEPS_EXCEEDED) {
			ipt_stat(IPT_STAT_STEPS_EXCEEDED);
			return IPT_V_ACCEPT;
		}
		if (c)
			ipt_cache(s, c, dir, hook, gen);
	}
	ipt_log_matches(s, hook, in_if, out_if);
	ipt_take_mark(skb, s);
	return s->d.verdict;
}

static __always_inline __u16 ipt_pick_port(__u16 lo, __u16 hi, __u16 keep)
{
	if (!lo)
		return keep;
	if (hi <= lo)
		return lo;
	return lo + (__u16)(bpf_get_prandom_u32() % ((__u32)hi - lo + 1));
}

/* An address of [lo, hi]: random in the last word when only that differs (an IPv4 range, an
 * IPv6 range within one /96), else lo. */
static __always_inline void ipt_pick_addr(struct ipt_addr *out, const struct ipt_addr *lo_be, const struct ipt_addr *hi_be)
{
	__u32 lo = bpf_ntohl(ipt_family == IPT_FAMILY_V6 ? lo_be->w[3] : lo_be->w[0]);
	__u32 hi = bpf_ntohl(ipt_family == IPT_FAMILY_V6 ? hi_be->w[3] : hi_be->w[0]);

	*out = *lo_be;
	if (hi <= lo || (ipt_family == IPT_FAMILY_V6 && (lo_be->w[0] != hi_be->w[0] || lo_be->w[1] != hi_be->w[1] ||
							    lo_be->w[2] != hi_be->w[2])))
		return;
	out->w[ipt_family == IPT_FAMILY_V6 ? 3 : 0] = bpf_htonl(lo + bpf_get_prandom_u32() % (hi - lo + 1));
}

/* Where REDIRECT sends a locally generated connection: 127.0.0.1 or ::1. */
static __always_inline void ipt_loopback(struct ipt_addr *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	if (ipt_family == IPT_FAMILY_V6)
		out->w[3] = bpf_htonl(1);
	else
		out->w[0] = bpf_htonl(0x7f000001);
}

/* nat PREROUTING (ingress) or OUTPUT (egress, local): where a new connection's packets go. */
static __always_inline int ipt_nat_destination(struct __sk_buff *skb, struct ipt_scratch *s, __u32 hook, __u32 in_if,
					       struct ipt_rewrite *dnat)
{
	__u32 id;
	struct ipt_rule *r;

	if (ipt_classify(s, hook, IPT_TABLE_NAT) || (s->d.flags & IPT_D_STEPS_EXCEEDED))
		return 0;
	ipt_take_mark(skb, s);
	ipt_log_matches(s, hook, in_if, 0);
	if (s->d.verdict != IPT_V_DNAT && s->d.verdict != IPT_V_REDIRECT)
		return 0;
	id = s->d.by;
	r = bpf_map_lookup_elem(&ipt_rules, &id);
	if (!r)
		return 0;
	if (s->d.verdict == IPT_V_DNAT) {
		if (ipt_addr_set(&r->nat_addr_lo))
			ipt_pick_addr(&dnat->dst, &r->nat_addr_lo, &r->nat_addr_hi);
	} else {
		/* REDIRECT: to the receiving interface's address (loopback for local output). */
		struct ipt_iface_addr *a = bpf_map_lookup_elem(&ipt_iface_addrs, &in_if);

		if (hook == IPT_HOOK_OUTPUT)
			ipt_loopback(&dnat->dst);
		else if (a)
			dnat->dst = a->addr;
		if (!ipt_addr_set(&dnat->dst))
			return 0;
	}
	if (s->pkt.proto != ipt_icmp_proto())
		dnat->dport = ipt_pick_port(r->nat_port_lo, r->nat_port_hi, 0);
	return 1;
}

/* nat POSTROUTING: the new source of a connection's first packet leaving on out_if. */
static __always_inline int ipt_nat_source(struct __sk_buff *skb, struct ipt_scratch *s, __u32 out_if, struct ipt_rewrite *snat,
					  struct ipt_port_range *ports)
{
	__u32 id;
	struct ipt_rule *r;

	if (ipt_classify(s, IPT_HOOK_POSTROUTING, IPT_TABLE_NAT) || (s->d.flags & IPT_D_STEPS_EXCEEDED))
		return 0;
	ipt_take_mark(skb, s);
	ipt_log_matches(s, IPT_HOOK_POSTROUTING, 0, out_if);
	if (s->d.verdict != IPT_V_SNAT && s->d.verdict != IPT_V_MASQUERADE)
		return 0;
	id = s->d.by;
	r = bpf_map_lookup_elem(&ipt_rules, &id);
	if (!r)
		return 0;
	if (s->d.verdict == IPT_V_SNAT) {
		if (ipt_addr_set(&r->nat_addr_lo))
			ipt_pick_addr(&snat->src, &r->nat_addr_lo, &r->nat_addr_hi);
	} else {
		struct ipt_iface_addr *a = bpf_map_lookup_elem(&ipt_iface_addrs, &out_if);

		if (!a)
			return 0;
		snat->src = a->addr;
	}
	/* Where a port comes from when the connection's own is taken: the rule's range, or (as
	 * Linux does without one) the unprivileged ports. */
	ports->lo = r->nat_port_lo ? r->nat_port_lo : 1024;
	ports->hi = r->nat_port_lo ? r->nat_port_hi : 65535;
	if (s->pkt.proto != ipt_icmp_proto() && (r->nat_port_lo || (r->nat_flags & IPT_NAT_RANDOM_FULLY)))
		snat->sport = ipt_pick_port(ports->lo, ports->hi, 0);
	return 1;
}

static __always_inline __u64 ipt_new_conn_id(void)
{
	return ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
}

static __always_inline void ipt_tcp_track(struct ipt_conn *c, const struct ipt_pkt *p)
{
	if (p->proto == NA_IPPROTO_TCP && (p->tcp_flags & (IPT_TCP_FIN | IPT_TCP_RST)))
		c->flags |= IPT_CONN_CLOSING;
}

/* A SYN from the original side of a connection that has seen FIN or RST starts a new one on
 * the same tuple (a client reusing its port), as Linux reopens it: new NAT choices included. */
static __always_inline int ipt_tcp_reopens(const struct ipt_conn *c, const struct ipt_ct_entry *e, const struct ipt_pkt *p)
{
	return p->proto == NA_IPPROTO_TCP && e->dir == IPT_DIR_ORIG && (c->flags & IPT_CONN_CLOSING) &&
	       (p->tcp_flags & (IPT_TCP_SYN | IPT_TCP_ACK | IPT_TCP_RST)) == IPT_TCP_SYN;
}

/* ctstate of a packet of a tracked connection in direction dir, with --ctstate DNAT/SNAT set
 * for every packet of a connection whose destination/source is translated (xt_conntrack reads
 * the connection's status bits; SNAT is known once POSTROUTING chose it). */
static __always_inline __u8 ipt_state(struct ipt_conn *c, __u32 dir)
{
	__u8 nat = ((c->flags & IPT_CONN_DNAT) ? IPT_CT_DNAT : 0) | ((c->flags & IPT_CONN_SNAT) ? IPT_CT_SNAT : 0);

	if (dir == IPT_DIR_REPLY)
		c->flags |= IPT_CONN_SEEN_REPLY;
	return ((c->flags & IPT_CONN_SEEN_REPLY) ? IPT_CT_ESTABLISHED : IPT_CT_NEW) | nat;
}

/* TCP flag combinations Linux conntrack accepts at all (tcp_valid_flags; PSH, ECE, CWR aside). */
static __always_inline int ipt_tcp_flags_valid(__u8 flags)
{
	switch (flags & (IPT_TCP_FIN | IPT_TCP_SYN | IPT_TCP_RST | IPT_TCP_ACK | IPT_TCP_URG)) {
	case IPT_TCP_SYN:
	case IPT_TCP_SYN | IPT_TCP_URG:
	case IPT_TCP_SYN | IPT_TCP_ACK:
	case IPT_TCP_RST:
	case IPT_TCP_RST | IPT_TCP_ACK:
	case IPT_TCP_FIN | IPT_TCP_ACK:
	case IPT_TCP_FIN | IPT_TCP_ACK | IPT_TCP_URG:
	case IPT_TCP_ACK:
	case IPT_TCP_ACK | IPT_TCP_URG:
		return 1;
	}
	return 0;
}

/* A first packet that conntrack refuses to start a connection with. TCP: only a SYN, or (loose
 * pick-up of a running connection) a plain ACK, as in Linux's table for a new tuple. */
static __always_inline int ipt_invalid_start(const struct ipt_pkt *p)
{
	__u8 core = p->tcp_flags & (IPT_TCP_SYN | IPT_TCP_ACK | IPT_TCP_RST | IPT_TCP_FIN);

	if (p->proto == NA_IPPROTO_TCP)
		return !ipt_tcp_flags_valid(p->tcp_flags) || (core != IPT_TCP_SYN && core != IPT_TCP_ACK);
	if (p->proto == ipt_icmp_proto()) /* only echo requests (and IPv6 node information queries) start one */
		return ipt_family == IPT_FAMILY_V6 ? p->icmp_type != 128 && p->icmp_type != 139 : p->icmp_type != 8;
	return 0;
}

/* Neighbour discovery and multicast listener messages: Linux's conntrack leaves them
 * UNTRACKED (icmpv6_error), so rules see them with that state and they create nothing. */
static __always_inline int ipt_untracked(const struct ipt_pkt *p)
{
	if (ipt_family != IPT_FAMILY_V6 || p->proto != NA_IPPROTO_ICMPV6)
		return 0;
	return (p->icmp_type >= 130 && p->icmp_type <= 136) || p->icmp_type == 143;
}

/* Creates a connection for the packet in s (tuple orig as the first hook saw it, after
 * `first` rewrites) and its keys. local_out: it starts on this host (seen first at egress). */
static __always_inline void ipt_zero_entry(struct ipt_ct_entry *e, __u64 conn, __u8 dir, __u8 flags)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->conn = conn;
	e->dir = dir;
	e->flags = flags;
}

/* Creates a connection for the packet in s (tuple `orig` as its first hook saw it; `dnat` the
 * translation of nat PREROUTING/OUTPUT) and its keys. local_out: it starts on this host. */
static __always_inline struct ipt_conn *ipt_ct_create(struct ipt_scratch *s, const struct ipt_ct_key *orig,
						      const struct ipt_rewrite *dnat, int local_out, __u64 *id_out)
{
	struct ipt_conn *c = &s->conn;
	struct ipt_ct_entry *e = &s->ent;
	struct ipt_ct_key *post = &s->key[0], *reply = &s->key[1];
	__u64 id = ipt_new_conn_id();
	int natted = ipt_addr_set(&dnat->dst) || dnat->dport;

	__builtin_memset(c, 0, sizeof(*c));
	c->last_seen_ns = bpf_ktime_get_ns();
	c->flags = (natted ? IPT_CONN_DNAT : 0) | (local_out ? IPT_CONN_LOCAL_OUT : 0);
	*post = *orig;
	if (ipt_addr_set(&dnat->dst))
		post->dst = dnat->dst;
	if (dnat->dport)
		post->dport = dnat->dport;
	*reply = ipt_ct_reverse(post);
	c->reply_key = *reply;
	if (bpf_map_update_elem(&ipt_conns, &id, c, BPF_ANY))
		return NULL;
	/* Original direction: the first hook's key does the DNAT. */
	if (local_out) {
		ipt_zero_entry(e, id, IPT_DIR_ORIG, IPT_CTE_EGRESS | IPT_CTE_LOCAL);
		e->egress = *dnat;
		bpf_map_update_elem(&ipt_ct, orig, e, BPF_ANY);
	} else {
		ipt_zero_entry(e, id, IPT_DIR_ORIG, IPT_CTE_INGRESS | (natted ? 0 : IPT_CTE_EGRESS));
		e->ingress = *dnat;
		bpf_map_update_elem(&ipt_ct, orig, e, BPF_ANY);
		if (natted) { /* egress sees the translated tuple */
			ipt_zero_entry(e, id, IPT_DIR_ORIG, IPT_CTE_EGRESS);
			bpf_map_update_elem(&ipt_ct, post, e, BPF_ANY);
		}
	}
	/* Reply direction: replies arrive at an ingress hook (or leave a local socket at egress)
	 * with the reversed translated tuple; un-DNAT puts the original destination back. */
	ipt_zero_entry(e, id, IPT_DIR_REPLY, IPT_CTE_INGRESS | IPT_CTE_EGRESS | (local_out ? IPT_CTE_LOCAL : 0));
	if (ipt_addr_set(&dnat->dst))
		e->egress.src = orig->dst;
	if (dnat->dport)
		e->egress.sport = orig->dport;
	if (local_out) /* replies to a local socket: un-DNAT after the INPUT filter */
		e->ingress_late = e->egress;
	bpf_map_update_elem(&ipt_ct, reply, e, BPF_ANY);
	ipt_stat(IPT_STAT_CT_NEW);
	*id_out = id;
	return bpf_map_lookup_elem(&ipt_conns, &id);
}

#define IPT_NAT_TRIES 8

/* The connection's first packet leaves on out_if: nat POSTROUTING, re-keying replies. The new
 * reply tuple must be free: the connection keeps its port when it can, else tries others.
 * Nonzero: drop the packet (no free tuple, as Linux drops it). */
static __always_inline int ipt_postrouting(struct __sk_buff *skb, struct ipt_scratch *s, struct ipt_conn *c,
					   struct ipt_ct_entry *e, const struct ipt_ct_key *key, __u32 out_if)
{
	struct ipt_rewrite snat = {};
	struct ipt_port_range ports = {};
	struct ipt_ct_key *old_reply = &s->key[0], *new_reply = &s->key[1];
	struct ipt_ct_entry *re, *rcopy = &s->ent;
	int placed = 0;

	c->flags |= IPT_CONN_POST_DONE;
	if (!ipt_nat_source(skb, s, out_if, &snat, &ports))
		return 0;
	if (ipt_addr_eq(&snat.src, &key->src) && !snat.sport)
		return 0; /* the source it has already (MASQUERADE of the interface's own address) */
	*old_reply = c->reply_key;
	re = bpf_map_lookup_elem(&ipt_ct, old_reply);
	if (!re)
		return 0;
	__builtin_memcpy(rcopy, re, sizeof(*rcopy));
	/* Replies now come to the SNAT source: un-SNAT at ingress. */
	rcopy->flags = IPT_CTE_INGRESS | (rcopy->flags & IPT_CTE_LOCAL);
	if (ipt_addr_set(&snat.src))
		rcopy->ingress.dst = key->src;
	for (int i = 0; i < IPT_NAT_TRIES && !placed; i++) {
		if (i > 0) {
			if (s->pkt.proto != NA_IPPROTO_TCP && s->pkt.proto != NA_IPPROTO_UDP)
				break; /* no port to change */
			snat.sport = ipt_pick_port(ports.lo, ports.hi, 0);
		}
		*new_reply = *old_reply;
		if (ipt_addr_set(&snat.src))
			new_reply->dst = snat.src;
		if (snat.sport)
			new_reply->dport = snat.sport;
		rcopy->ingress.dport = snat.sport ? key->sport : 0;
		placed = bpf_map_update_elem(&ipt_ct, new_reply, rcopy, BPF_NOEXIST) == 0;
	}
	if (!placed) {
		ipt_stat(IPT_STAT_NAT_NO_PORT);
		return 1;
	}
	/* Egress still sees replies un-SNATed (forwarded replies): keep the old key for that. */
	rcopy->flags = IPT_CTE_EGRESS | (rcopy->flags & IPT_CTE_LOCAL);
	__builtin_memset(&rcopy->ingress.dst, 0, sizeof(rcopy->ingress.dst));
	rcopy->ingress.dport = 0;
	bpf_map_update_elem(&ipt_ct, old_reply, rcopy, BPF_ANY);
	c->reply_key = *new_reply;
	c->flags |= IPT_CONN_SNAT;
	e->egress.src = snat.src;
	e->egress.sport = snat.sport;
	ipt_stat(IPT_STAT_NATTED);
	return ipt_apply(skb, &s->pkt, &e->egress);
}

static __always_inline struct ipt_scratch *ipt_begin(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct ipt_scratch *s = bpf_map_lookup_elem(&ipt_scratch, &zero);

	if (!s || ipt_parse(skb, &s->pkt))
		return NULL;
	s->pkt.mark = skb->mark;
	s->pkt.random31 = IPT_NONE;
	ipt_fill_local(&s->pkt);
	ipt_stat(IPT_STAT_PACKETS);
	return s;
}

static __always_inline int ipt_verdict_to_tc(__u32 v)
{
	if (v == IPT_V_DROP || v == IPT_V_REJECT) { /* (REJECT reaches here only if it could not answer) */
		ipt_stat(IPT_STAT_DROPPED);
		return NA_TC_ACT_SHOT;
	}
	return NA_TC_ACT_OK;
}

#define IPT_LO_IFINDEX 1

/* The kernel's ICMP answer to a REJECT in OUTPUT is a packet from this host to this host over
 * loopback: it passes filter OUTPUT itself (out lo, RELATED) and dies there if OUTPUT drops
 * it. Ours enters through the interface instead and meets filter INPUT at ingress as theirs
 * does; this asks OUTPUT as the kernel would. 1 when the answer may go. */
static __always_inline int ipt_reject_answer_passes(struct __sk_buff *skb, struct ipt_scratch *s, __u32 kind)
{
	struct ipt_pkt *p = &s->pkt;

	if (kind == IPT_REJ_TCP_RESET)
		return 1;
	p->dst = p->src;
	p->proto = ipt_icmp_proto();
	p->icmp_type = ipt_family == IPT_FAMILY_V6 ? 1 : 3; /* destination unreachable */
	p->icmp_code = ipt_reject_icmp_code(kind);
	p->sport = 0;
	p->dport = 0;
	p->tcp_flags = 0;
	p->ctstate = IPT_CT_RELATED;
	p->src_local = 1;
	p->dst_local = 1;
	ipt_iface_of(IPT_LO_IFINDEX, &p->out);
	return ipt_filter(skb, s, NULL, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, IPT_LO_IFINDEX) == IPT_V_ACCEPT;
}

/* filter OUTPUT's verdict for a local packet leaving on out_if. */
static __always_inline int ipt_output_verdict(struct __sk_buff *skb, struct ipt_scratch *s, __u32 verdict, __u32 out_if)
{
	if (verdict == IPT_V_REJECT) {
		__u32 by = s->d.by;
		struct ipt_rule *r = bpf_map_lookup_elem(&ipt_rules, &by);
		s->saved = s->pkt;
		if (!r || !ipt_reject_answer_passes(skb, s, r->arg)) {
			ipt_stat(IPT_STAT_DROPPED);
			return NA_TC_ACT_SHOT;
		}
		s->pkt = s->saved;
		s->d.by = by;
		return ipt_reject(skb, s, out_if, IPT_HOOK_OUTPUT);
	}
	return ipt_verdict_to_tc(verdict);
}

static __always_inline int ipt_ingress(struct __sk_buff *skb)
{
	struct ipt_scratch *s = ipt_begin(skb);
	struct bpf_fib_lookup *fib;
	struct ipt_ct_key *key;
	struct ipt_ct_entry *e, *re;
	struct ipt_conn *c = NULL;
	__u32 in_if = skb->ifindex, out_if = 0, hook, dir = IPT_DIR_ORIG, verdict, quote_off = 0;
	__u64 id = 0;
	int rc;

	if (!s)
		return NA_TC_ACT_UNSPEC; /* not our family: the next program (the other instance) */
	ipt_iface_of(in_if, &s->pkt.in);
	s->pkt.out.exact_id = 0;
	s->pkt.out.patterns = 0;
	key = &s->own; /* the 512-byte stack has no room for it */
	*key = ipt_ct_key_of(&s->pkt);
	e = bpf_map_lookup_elem(&ipt_ct, key);
	if (e && (e->flags & IPT_CTE_INGRESS))
		c = bpf_map_lookup_elem(&ipt_conns, &e->conn);
	if (c && ipt_tcp_reopens(c, e, &s->pkt))
		c = NULL; /* a new connection on the tuple of a closed one: its keys are overwritten */
	if (c) {
		ipt_stat(IPT_STAT_CT_HIT);
		dir = e->dir;
		c->last_seen_ns = bpf_ktime_get_ns();
		s->pkt.ctstate = ipt_state(c, dir);
		if (s->pkt.proto == NA_IPPROTO_TCP && !ipt_tcp_flags_valid(s->pkt.tcp_flags))
			s->pkt.ctstate = IPT_CT_INVALID;
		else
			ipt_tcp_track(c, &s->pkt);
		if (ipt_apply(skb, &s->pkt, &e->ingress))
			return NA_TC_ACT_SHOT;
		if (ipt_addr_set(&e->ingress.src) || ipt_addr_set(&e->ingress.dst)) /* un-SNAT: a reply to our address is for a client */
			ipt_fill_local(&s->pkt);
	} else if (ipt_untracked(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_UNTRACKED;
	} else if ((re = ipt_icmp_related(skb, s, &quote_off))) {
		s->pkt.ctstate = IPT_CT_RELATED;
		if (ipt_icmp_error_nat(skb, s, re, quote_off))
			return NA_TC_ACT_SHOT;
		ipt_fill_local(&s->pkt);
	} else if (ipt_invalid_start(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_INVALID;
		ipt_stat(IPT_STAT_INVALID);
	} else {
		struct ipt_rewrite dnat = {};

		s->pkt.ctstate = IPT_CT_NEW;
		ipt_nat_destination(skb, s, IPT_HOOK_PREROUTING, in_if, &dnat);
		c = ipt_ct_create(s, key, &dnat, 0, &id);
		if (ipt_addr_set(&dnat.dst) || dnat.dport) {
			ipt_stat(IPT_STAT_NATTED);
			s->pkt.ctstate |= IPT_CT_DNAT;
			if (ipt_apply(skb, &s->pkt, &dnat))
				return NA_TC_ACT_SHOT;
			ipt_fill_local(&s->pkt);
		}
	}
	/* Routing decision, as the kernel is about to make it. */
	fib = &s->fib;
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = in_if;
	if (ipt_family == IPT_FAMILY_V6) {
		fib->family = NA_AF_INET6;
		__builtin_memcpy(fib->ipv6_src, &s->pkt.src, sizeof(fib->ipv6_src));
		__builtin_memcpy(fib->ipv6_dst, &s->pkt.dst, sizeof(fib->ipv6_dst));
	} else {
		fib->family = NA_AF_INET;
		fib->ipv4_src = s->pkt.src.w[0];
		fib->ipv4_dst = s->pkt.dst.w[0];
	}
	fib->l4_protocol = s->pkt.proto;
	fib->tot_len = (__u16)s->pkt.len; /* host order: the MTU check */
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED || s->pkt.dst_local) {
		hook = IPT_HOOK_INPUT;
	} else {
		hook = IPT_HOOK_FORWARD;
		out_if = rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH ? fib->ifindex : 0;
		ipt_iface_of(out_if, &s->pkt.out);
	}
	if (id && c && hook == IPT_HOOK_INPUT) { /* a new connection to this host: replies pass OUTPUT */
		struct ipt_ct_entry *re = bpf_map_lookup_elem(&ipt_ct, &c->reply_key);

		if (re)
			re->flags |= IPT_CTE_LOCAL;
	}
	verdict = ipt_filter(skb, s, c, dir, hook, in_if, out_if);
	if (verdict == IPT_V_ACCEPT && hook == IPT_HOOK_INPUT && e && c && ipt_apply(skb, &s->pkt, &e->ingress_late))
		return NA_TC_ACT_SHOT;
	if (verdict == IPT_V_REJECT)
		return ipt_reject(skb, s, in_if, hook);
	return ipt_verdict_to_tc(verdict);
}

static __always_inline int ipt_egress(struct __sk_buff *skb)
{
	struct ipt_scratch *s = ipt_begin(skb);
	struct ipt_ct_key *key;
	struct ipt_ct_entry *e, *re;
	struct ipt_conn *c = NULL;
	__u32 out_if = skb->ifindex, verdict = IPT_V_ACCEPT, quote_off = 0;
	__u64 id = 0;

	if (!s)
		return NA_TC_ACT_UNSPEC; /* not our family: the next program (the other instance) */
	s->pkt.in.exact_id = 0;
	s->pkt.in.patterns = 0;
	ipt_iface_of(out_if, &s->pkt.out);
	key = &s->own; /* the 512-byte stack has no room for it */
	*key = ipt_ct_key_of(&s->pkt);
	e = bpf_map_lookup_elem(&ipt_ct, key);
	if (e && (e->flags & IPT_CTE_EGRESS))
		c = bpf_map_lookup_elem(&ipt_conns, &e->conn);
	if (c && (e->flags & IPT_CTE_LOCAL) && ipt_tcp_reopens(c, e, &s->pkt))
		c = NULL;
	if (c) {
		__u32 dir = e->dir;

		ipt_stat(IPT_STAT_CT_HIT);
		c->last_seen_ns = bpf_ktime_get_ns();
		s->pkt.ctstate = ipt_state(c, dir);
		if (s->pkt.proto == NA_IPPROTO_TCP && !ipt_tcp_flags_valid(s->pkt.tcp_flags))
			s->pkt.ctstate = IPT_CT_INVALID;
		else
			ipt_tcp_track(c, &s->pkt);
		/* Local traffic passes filter OUTPUT (forwarded traffic had FORWARD at ingress). */
		if (e->flags & IPT_CTE_LOCAL) {
			verdict = ipt_filter(skb, s, c, dir, IPT_HOOK_OUTPUT, 0, out_if);
			if (verdict != IPT_V_ACCEPT)
				return ipt_output_verdict(skb, s, verdict, out_if);
		}
		if (dir == IPT_DIR_ORIG && !(c->flags & IPT_CONN_POST_DONE))
			return ipt_postrouting(skb, s, c, e, key, out_if) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
		return ipt_apply(skb, &s->pkt, &e->egress) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
	}
	if (!s->pkt.src_local)
		return NA_TC_ACT_OK; /* forwarded, but its ingress is not ours: not tracked */
	if (ipt_untracked(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_UNTRACKED;
		return ipt_output_verdict(skb, s, ipt_filter(skb, s, NULL, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if), out_if);
	}
	/* An ICMP error this host sends about a tracked connection (a closed port, TTL exceeded on
	 * the way through): RELATED, translated like one that passes through. */
	re = ipt_icmp_related(skb, s, &quote_off);
	if (re) {
		s->pkt.ctstate = IPT_CT_RELATED;
		if (ipt_icmp_error_nat(skb, s, re, quote_off))
			return NA_TC_ACT_SHOT;
		return ipt_output_verdict(skb, s, ipt_filter(skb, s, NULL, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if), out_if);
	}
	/* A local socket's first packet: nat OUTPUT, filter OUTPUT, nat POSTROUTING. */
	if (ipt_invalid_start(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_INVALID;
		ipt_stat(IPT_STAT_INVALID);
		return ipt_output_verdict(skb, s, ipt_filter(skb, s, NULL, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if), out_if);
	}
	s->pkt.ctstate = IPT_CT_NEW;
	{
		struct ipt_rewrite dnat = {};

		ipt_nat_destination(skb, s, IPT_HOOK_OUTPUT, out_if, &dnat);
		c = ipt_ct_create(s, key, &dnat, 1, &id);
		if (ipt_addr_set(&dnat.dst) || dnat.dport) {
			ipt_stat(IPT_STAT_NATTED);
			s->pkt.ctstate |= IPT_CT_DNAT;
			if (ipt_apply(skb, &s->pkt, &dnat))
				return NA_TC_ACT_SHOT;
		}
	}
	verdict = ipt_filter(skb, s, c, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if);
	if (verdict != IPT_V_ACCEPT)
		return ipt_output_verdict(skb, s, verdict, out_if);
	e = bpf_map_lookup_elem(&ipt_ct, key);
	if (c && e)
		return ipt_postrouting(skb, s, c, e, key, out_if) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
	return NA_TC_ACT_OK;
}

SEC("tc")
int ipt_tc_ingress(struct __sk_buff *skb)
{
	return ipt_ingress(skb);
}

SEC("tc")
int ipt_tc_egress(struct __sk_buff *skb)
{
	return ipt_egress(skb);
}

char LICENSE[] SEC("license") = "GPL";

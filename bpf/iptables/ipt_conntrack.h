/* Connection tracking as Linux's conntrack does it for the filter and nat tables: which
 * connection a packet belongs to, its ctstate, and the keys a new connection gets (one per
 * direction and hook, the translated tuples included). */
#ifndef NETACCEL_IPT_CONNTRACK_H
#define NETACCEL_IPT_CONNTRACK_H

#include "iptables/ipt_ct_key.h"
#include "iptables/ipt_ct_maps.h"
#include "iptables/ipt_icmp_error.h"
#include "iptables/ipt_rewrite.h"

#define IPT_TCP_FIN 0x01
#define IPT_TCP_SYN 0x02
#define IPT_TCP_RST 0x04
#define IPT_TCP_ACK 0x10
#define IPT_TCP_URG 0x20

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

/* A conntrack entry of connection conn, direction dir, seen by the hooks in flags. */
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

/* The connection of the packet in s as the hook on `side` (IPT_CTE_INGRESS or IPT_CTE_EGRESS)
 * sees it; *entry is its conntrack entry (set even when the connection is not for this side).
 * NULL also for a closed TCP connection whose tuple a new SYN reuses (the new one overwrites
 * its keys) when the entry has the flags reopen_if (egress: only local connections). The key
 * is kept in s->own (the 512-byte stack has no room for it). */
static __always_inline struct ipt_conn *ipt_ct_find(struct ipt_scratch *s, __u8 side, __u8 reopen_if,
						    struct ipt_ct_entry **entry)
{
	struct ipt_ct_entry *e;
	struct ipt_conn *c = NULL;

	s->own = ipt_ct_key_of(&s->pkt);
	e = bpf_map_lookup_elem(&ipt_ct, &s->own);
	*entry = e;
	if (e && (e->flags & side))
		c = bpf_map_lookup_elem(&ipt_conns, &e->conn);
	if (c && (e->flags & reopen_if) == reopen_if && ipt_tcp_reopens(c, e, &s->pkt))
		return NULL;
	return c;
}

/* A packet of tracked connection c in direction dir: its ctstate; the connection's age and
 * TCP closing state move on (an invalid flag combination changes nothing). */
static __always_inline void ipt_ct_seen(struct ipt_scratch *s, struct ipt_conn *c, __u32 dir)
{
	ipt_stat(IPT_STAT_CT_HIT);
	c->last_seen_ns = bpf_ktime_get_ns();
	s->pkt.ctstate = ipt_state(c, dir);
	if (s->pkt.proto == NA_IPPROTO_TCP && !ipt_tcp_flags_valid(s->pkt.tcp_flags))
		s->pkt.ctstate = IPT_CT_INVALID;
	else
		ipt_tcp_track(c, &s->pkt);
}

#define IPT_CT_DROP (-1)

/* A packet no tracked connection claims, as conntrack sees it: UNTRACKED (neighbour discovery),
 * RELATED (an ICMP error about a tracked connection, translated as that connection is) or
 * INVALID (conntrack will not start a connection with it): 1, its ctstate set, nothing to
 * create. 0: it starts a new connection. IPT_CT_DROP: a RELATED error's translation failed. */
static __always_inline int ipt_ct_stateless(struct __sk_buff *skb, struct ipt_scratch *s)
{
	__u32 quote_off = 0;
	struct ipt_ct_entry *re;

	if (ipt_untracked(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_UNTRACKED;
		return 1;
	}
	re = ipt_icmp_related(skb, s, &quote_off);
	if (re) {
		s->pkt.ctstate = IPT_CT_RELATED;
		return ipt_icmp_error_nat(skb, s, re, quote_off) ? IPT_CT_DROP : 1;
	}
	if (ipt_invalid_start(&s->pkt)) {
		s->pkt.ctstate = IPT_CT_INVALID;
		ipt_stat(IPT_STAT_INVALID);
		return 1;
	}
	return 0;
}

#endif

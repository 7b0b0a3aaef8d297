/* The nat table: the translation a new connection gets at PREROUTING/OUTPUT (DNAT, REDIRECT)
 * and at POSTROUTING (SNAT, MASQUERADE, with a free reply tuple), kept in its conntrack keys. */
#ifndef NETACCEL_IPT_NAT_H
#define NETACCEL_IPT_NAT_H

#include "iptables/ipt_filter.h"
#include "iptables/ipt_conntrack.h"

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

/* Classifies the packet in the nat table at hook and returns the rule that chose one of the two
 * verdicts a hook's nat can take, or NULL (no rule, another verdict, or the step budget ran out). */
static __always_inline struct ipt_rule *ipt_nat_rule(struct __sk_buff *skb, struct ipt_scratch *s, __u32 hook,
						     __u32 in_if, __u32 out_if, __u32 v1, __u32 v2)
{
	__u32 id;

	if (ipt_classify(s, hook, IPT_TABLE_NAT) || (s->d.flags & IPT_D_STEPS_EXCEEDED))
		return NULL;
	ipt_take_mark(skb, s);
	ipt_log_matches(s, hook, in_if, out_if);
	if (s->d.verdict != v1 && s->d.verdict != v2)
		return NULL;
	id = s->d.by;
	return bpf_map_lookup_elem(&ipt_rules, &id);
}

/* nat PREROUTING (ingress) or OUTPUT (egress, local): where a new connection's packets go. */
static __always_inline int ipt_nat_destination(struct __sk_buff *skb, struct ipt_scratch *s, __u32 hook, __u32 in_if,
					       struct ipt_rewrite *dnat)
{
	struct ipt_rule *r = ipt_nat_rule(skb, s, hook, in_if, 0, IPT_V_DNAT, IPT_V_REDIRECT);

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
	struct ipt_rule *r = ipt_nat_rule(skb, s, IPT_HOOK_POSTROUTING, 0, out_if, IPT_V_SNAT, IPT_V_MASQUERADE);

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

/* A new connection's first packet at hook (PREROUTING at ingress, OUTPUT for a local socket's
 * at egress): ctstate NEW, nat's destination, and the connection with its keys (*c, *id).
 * 1: DNAT rewrote the packet; 0: nat left it; IPT_CT_DROP: the rewrite failed. */
static __always_inline int ipt_ct_begin(struct __sk_buff *skb, struct ipt_scratch *s, __u32 hook, __u32 ifindex,
					__u64 *id, struct ipt_conn **c)
{
	struct ipt_rewrite dnat = {};

	s->pkt.ctstate = IPT_CT_NEW;
	ipt_nat_destination(skb, s, hook, ifindex, &dnat);
	*c = ipt_ct_create(s, &s->own, &dnat, hook == IPT_HOOK_OUTPUT, id);
	if (!ipt_addr_set(&dnat.dst) && !dnat.dport)
		return 0;
	ipt_stat(IPT_STAT_NATTED);
	s->pkt.ctstate |= IPT_CT_DNAT;
	return ipt_apply(skb, &s->pkt, &dnat) ? IPT_CT_DROP : 1;
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

#endif

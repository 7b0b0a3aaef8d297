/* Conntrack keys of a packet: its own tuple, and the tuple of the other direction. */
#ifndef NETACCEL_IPT_CT_KEY_H
#define NETACCEL_IPT_CT_KEY_H

#include "iptables/ipt_parse.h"

static __always_inline struct ipt_ct_key ipt_ct_key_of(const struct ipt_pkt *p)
{
	struct ipt_ct_key k = {};

	k.src = p->src;
	k.dst = p->dst;
	k.proto = p->proto;
	if (p->proto == ipt_icmp_proto()) {
		k.sport = p->icmp_id;
	} else {
		k.sport = p->sport;
		k.dport = p->dport;
	}
	return k;
}

/* The tuple the other side's packets carry: addresses and ports swapped. */
static __always_inline struct ipt_ct_key ipt_ct_reverse(const struct ipt_ct_key *k)
{
	struct ipt_ct_key r = *k;

	r.src = k->dst;
	r.dst = k->src;
	if (k->proto != ipt_icmp_proto()) {
		r.sport = k->dport;
		r.dport = k->sport;
	}
	return r;
}

#endif

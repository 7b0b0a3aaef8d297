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

#include "iptables/ipt_filter.h"
#include "iptables/ipt_conntrack.h"
#include "iptables/ipt_nat.h"
#include "iptables/ipt_reject.h"

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
/* The routing decision, as the kernel is about to make it: INPUT (local) or FORWARD, with the
 * output interface (0 when the FIB has no route). */
static __always_inline __u32 ipt_route(struct __sk_buff *skb, struct ipt_scratch *s, __u32 in_if, __u32 *out_if)
{
	struct bpf_fib_lookup *fib = &s->fib;
	int rc;

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
	*out_if = 0;
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED || s->pkt.dst_local)
		return IPT_HOOK_INPUT;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		*out_if = fib->ifindex;
	ipt_iface_of(*out_if, &s->pkt.out);
	return IPT_HOOK_FORWARD;
}

static __always_inline int ipt_ingress(struct __sk_buff *skb)
{
	struct ipt_scratch *s = ipt_begin(skb);
	struct ipt_ct_entry *e;
	struct ipt_conn *c;
	__u32 in_if = skb->ifindex, out_if, hook, dir = IPT_DIR_ORIG, verdict;
	__u64 id = 0;
	int rc;

	if (!s)
		return NA_TC_ACT_UNSPEC; /* not our family: the next program (the other instance) */
	ipt_iface_of(in_if, &s->pkt.in);
	s->pkt.out.exact_id = 0;
	s->pkt.out.patterns = 0;
	c = ipt_ct_find(s, IPT_CTE_INGRESS, 0, &e);
	if (c) {
		dir = e->dir;
		ipt_ct_seen(s, c, dir);
		if (ipt_apply(skb, &s->pkt, &e->ingress))
			return NA_TC_ACT_SHOT;
		if (ipt_addr_set(&e->ingress.src) || ipt_addr_set(&e->ingress.dst)) /* un-SNAT: a reply to our address is for a client */
			ipt_fill_local(&s->pkt);
	} else {
		rc = ipt_ct_stateless(skb, s);
		if (rc == 0)
			rc = ipt_ct_begin(skb, s, IPT_HOOK_PREROUTING, in_if, &id, &c);
		if (rc == IPT_CT_DROP)
			return NA_TC_ACT_SHOT;
		if (rc > 0) /* a RELATED error or DNAT rewrote the addresses */
			ipt_fill_local(&s->pkt);
	}
	hook = ipt_route(skb, s, in_if, &out_if);
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
	struct ipt_ct_entry *e;
	struct ipt_conn *c;
	__u32 out_if = skb->ifindex, verdict;
	__u64 id = 0;
	int rc;

	if (!s)
		return NA_TC_ACT_UNSPEC; /* not our family: the next program (the other instance) */
	s->pkt.in.exact_id = 0;
	s->pkt.in.patterns = 0;
	ipt_iface_of(out_if, &s->pkt.out);
	c = ipt_ct_find(s, IPT_CTE_EGRESS, IPT_CTE_LOCAL, &e);
	if (c) {
		__u32 dir = e->dir;

		ipt_ct_seen(s, c, dir);
		/* Local traffic passes filter OUTPUT (forwarded traffic had FORWARD at ingress). */
		if (e->flags & IPT_CTE_LOCAL) {
			verdict = ipt_filter(skb, s, c, dir, IPT_HOOK_OUTPUT, 0, out_if);
			if (verdict != IPT_V_ACCEPT)
				return ipt_output_verdict(skb, s, verdict, out_if);
		}
		if (dir == IPT_DIR_ORIG && !(c->flags & IPT_CONN_POST_DONE))
			return ipt_postrouting(skb, s, c, e, &s->own, out_if) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
		return ipt_apply(skb, &s->pkt, &e->egress) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
	}
	if (!s->pkt.src_local)
		return NA_TC_ACT_OK; /* forwarded, but its ingress is not ours: not tracked */
	/* A local packet no connection claims (an ICMP error this host sends about a tracked
	 * connection is RELATED, translated like one passing through), or a local socket's first
	 * packet: nat OUTPUT, filter OUTPUT, nat POSTROUTING. */
	rc = ipt_ct_stateless(skb, s);
	if (rc > 0)
		return ipt_output_verdict(skb, s, ipt_filter(skb, s, NULL, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if), out_if);
	if (rc == IPT_CT_DROP || ipt_ct_begin(skb, s, IPT_HOOK_OUTPUT, out_if, &id, &c) == IPT_CT_DROP)
		return NA_TC_ACT_SHOT;
	verdict = ipt_filter(skb, s, c, IPT_DIR_ORIG, IPT_HOOK_OUTPUT, 0, out_if);
	if (verdict != IPT_V_ACCEPT)
		return ipt_output_verdict(skb, s, verdict, out_if);
	e = bpf_map_lookup_elem(&ipt_ct, &s->own);
	if (c && e)
		return ipt_postrouting(skb, s, c, e, &s->own, out_if) ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
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

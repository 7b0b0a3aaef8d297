/* The filter table at a hook, and what every table's match does besides its verdict: LOG
 * events, MARK, and the per-connection cache of filter verdicts. */
#ifndef NETACCEL_IPT_FILTER_H
#define NETACCEL_IPT_FILTER_H

#include "iptables/ipt_parse.h"
#include "iptables/ipt_ct_maps.h"

#define IPT_TABLE_FILTER 0
#define IPT_TABLE_NAT 1

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

#endif

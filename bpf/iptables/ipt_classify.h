/* The classifier: first match over a chain by merging one cursor per tuple (each into the
 * bucket of the packet's key, in rule position order), residual checks, jumps on an explicit
 * stack. One candidate rule per bpf_loop step; state in a per-CPU scratch map because it does
 * not fit the BPF stack. services/iptables/compiled_eval.cpp is the same algorithm in C++. */
#ifndef NETACCEL_IPT_CLASSIFY_H
#define NETACCEL_IPT_CLASSIFY_H

#include "iptables/ipt_maps.h"

/* What the classifier reads of a packet. */
struct ipt_pkt {
	struct ipt_addr src, dst;
	__u16 sport, dport; /* host order */
	__u8 proto, tcp_flags, icmp_type, icmp_code;
	__u8 ctstate, src_local, dst_local, pad;
	__u16 icmp_id;      /* echo request/reply identifier (conntrack key) */
	__u16 l4off;        /* frame offset of the L4 header, 0 when there is none */
	__u32 mark;
	__u32 random31;     /* IPT_NONE: draw from bpf_get_prandom_u32 */
	__u32 len;
	struct ipt_iface in, out;
};

struct ipt_cursor {
	__u32 rule;
	__u32 pad;
	__u64 pos;
};

struct ipt_frame {
	__u32 chain;
	__u32 pad;
	struct ipt_cursor cur[IPT_MAX_TUPLES];
};

struct ipt_scratch {
	struct ipt_frame f;
	struct ipt_frame stack[IPT_MAX_DEPTH];
	__u32 depth;
	__u32 done;
	struct ipt_pkt pkt;
	struct ipt_decision d;
	/* Room for the data path's larger temporaries (the BPF stack has 512 bytes). */
	struct ipt_conn conn;
	struct ipt_ct_entry ent;
	struct ipt_ct_key key[2]; /* a helper's two tuples (ct create, NAT re-key, ICMP quote) */
	struct ipt_ct_key own;    /* the packet's tuple as its hook saw it first */
	struct ipt_key bkey;      /* ipt_enter's bucket key */
	struct ipt_pkt saved;     /* the packet while REJECT's answer is judged */
	__u32 quote[2][16];       /* an ICMP error's quote as received and as translated */
	struct bpf_fib_lookup fib;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipt_scratch);
} ipt_scratch SEC(".maps");

/* Word i (be) of the mask of a prefix of len bits. */
static __always_inline __u32 ipt_be_mask_word(__u32 len, __u32 i)
{
	if (len >= 32 * (i + 1))
		return ~0u;
	if (len <= 32 * i)
		return 0;
	return bpf_htonl(~0u << (32 - (len - 32 * i)));
}

static __always_inline void ipt_mask_addr(struct ipt_addr *out, const struct ipt_addr *a, __u32 len)
{
	for (__u32 i = 0; i < 4; i++)
		out->w[i] = a->w[i] & ipt_be_mask_word(len, i);
}

/* (a & mask) == addr, over all four words (IPv4's unused words are zero on both sides). */
static __always_inline int ipt_addr_in(const struct ipt_addr *a, const struct ipt_addr *addr, const struct ipt_addr *mask)
{
	return ((a->w[0] & mask->w[0]) == addr->w[0]) & ((a->w[1] & mask->w[1]) == addr->w[1]) &
	       ((a->w[2] & mask->w[2]) == addr->w[2]) & ((a->w[3] & mask->w[3]) == addr->w[3]);
}

static __always_inline void ipt_enter(struct ipt_scratch *s, __u32 chain_id)
{
	struct ipt_chain *ch = bpf_map_lookup_elem(&ipt_chains, &chain_id);
	struct ipt_pkt *p = &s->pkt;
	__u32 t;

	s->f.chain = chain_id;
	for (t = 0; t < IPT_MAX_TUPLES; t++) {
		s->f.cur[t].rule = IPT_NONE;
		s->f.cur[t].pos = ~0ull;
	}
	if (!ch)
		return;
	for (t = 0; t < IPT_MAX_TUPLES; t++) {
		struct ipt_tuple *tu = &ch->tuples[t];
		struct ipt_key *k = &s->bkey; /* in scratch: 60 bytes the stack of bpf_loop's callback cannot spare */
		struct ipt_bucket *b;
		struct ipt_rule *r;

		if (t >= ch->ntuples)
			break;
		__builtin_memset(k, 0, sizeof(*k));
		k->chain = chain_id;
		k->tuple = t;
		ipt_mask_addr(&k->src, &p->src, tu->src_len);
		ipt_mask_addr(&k->dst, &p->dst, tu->dst_len);
		if (tu->use & IPT_USE_PROTO)
			k->proto = p->proto;
		if (tu->use & IPT_USE_SPORT)
			k->sport = p->sport;
		if (tu->use & IPT_USE_DPORT)
			k->dport = p->dport;
		if (tu->use & IPT_USE_IN)
			k->in_if = p->in.exact_id;
		if (tu->use & IPT_USE_OUT)
			k->out_if = p->out.exact_id;
		b = bpf_map_lookup_elem(&ipt_buckets, k);
		if (!b)
			continue;
		r = bpf_map_lookup_elem(&ipt_rules, &b->first);
		if (!r)
			continue;
		s->f.cur[t].rule = b->first;
		s->f.cur[t].pos = r->pos;
	}
}

static __always_inline int ipt_in_range(__u16 v, __u16 lo, __u16 hi)
{
	return v >= lo && v <= hi;
}

/* 1 when rule r (id) matches beyond its bucket key. */
static __always_inline int ipt_residual(struct ipt_scratch *s, const struct ipt_rule *r, __u32 id)
{
	const struct ipt_pkt *p = &s->pkt;
	__u32 ck = r->check;

	if (ck & IPT_C_PER_PACKET)
		s->d.flags &= ~IPT_D_CACHEABLE;
	if ((ck & IPT_C_SRC) && (ipt_addr_in(&p->src, &r->src_addr, &r->src_mask) == !!(ck & IPT_C_SRC_NEG)))
		return 0;
	if ((ck & IPT_C_DST) && (ipt_addr_in(&p->dst, &r->dst_addr, &r->dst_mask) == !!(ck & IPT_C_DST_NEG)))
		return 0;
	if ((ck & IPT_C_PROTO) && ((p->proto == r->proto) == !!(ck & IPT_C_PROTO_NEG)))
		return 0;
	if ((ck & IPT_C_IN) && ((((p->in.patterns >> (r->in_pattern & 63)) & 1) != 0) == !!(ck & IPT_C_IN_NEG)))
		return 0;
	if ((ck & IPT_C_OUT) && ((((p->out.patterns >> (r->out_pattern & 63)) & 1) != 0) == !!(ck & IPT_C_OUT_NEG)))
		return 0;
	if ((ck & (IPT_C_SPORT | IPT_C_DPORT | IPT_C_TCPFLAGS | IPT_C_MULTIPORT)) && p->proto != r->proto)
		return 0;
	if ((ck & IPT_C_SPORT) && (ipt_in_range(p->sport, r->sport_lo, r->sport_hi) == !!(ck & IPT_C_SPORT_NEG)))
		return 0;
	if ((ck & IPT_C_DPORT) && (ipt_in_range(p->dport, r->dport_lo, r->dport_hi) == !!(ck & IPT_C_DPORT_NEG)))
		return 0;
	if ((ck & IPT_C_TCPFLAGS) && (((p->tcp_flags & r->tcp_mask) == r->tcp_comp) == !!(ck & IPT_C_TCPFLAGS_NEG)))
		return 0;
	if (ck & IPT_C_MULTIPORT) {
		int any = 0, i;

		for (i = 0; i < IPT_MAX_MULTIPORT; i++) {
			if (i >= r->mp_count)
				break;
			if ((r->mp_dir != 1 && ipt_in_range(p->sport, r->mp[i].lo, r->mp[i].hi)) ||
			    (r->mp_dir != 0 && ipt_in_range(p->dport, r->mp[i].lo, r->mp[i].hi)))
				any = 1;
		}
		if (any == !!(ck & IPT_C_MULTIPORT_NEG))
			return 0;
	}
	if ((ck & IPT_C_CTSTATE) && !(p->ctstate & r->ctstates))
		return 0;
	if ((ck & IPT_C_MARK) && (((s->d.mark & r->mark_mask) == r->mark_value) == !!(ck & IPT_C_MARK_NEG)))
		return 0;
	if ((ck & IPT_C_SRC_LOCAL) && (p->src_local == !!(ck & IPT_C_SRC_LOCAL_NEG)))
		return 0;
	if ((ck & IPT_C_DST_LOCAL) && (p->dst_local == !!(ck & IPT_C_DST_LOCAL_NEG)))
		return 0;
	if (ck & IPT_C_ICMP) {
		int hit;

		if (p->proto != r->proto) /* icmp or ipv6-icmp, whichever the rule's -p named */
			return 0;
		hit = r->icmp_any_code == 2 ||
		      (p->icmp_type == r->icmp_type && (r->icmp_any_code || p->icmp_code == r->icmp_code));
		if (hit == !!(ck & IPT_C_ICMP_NEG))
			return 0;
	}
	if (ck & IPT_C_RANDOM) {
		__u32 rnd = p->random31 != IPT_NONE ? p->random31 : (bpf_get_prandom_u32() & 0x7fffffff);

		if (!(rnd < r->probability))
			return 0;
	}
	if (ck & IPT_C_NTH) { /* last: xt_statistic's counter starts at --packet, matches on wrap */
		__u32 *n = bpf_map_lookup_elem(&ipt_nth, &id);
		__u64 e;

		if (!n)
			return 0;
		e = __sync_fetch_and_add(n, 1) + 1;
		if (((__u64)r->nth_packet + e) % ((__u64)r->nth_every + 1) != 0)
			return 0;
	}
	return 1;
}

static __always_inline void ipt_count(__u32 id, __u32 len)
{
	struct ipt_counter *c = bpf_map_lookup_elem(&ipt_counters, &id);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

/* Ends the current chain: back to the caller, or the built-in chain's policy. */
static __always_inline void ipt_leave_chain(struct ipt_scratch *s)
{
	if (s->depth == 0) {
		__u32 chain = s->f.chain;
		struct ipt_chain *ch = bpf_map_lookup_elem(&ipt_chains, &chain);

		s->d.verdict = ch && ch->policy == IPT_V_DROP ? IPT_V_DROP : IPT_V_ACCEPT;
		s->d.by = IPT_NONE;
		ipt_count(IPT_MAX_RULES + (chain % IPT_MAX_CHAINS), s->pkt.len);
		s->done = 1;
		return;
	}
	s->depth--;
	__builtin_memcpy(&s->f, &s->stack[s->depth & (IPT_MAX_DEPTH - 1)], sizeof(s->f));
}

static long ipt_step(__u32 index, void *ctx)
{
	__u32 zero = 0;
	/* bpf_loop hands over a stack pointer only: the per-CPU scratch is looked up per step. */
	struct ipt_scratch *s = bpf_map_lookup_elem(&ipt_scratch, &zero);
	struct ipt_rule *r;
	__u32 id, t, best = IPT_MAX_TUPLES;
	__u64 best_pos = ~0ull;

	if (!s || s->done)
		return 1;
	for (t = 0; t < IPT_MAX_TUPLES; t++) {
		if (s->f.cur[t].rule != IPT_NONE && s->f.cur[t].pos < best_pos) {
			best_pos = s->f.cur[t].pos;
			best = t;
		}
	}
	if (best >= IPT_MAX_TUPLES) {
		ipt_leave_chain(s);
		return s->done ? 1 : 0;
	}
	id = s->f.cur[best].rule;
	r = bpf_map_lookup_elem(&ipt_rules, &id);
	if (!r) {
		s->f.cur[best].rule = IPT_NONE;
		return 0;
	}
	s->d.steps++;
	/* Advance this tuple's cursor before anything can push the frame. */
	s->f.cur[best].rule = r->next;
	s->f.cur[best].pos = ~0ull;
	if (r->next != IPT_NONE) {
		__u32 next = r->next;
		struct ipt_rule *nr = bpf_map_lookup_elem(&ipt_rules, &next);

		if (nr)
			s->f.cur[best].pos = nr->pos;
		else
			s->f.cur[best].rule = IPT_NONE;
	}
	if (!ipt_residual(s, r, id))
		return 0;
	ipt_count(id, s->pkt.len);
	if (s->d.npath < IPT_MAX_PATH)
		s->d.path[s->d.npath & (IPT_MAX_PATH - 1)] = id;
	s->d.npath++;
	switch (r->verdict) {
	case IPT_V_NONE:
	case IPT_V_LOG:
		return 0;
	case IPT_V_MARK:
		s->d.mark = (s->d.mark & ~r->set_mark_mask) ^ r->set_mark_value;
		return 0;
	case IPT_V_RETURN:
		ipt_leave_chain(s);
		return s->done ? 1 : 0;
	case IPT_V_JUMP:
		if (s->depth >= IPT_MAX_DEPTH) {
			s->d.flags |= IPT_D_STEPS_EXCEEDED;
			s->done = 1;
			return 1;
		}
		__builtin_memcpy(&s->stack[s->depth & (IPT_MAX_DEPTH - 1)], &s->f, sizeof(s->f));
		s->depth++;
		ipt_enter(s, r->arg);
		return 0;
	case IPT_V_GOTO:
		ipt_enter(s, r->arg);
		return 0;
	default:
		s->d.verdict = r->verdict;
		s->d.by = id;
		s->done = 1;
		return 1;
	}
}

/* Classifies s->pkt in table (0 filter, 1 nat) at hook; the answer is in s->d. Returns 0, or
 * -1 when the table has no chain there (everything passes). A global function: the verifier
 * checks it once, not at every call site. */
__noinline int ipt_classify(struct ipt_scratch *s, __u32 hook, __u32 table)
{
	__u32 zero = 0, slot, start, idx = hook * 2 + table;
	struct ipt_config *cfg = bpf_map_lookup_elem(&ipt_config, &zero);

	if (!s)
		return -1;
	s->d.verdict = IPT_V_ACCEPT;
	s->d.by = IPT_NONE;
	s->d.mark = s->pkt.mark;
	s->d.steps = 0;
	s->d.flags = IPT_D_CACHEABLE;
	s->d.npath = 0;
	s->depth = 0;
	s->done = 0;
	if (!cfg || idx >= IPT_HOOK_MAX * 2)
		return -1;
	slot = cfg->active & 1;
	start = cfg->hook_chain[slot][idx];
	if (start == IPT_NONE)
		return -1;
	ipt_enter(s, start);
	bpf_loop(IPT_MAX_STEPS, ipt_step, &zero, 0);
	if (!s->done)
		s->d.flags |= IPT_D_STEPS_EXCEEDED;
	return 0;
}

#endif

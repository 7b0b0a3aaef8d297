// SPDX-License-Identifier: GPL-2.0-only
/* The classifier alone, for BPF_PROG_RUN: the frame plus what a hook would know (cb[]: hook
 * and table, out ifindex, ctstate, local flags, random draw; skb->ingress_ifindex, skb->mark).
 * The decision goes to ipt_last_decision[0]. Not attached anywhere. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "iptables/ipt_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipt_decision);
} ipt_last_decision SEC(".maps");

static __always_inline int ipt_test_classify(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct ipt_scratch *s = bpf_map_lookup_elem(&ipt_scratch, &zero);
	__u32 hook_table = skb->cb[IPT_TCB_HOOK_TABLE];
	__u32 local = skb->cb[IPT_TCB_LOCAL];

	if (!s || ipt_parse(skb, &s->pkt))
		return NA_TC_ACT_UNSPEC;
	s->pkt.ctstate = skb->cb[IPT_TCB_CTSTATE];
	s->pkt.src_local = local & 1;
	s->pkt.dst_local = (local >> 1) & 1;
	s->pkt.random31 = skb->cb[IPT_TCB_RANDOM31];
	s->pkt.mark = skb->mark;
	ipt_iface_of(skb->ingress_ifindex, &s->pkt.in);
	ipt_iface_of(skb->cb[IPT_TCB_OUT_IFINDEX], &s->pkt.out);
	if (ipt_classify(s, hook_table / 2, hook_table & 1))
		return NA_TC_ACT_UNSPEC;
	bpf_map_update_elem(&ipt_last_decision, &zero, &s->d, BPF_ANY);
	return s->d.verdict == IPT_V_DROP ? NA_TC_ACT_SHOT : NA_TC_ACT_OK;
}

SEC("tc")
int ipt_classify_test(struct __sk_buff *skb)
{
	return ipt_test_classify(skb);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0-only
/* Benchmark traffic: a live-frame generator and a TC receive counter. Not part of the product. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench/bench_abi.h"
#include "netaccel_consts.h"

char LICENSE[] SEC("license") = "GPL";

/* How many entries of gen_flows to cycle through; 0 sends the template as it is. */
const volatile __u32 gen_nflows = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_template);
} gen_frame SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GEN_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct gen_flow);
} gen_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_next_flow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rx_count SEC(".maps");

/* Source address and destination port of the next flow, and the IPv4 header checksum redone
 * (UDP's checksum is 0, "none"). */
static __always_inline void gen_apply_flow(__u8 *frame)
{
	__u32 zero = 0, idx;
	__u32 *next = bpf_map_lookup_elem(&gen_next_flow, &zero);
	struct gen_flow *f;
	__u16 *ip = (__u16 *)(frame + 14);
	__u32 sum = 0;

	if (!next)
		return;
	idx = *next % gen_nflows;
	*next = idx + 1;
	f = bpf_map_lookup_elem(&gen_flows, &idx);
	if (!f)
		return;
	__builtin_memcpy(frame + 26, &f->saddr, 4);
	__builtin_memcpy(frame + 36, &f->dport, 2);
	ip[5] = 0;
	for (int i = 0; i < 10; i++)
		sum += ip[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[5] = (__u16)~sum;
}

SEC("xdp")
int gen_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct gen_template *t = bpf_map_lookup_elem(&gen_frame, &zero);

	if (!t || data + GEN_TEMPLATE_LEN > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, t->bytes, GEN_TEMPLATE_LEN);
	if (gen_nflows)
		gen_apply_flow(data);
	return XDP_TX;
}

static __always_inline void count_one(void)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&rx_count, &zero);
	if (c)
		(*c)++;
}

SEC("tc")
int count_tc(struct __sk_buff *skb)
{
	count_one();
	return NA_TC_ACT_SHOT;
}

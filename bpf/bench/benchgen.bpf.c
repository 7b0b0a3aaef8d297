// SPDX-License-Identifier: GPL-2.0-only
/* Benchmark traffic: a live-frame generator and a TC receive counter. Not part of the product. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_SHOT 2
#define GEN_TEMPLATE_LEN 64

char LICENSE[] SEC("license") = "GPL";

/* A full 64-byte frame; page recycling keeps old frame contents, so every run rewrites it. */
struct gen_template {
	__u8 bytes[GEN_TEMPLATE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_template);
} gen_frame SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rx_count SEC(".maps");

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
	return TC_ACT_SHOT;
}

// SPDX-License-Identifier: GPL-2.0-only
/* libgazelle's "second data plane in the pod": frames for the user stack's address (IPv4 to
 * host_addr and ARP asking for it) go to the AF_XDP socket of the receiving queue; everything
 * else, including the pod's kernel-stack traffic on the same interface, passes untouched. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "gazelle/gazelle_abi.h"
#include "netaccel_parse.h"
#include "netaccel_csum.h"

#define GZ_ETH_P_ARP 0x0806

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, GZ_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps"); /* this name is what DPDK's net_af_xdp looks for */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gz_steer_config);
} gz_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gz_stats);
} gz_stats SEC(".maps");

static __always_inline void gz_count(enum gz_stat slot)
{
	__u32 zero = 0;
	struct gz_stats *s = bpf_map_lookup_elem(&gz_stats, &zero);

	if (s && slot < GZ_STAT_MAX)
		s->packets[slot]++;
}

/* ARP payload for Ethernet/IPv4 after struct arphdr. */
struct gz_arp_ipv4 {
	__u8 sha[6];
	__be32 spa;
	__u8 tha[6];
	__be32 tpa;
} __attribute__((packed));

static __always_inline int gz_is_for_stack(void *data, void *data_end, __be16 proto, __u32 host)
{
	if (proto == bpf_htons(GZ_ETH_P_ARP)) {
		struct gz_arp_ipv4 *a = na_hdr(data, data_end, sizeof(struct ethhdr) + sizeof(struct arphdr),
					       sizeof(*a));
		if (a && a->tpa == host) {
			gz_count(GZ_STAT_ARP_STEERED);
			return 1;
		}
		return 0;
	}
	if (proto == bpf_htons(NA_ETH_P_IP)) {
		struct iphdr *ip = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip));
		if (ip && ip->daddr == host) {
			gz_count(GZ_STAT_IP_STEERED);
			return 1;
		}
	}
	return 0;
}

static __always_inline int gz_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 queue = ctx->rx_queue_index;
	__u32 zero = 0;
	struct gz_steer_config *cfg = bpf_map_lookup_elem(&gz_config, &zero);
	struct ethhdr *eth = na_hdr(data, data_end, 0, sizeof(*eth));
	int verdict;

	if (!cfg || !cfg->host_addr || !eth || !gz_is_for_stack(data, data_end, eth->h_proto, cfg->host_addr)) {
		gz_count(GZ_STAT_PASSED);
		return XDP_PASS;
	}
	if ((cfg->flags & GZ_CFG_COMPLETE_CSUM) && eth->h_proto == bpf_htons(NA_ETH_P_IP) &&
	    na_complete_l4_csum_v4(data, data_end))
		gz_count(GZ_STAT_CSUM_INCOMPLETE);
	verdict = bpf_redirect_map(&xsks_map, queue, XDP_PASS);
	if (verdict == XDP_PASS)
		gz_count(GZ_STAT_NO_SOCKET);
	return verdict;
}

SEC("xdp")
int gazelle_steer(struct xdp_md *ctx)
{
	return gz_steer(ctx);
}

char LICENSE[] SEC("license") = "GPL";

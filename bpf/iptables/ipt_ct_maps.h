/* Maps of the data path beyond the classifier's: conntrack, addresses, LOG events, stats. */
#ifndef NETACCEL_IPT_CT_MAPS_H
#define NETACCEL_IPT_CT_MAPS_H

#include "iptables/ipt_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IPT_CT_MAX);
	__type(key, struct ipt_ct_key);
	__type(value, struct ipt_ct_entry);
} ipt_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, IPT_CT_MAX / 2);
	__type(key, __u64);
	__type(value, struct ipt_conn);
} ipt_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipt_addr);
	__type(value, struct ipt_local_addr);
} ipt_local_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* ifindex */
	__type(value, struct ipt_iface_addr);
} ipt_iface_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} ipt_log SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipt_stats);
} ipt_stats SEC(".maps");

static __always_inline void ipt_stat(enum ipt_stat slot)
{
	__u32 zero = 0;
	struct ipt_stats *s = bpf_map_lookup_elem(&ipt_stats, &zero);

	if (s && slot < IPT_STAT_MAX)
		s->v[slot]++;
}

#endif

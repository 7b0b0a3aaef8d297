/* netaccel-iptables maps, shared by the data path and the classifier's test entry point.
 * Rules and chains of two generations live side by side (ids from two halves, see the
 * daemon's loader); ipt_config says which hook chains are live. */
#ifndef NETACCEL_IPT_MAPS_H
#define NETACCEL_IPT_MAPS_H

#include "iptables/ipt_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipt_config);
} ipt_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPT_MAX_CHAINS);
	__type(key, __u32);
	__type(value, struct ipt_chain);
} ipt_chains SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPT_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ipt_rule);
} ipt_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, IPT_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ipt_key);
	__type(value, struct ipt_bucket);
} ipt_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* ifindex */
	__type(value, struct ipt_iface);
} ipt_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPT_MAX_RULES + IPT_MAX_CHAINS);
	__type(key, __u32);
	__type(value, struct ipt_counter);
} ipt_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, IPT_MAX_RULES);
	__type(key, __u32);
	__type(value, __u32);
} ipt_nth SEC(".maps"); /* statistic --mode nth: evaluations so far, per rule */

#endif

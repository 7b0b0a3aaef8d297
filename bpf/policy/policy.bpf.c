// SPDX-License-Identifier: GPL-2.0-only
/* netaccel-policy: Kubernetes NetworkPolicy by workload identity on a pod's host-side veth.
 * Thin SEC() entry points: each reads which state slot is current once and decides on it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "policy/pol_verdict.h"
/* Not read here: the daemon marks each veth it enforces, so netaccel-fwd's XDP path leaves
 * their frames to TC. */
#include "netaccel_guard.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline __u32 pol_current_slot(void)
{
	__u32 zero = 0;
	struct pol_version *v = bpf_map_lookup_elem(&pol_version, &zero);

	return v ? v->slot : 0;
}

SEC("tc")
int pol_from_pod_tc(struct __sk_buff *skb)
{
	const struct pol_slot s0 = {&pol_ipcache_0, &pol_cidrs_0, &pol_endpoints_0, &pol_policy_0};
	const struct pol_slot s1 = {&pol_ipcache_1, &pol_cidrs_1, &pol_endpoints_1, &pol_policy_1};

	return pol_current_slot() ? pol_from_pod(skb, &s1) : pol_from_pod(skb, &s0);
}

SEC("tc")
int pol_to_pod_tc(struct __sk_buff *skb)
{
	const struct pol_slot s0 = {&pol_ipcache_0, &pol_cidrs_0, &pol_endpoints_0, &pol_policy_0};
	const struct pol_slot s1 = {&pol_ipcache_1, &pol_cidrs_1, &pol_endpoints_1, &pol_policy_1};

	return pol_current_slot() ? pol_to_pod(skb, &s1) : pol_to_pod(skb, &s0);
}

/* The TC guard: pod veths whose traffic a netaccel TC stage must see (netaccel-policy enforces
 * them). netaccel-fwd's XDP path redirects frames past every TC hook, so for a guarded veth,
 * as source or destination, it passes them to the kernel, whose path runs TC. One map shared
 * by name: every object that declares it reuses the one pinned under <pin_root>/shared/
 * (services/core map_pinning: maps named na_*). Key ifindex, value NA_GUARD_* bits. */
#ifndef NETACCEL_GUARD_H
#define NETACCEL_GUARD_H

#include "netaccel_consts.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NA_GUARD_MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u32);
} na_guard SEC(".maps");

static __always_inline int na_guarded(__u32 ifindex)
{
	return bpf_map_lookup_elem(&na_guard, &ifindex) != NULL;
}

#endif

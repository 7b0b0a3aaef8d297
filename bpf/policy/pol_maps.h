/* netaccel-policy's maps. Everything a verdict reads exists twice (slot 0 and 1): the daemon
 * changes the slot the data path does not read, flips pol_version, and only then touches the
 * other, so every packet decides on one whole state, never a mixture of two. */
#ifndef NETACCEL_POL_MAPS_H
#define NETACCEL_POL_MAPS_H

#include "policy/policy_abi.h"

/* The template of an endpoint's policy trie (the daemon creates one per endpoint). Sizes, not
 * BTF types: the program's BTF holds the key only as a forward declaration. */
struct pol_rules_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, POL_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct pol_rule_key));
	__uint(value_size, sizeof(struct pol_rule_val));
};

#define POL_SLOT_MAPS(n)                                                   \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                       \
		__uint(max_entries, POL_MAX_ADDRESSES);                    \
		__uint(map_flags, BPF_F_NO_PREALLOC);                      \
		__type(key, struct pol_addr_key);                          \
		__type(value, struct pol_addr_val);                        \
	} pol_ipcache_##n SEC(".maps");                                    \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                       \
		__uint(max_entries, POL_MAX_CIDRS);                        \
		__uint(map_flags, BPF_F_NO_PREALLOC);                      \
		__type(key, struct pol_addr_key);                          \
		__type(value, struct pol_cidr_val);                        \
	} pol_cidrs_##n SEC(".maps");                                      \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_HASH);                           \
		__uint(max_entries, POL_MAX_ENDPOINTS);                    \
		__type(key, __u32);                                        \
		__type(value, struct pol_endpoint);                        \
	} pol_endpoints_##n SEC(".maps");                                  \
	struct {                                                           \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                  \
		__uint(max_entries, POL_MAX_ENDPOINTS);                    \
		__type(key, __u32);                                        \
		__array(values, struct pol_rules_map);                     \
	} pol_policy_##n SEC(".maps");

POL_SLOT_MAPS(0)
POL_SLOT_MAPS(1)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pol_version);
} pol_version SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, POL_MAX_CONNS);
	__type(key, struct pol_ct_key);
	__type(value, struct pol_ct_val);
} pol_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, POL_MAX_ENDPOINTS);
	__type(key, __u32);
	__type(value, struct pol_stats);
} pol_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} pol_drops SEC(".maps");

/* One slot's tables, as the workers take them. */
struct pol_slot {
	void *ipcache, *cidrs, *endpoints, *policy;
};

#endif

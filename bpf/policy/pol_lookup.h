/* Identity and policy lookups in one state slot. */
#ifndef NETACCEL_POL_LOOKUP_H
#define NETACCEL_POL_LOOKUP_H

#include "policy/pol_maps.h"

static __always_inline struct pol_addr_val *pol_ipcache(void *ipcache, const __u8 *addr)
{
	struct pol_addr_key k = {.prefixlen = 128};

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(ipcache, &k);
}

/* The identity of the most specific ipBlock range holding addr; 0 if none does. */
static __always_inline __u32 pol_cidr(void *cidrs, const __u8 *addr)
{
	struct pol_addr_key k = {.prefixlen = 128};
	struct pol_cidr_val *v;

	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(cidrs, &k);
	return v ? v->identity : 0;
}

/* An endpoint's policy trie, NULL when no policy selects it. */
static __always_inline void *pol_rules(void *policy, __u32 endpoint)
{
	__u32 slot = endpoint - 1;

	if (!endpoint)
		return NULL;
	return bpf_map_lookup_elem(policy, &slot);
}

static __always_inline int pol_isolated(void *rules, __u8 dir)
{
	struct pol_rule_key k = {.prefixlen = POL_RULE_BITS_ANY_PROTO, .identity = bpf_htonl(POL_ID_ISOLATED), .dir = dir};

	return rules && bpf_map_lookup_elem(rules, &k) != NULL;
}

static __always_inline int pol_entry(void *rules, __u8 dir, __u32 identity, const struct pol_pkt *p)
{
	struct pol_rule_key k = {
		/* Without ports only "every port" entries can match: never a range by accident. */
		.prefixlen = p->has_ports ? POL_RULE_BITS_FULL : POL_RULE_BITS_ANY_PORT,
		.identity = bpf_htonl(identity),
		.dir = dir,
		.proto = p->proto,
		.port = p->has_ports ? p->dport : 0,
	};

	return bpf_map_lookup_elem(rules, &k) != NULL;
}

/* Does an entry allow the peer: as anyone, by its identity, or by its ipBlock range? */
static __always_inline int pol_allows(void *rules, __u8 dir, __u32 peer, __u32 cidr, const struct pol_pkt *p)
{
	if (pol_entry(rules, dir, POL_ID_ANY, p) || pol_entry(rules, dir, peer, p))
		return 1;
	return cidr && pol_entry(rules, dir, cidr, p);
}

#endif

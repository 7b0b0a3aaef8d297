/* The connection table: once an isolated direction allowed a connection, its later packets
 * and its replies pass without a policy lookup (stateful, UDP and ICMP echo too). */
#ifndef NETACCEL_POL_CT_H
#define NETACCEL_POL_CT_H

#include "policy/pol_maps.h"
#include "policy/pol_parse.h"

/* Idle timeouts as netfilter's defaults for an established flow (set by the daemon). */
const volatile __u64 pol_ct_tcp_timeout_ns = 432000ull * 1000000000ull;
const volatile __u64 pol_ct_other_timeout_ns = 120ull * 1000000000ull;

static __always_inline void pol_ct_key_of(const struct pol_pkt *p, struct pol_ct_key *k, int reverse)
{
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->saddr, reverse ? p->daddr : p->saddr, 16);
	__builtin_memcpy(k->daddr, reverse ? p->saddr : p->daddr, 16);
	k->proto = p->proto;
	if (p->has_ports) {
		k->sport = reverse ? p->dport : p->sport;
		k->dport = reverse ? p->sport : p->dport;
	} else if (p->icmp_echo) {
		/* A request and its reply carry the same identifier: both are "port" id. */
		k->sport = p->icmp_id;
	}
}

/* Echo replies are the reversed tuple of their request; nothing else is tracked for ICMP. */
static __always_inline int pol_ct_trackable(const struct pol_pkt *p)
{
	if (p->proto == NA_IPPROTO_ICMP || p->proto == NA_IPPROTO_ICMPV6)
		return p->icmp_echo != 0;
	return 1;
}

static __always_inline int pol_ct_fresh(struct pol_ct_val *v, const struct pol_pkt *p, __u64 now)
{
	__u64 timeout = p->proto == NA_IPPROTO_TCP ? pol_ct_tcp_timeout_ns : pol_ct_other_timeout_ns;

	if (now - v->last_seen_ns > timeout)
		return 0;
	v->last_seen_ns = now;
	return 1;
}

/* 1 when the packet belongs to a known connection, either way round. */
static __always_inline int pol_ct_known(const struct pol_pkt *p)
{
	struct pol_ct_key k;
	struct pol_ct_val *v;
	__u64 now = bpf_ktime_get_ns();

	if (!pol_ct_trackable(p))
		return 0;
	/* A SYN opens a new connection even where an old one used the same ports (a client
	 * reuses a port as soon as its side is closed): the policy decides it afresh. */
	if (p->proto == NA_IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x02)
		return 0;
	/* An echo request's key, and the reply's reversed one, are the same key. */
	pol_ct_key_of(p, &k, p->icmp_echo == 2);
	v = bpf_map_lookup_elem(&pol_conns, &k);
	if (v && pol_ct_fresh(v, p, now))
		return 1;
	if (p->icmp_echo)
		return 0;
	pol_ct_key_of(p, &k, 1);
	v = bpf_map_lookup_elem(&pol_conns, &k);
	return v && pol_ct_fresh(v, p, now);
}

/* A new connection in directions no policy isolates is recorded too, so its replies still pass
 * when a policy isolates the other way meanwhile (or already does: a pod whose ingress is
 * isolated may still open connections, and their replies come in through its ingress). One
 * write per TCP SYN; for other protocols a lookup per packet, a write per new flow. */
static __always_inline void pol_ct_note(const struct pol_pkt *p)
{
	struct pol_ct_key k;
	struct pol_ct_val *v, fresh = {.last_seen_ns = bpf_ktime_get_ns()};

	if (!pol_ct_trackable(p) || p->icmp_echo == 2)
		return;
	if (p->proto == NA_IPPROTO_TCP) {
		if (!p->has_ports || (p->tcp_flags & 0x12) != 0x02)
			return; /* only a SYN opens; the rest of an untracked flow is not picked up */
		pol_ct_key_of(p, &k, 0);
		bpf_map_update_elem(&pol_conns, &k, &fresh, BPF_ANY);
		return;
	}
	pol_ct_key_of(p, &k, 0);
	v = bpf_map_lookup_elem(&pol_conns, &k);
	if (v) {
		v->last_seen_ns = fresh.last_seen_ns;
		return;
	}
	pol_ct_key_of(p, &k, 1);
	if (bpf_map_lookup_elem(&pol_conns, &k))
		return; /* a reply of a recorded flow */
	pol_ct_key_of(p, &k, 0);
	bpf_map_update_elem(&pol_conns, &k, &fresh, BPF_ANY);
}

static __always_inline void pol_ct_create(const struct pol_pkt *p)
{
	struct pol_ct_key k;
	struct pol_ct_val v = {.last_seen_ns = bpf_ktime_get_ns()};

	if (!pol_ct_trackable(p) || p->icmp_echo == 2)
		return; /* an unsolicited echo reply opens nothing */
	pol_ct_key_of(p, &k, 0);
	bpf_map_update_elem(&pol_conns, &k, &v, BPF_ANY);
}

#endif

/* SPDX-License-Identifier: GPL-2.0-only */
/* netaccel-sockmap bulk bypass: tell request/response sockets from bulk senders and leave the
 * bulk ones to TCP. Redirecting hands each sendmsg to the peer under the peer's socket lock,
 * so a bulk sender waits while its reader copies; on a machine with page-table isolation that
 * measured 0.78x TCP's loopback stream while request/response still gained 1.3x.
 * Off when sm_bulk_bytes is 0: the verifier then drops every branch below. */
#ifndef NETACCEL_SM_BULK_H
#define NETACCEL_SM_BULK_H

#include "sockmap/sockmap_abi.h"

/* Bytes a socket may send with no reply before it counts as bulk; 0: never (set before load). */
const volatile __u64 sm_bulk_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SM_MAX_SOCKETS);
	__type(key, struct sm_sock_key);
	__type(value, struct sm_flow);
} sm_flows SEC(".maps");

/* sockops, established and in the sockhash: start counting. A full map only means this
 * socket is never bypassed, which is today's behaviour. */
static __always_inline void sm_bulk_track(const struct sm_sock_key *self)
{
	struct sm_flow fresh = {};

	if (sm_bulk_bytes)
		bpf_map_update_elem(&sm_flows, self, &fresh, BPF_ANY);
}

/* sockops, closed: the tuple may be reused by a new socket that must start redirected. */
static __always_inline void sm_bulk_forget(const struct sm_sock_key *self)
{
	if (sm_bulk_bytes)
		bpf_map_delete_elem(&sm_flows, self);
}

/* sk_msg, before redirecting: the peer got an answer from us, so it is in a conversation.
 * Returns 1 when our own sends take the TCP path. */
static __always_inline int sm_bulk_is_bypassed(const struct sm_sock_key *self, const struct sm_sock_key *peer)
{
	struct sm_flow *f;

	if (!sm_bulk_bytes)
		return 0;
	f = bpf_map_lookup_elem(&sm_flows, peer);
	if (f && f->unanswered)
		f->unanswered = 0;
	f = bpf_map_lookup_elem(&sm_flows, self);
	return f && f->bulk;
}

/* sk_msg, after a redirect of size bytes. Returns 1 when this send made the socket bulk; its
 * next send takes the TCP path (one way: see struct sm_flow). */
static __always_inline int sm_bulk_account(const struct sm_sock_key *self, __u64 size)
{
	struct sm_flow *f;

	if (!sm_bulk_bytes)
		return 0;
	f = bpf_map_lookup_elem(&sm_flows, self);
	if (!f)
		return 0;
	f->unanswered += size;
	if (f->unanswered < sm_bulk_bytes)
		return 0;
	f->bulk = 1;
	return 1;
}

#endif

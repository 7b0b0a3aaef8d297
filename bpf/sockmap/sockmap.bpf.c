// SPDX-License-Identifier: GPL-2.0-only
/* netaccel-sockmap: same-node TCP socket acceleration. sockops records established sockets
 * whose peer is on this node; sk_msg hands each sendmsg to the peer socket's receive queue. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "sockmap/sockmap_abi.h"
#include "sockmap/sm_bulk.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SM_MAX_SOCKETS);
	__type(key, struct sm_sock_key);
	__type(value, __u64);
} sm_sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SM_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sm_prefix_key);
	__type(value, __u32);
} sm_local_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sm_stats);
} sm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SM_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct sm_cgroup);
} sm_cgroups SEC(".maps");

/* Sidecar mode, set from the config before load (host order). */
const volatile __u16 sm_outbound_port = 15001;
const volatile __u16 sm_inbound_port = 15006;
const volatile __u32 sm_proxy_uid = 1337;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SM_MAX_PREFIXES);
	__type(key, struct sm_pod_key);
	__type(value, struct sm_pod);
} sm_sidecar_pods SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SM_MAX_SOCKETS);
	__type(key, __u64); /* socket cookie */
	__type(value, struct sm_orig_dst);
} sm_orig_by_cookie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SM_MAX_SOCKETS);
	__type(key, struct sm_orig_key);
	__type(value, struct sm_orig_dst);
} sm_orig_by_tuple SEC(".maps");

static __always_inline void sm_count(__u32 slot, __u64 n)
{
	__u32 zero = 0;
	struct sm_stats *s = bpf_map_lookup_elem(&sm_stats, &zero);

	if (s && slot < SM_STAT__MAX)
		s->v[slot] += n;
}

static __always_inline int sm_is_loopback(__u32 family, const __u32 *ip)
{
	if (family == NA_AF_INET)
		return (bpf_ntohl(ip[0]) >> 24) == 127;
	return ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == bpf_htonl(1);
}

static __always_inline int sm_is_local(__u32 family, const __u32 *ip)
{
	struct sm_prefix_key k = { .family = (__u8)family };

	if (sm_is_loopback(family, ip))
		return 1;
	if (family == NA_AF_INET) {
		k.prefixlen = 8 + 32;
		__builtin_memcpy(k.addr, ip, 4);
	} else {
		k.prefixlen = 8 + 128;
		__builtin_memcpy(k.addr, ip, 16);
	}
	return bpf_map_lookup_elem(&sm_local_prefixes, &k) != NULL;
}

static __always_inline int sm_is_v4_mapped(const __u32 *ip)
{
	return ip[0] == 0 && ip[1] == 0 && ip[2] == bpf_htonl(0xffff);
}

/* A dual-stack (AF_INET6) socket talking to an IPv4 peer sees ::ffff:a.b.c.d; its peer sees
 * a.b.c.d. Both must produce the same key, so mapped addresses become plain IPv4. */
static __always_inline void sm_normalize(__u32 *family, __u32 *lip, __u32 *rip)
{
	if (*family != NA_AF_INET6 || !sm_is_v4_mapped(lip) || !sm_is_v4_mapped(rip))
		return;
	*family = NA_AF_INET;
	lip[0] = lip[3];
	rip[0] = rip[3];
	lip[1] = lip[2] = lip[3] = 0;
	rip[1] = rip[2] = rip[3] = 0;
}

/* Fills key as the socket sees itself; loopback tuples carry the namespace cookie. */
static __always_inline void sm_make_key(struct sm_sock_key *k, __u32 family, const __u32 *lip,
					const __u32 *rip, __u32 lport, __u32 rport, __u64 cookie)
{
	k->family = family;
	k->local_port = lport;
	k->remote_port = rport;
	if (family == NA_AF_INET) {
		k->local_ip[0] = lip[0];
		k->remote_ip[0] = rip[0];
	} else {
		__builtin_memcpy(k->local_ip, lip, 16);
		__builtin_memcpy(k->remote_ip, rip, 16);
	}
	k->netns_cookie = sm_is_loopback(family, rip) ? cookie : 0;
}

/* Sidecar mode: an application socket that connect4/6 sent to the proxy is now established;
 * file its original destination under the local address the proxy will see as its peer. */
static __always_inline void sm_remember_orig_dst(struct bpf_sock_ops *skops, __u32 family)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	struct sm_orig_dst *orig = bpf_map_lookup_elem(&sm_orig_by_cookie, &cookie);
	struct sm_orig_key key = {};

	if (!orig)
		return;
	key.family = family;
	if (family == NA_AF_INET) {
		key.ip[0] = skops->local_ip4;
	} else {
		key.ip[0] = skops->local_ip6[0];
		key.ip[1] = skops->local_ip6[1];
		key.ip[2] = skops->local_ip6[2];
		key.ip[3] = skops->local_ip6[3];
	}
	if (sm_is_loopback(family, key.ip))
		key.netns_cookie = bpf_get_netns_cookie(skops);
	key.port = bpf_htons((__u16)skops->local_port);
	bpf_map_update_elem(&sm_orig_by_tuple, &key, orig, BPF_ANY);
	bpf_map_delete_elem(&sm_orig_by_cookie, &cookie);
}

/* The socket's sockhash key as it sees itself; 0 when its peer is not on this node. */
static __always_inline int sm_skops_key(struct bpf_sock_ops *skops, __u32 family, struct sm_sock_key *key)
{
	__u32 lip[4] = {}, rip[4] = {};

	if (family == NA_AF_INET) {
		lip[0] = skops->local_ip4;
		rip[0] = skops->remote_ip4;
	} else if (family == NA_AF_INET6) {
		lip[0] = skops->local_ip6[0]; lip[1] = skops->local_ip6[1];
		lip[2] = skops->local_ip6[2]; lip[3] = skops->local_ip6[3];
		rip[0] = skops->remote_ip6[0]; rip[1] = skops->remote_ip6[1];
		rip[2] = skops->remote_ip6[2]; rip[3] = skops->remote_ip6[3];
	} else {
		return 0;
	}
	sm_normalize(&family, lip, rip);
	if (!sm_is_local(family, rip))
		return 0;
	sm_make_key(key, family, lip, rip, skops->local_port, bpf_ntohl(skops->remote_port),
		    bpf_get_netns_cookie(skops));
	return 1;
}

static __always_inline void sm_established(struct bpf_sock_ops *skops, __u32 family)
{
	struct sm_sock_key key = {};

	if (!sm_skops_key(skops, family, &key)) {
		sm_count(SM_STAT_SKIP_REMOTE, 1);
		return;
	}
	if (bpf_sock_hash_update(skops, &sm_sockets, &key, BPF_ANY) == 0) {
		sm_count(SM_STAT_SOCKETS_ADDED, 1);
		sm_bulk_track(&key);
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
	} else {
		sm_count(SM_STAT_ADD_FAILED, 1);
	}
}

static __always_inline void sm_closed(struct bpf_sock_ops *skops, __u32 family)
{
	struct sm_sock_key key = {};

	sm_count(SM_STAT_SOCKETS_REMOVED, 1);
	if (sm_skops_key(skops, family, &key))
		sm_bulk_forget(&key);
}

SEC("sockops")
int sm_sockops(struct bpf_sock_ops *skops)
{
	/* Read once: the verifier rejects a second load through a pointer the compiler derived. */
	__u32 family = skops->family;

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		sm_remember_orig_dst(skops, family);
		sm_established(skops, family);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		sm_established(skops, family);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			sm_closed(skops, family);
		break;
	}
	return 1;
}

SEC("sk_msg")
int sm_msg(struct sk_msg_md *msg)
{
	struct sm_sock_key peer = {}, self = {};
	__u32 lip[4] = {}, rip[4] = {};
	__u32 family = msg->family, lport, rport;
	__u64 netns_cookie;
	__u64 size = msg->size;

	/* volatile: each context field must be one load at a fixed offset (the verifier rejects
	 * loads through a context pointer the compiler has moved). */
	if (family == NA_AF_INET) {
		lip[0] = *(volatile __u32 *)&msg->local_ip4;
		rip[0] = *(volatile __u32 *)&msg->remote_ip4;
	} else {
		lip[0] = *(volatile __u32 *)&msg->local_ip6[0];
		lip[1] = *(volatile __u32 *)&msg->local_ip6[1];
		lip[2] = *(volatile __u32 *)&msg->local_ip6[2];
		lip[3] = *(volatile __u32 *)&msg->local_ip6[3];
		rip[0] = *(volatile __u32 *)&msg->remote_ip6[0];
		rip[1] = *(volatile __u32 *)&msg->remote_ip6[1];
		rip[2] = *(volatile __u32 *)&msg->remote_ip6[2];
		rip[3] = *(volatile __u32 *)&msg->remote_ip6[3];
	}
	sm_normalize(&family, lip, rip);
	lport = msg->local_port;
	rport = bpf_ntohl(msg->remote_port);
	netns_cookie = bpf_get_netns_cookie(msg);
	/* The peer sees our remote as its local. */
	sm_make_key(&peer, family, rip, lip, rport, lport, netns_cookie);
	sm_make_key(&self, family, lip, rip, lport, rport, netns_cookie);
	if (sm_bulk_is_bypassed(&self, &peer)) {
		sm_count(SM_STAT_MSG_BULK_PASSED, 1);
		return SK_PASS;
	}
	if (bpf_msg_redirect_hash(msg, &sm_sockets, &peer, BPF_F_INGRESS) == SK_PASS) {
		sm_count(SM_STAT_MSG_REDIRECTED, 1);
		sm_count(SM_STAT_BYTES_REDIRECTED, size);
		if (sm_bulk_account(&self, size))
			sm_count(SM_STAT_SOCKETS_TO_BULK, 1);
		return SK_PASS;
	}
	sm_count(SM_STAT_MSG_FALLBACK_NO_PEER, 1);
	return SK_PASS; /* not redirected: the normal TCP path */
}

enum sm_capture { SM_CAPTURE_NONE, SM_CAPTURE_OUTBOUND, SM_CAPTURE_INBOUND };

/* Sidecar mode. The application's outbound TCP connections go to the local proxy. The proxy's
 * own connections (its uid) go out as they are, except to a same-node pod that runs its own
 * sidecar: those go to that pod's inbound port, unless the pod is connecting to itself.
 * Connections already aimed at a proxy port are left alone. Remembers the original destination
 * for the proxy that will ask. */
static __always_inline enum sm_capture sm_capture(struct bpf_sock_addr *ctx, __u32 family, const __u32 *dst,
						  __u16 port_be, int to_proxy)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	struct sm_orig_dst orig = { .family = family };
	enum sm_capture how = SM_CAPTURE_OUTBOUND;
	__u64 cookie;

	if (ctx->type != 1 /* SOCK_STREAM */ || to_proxy)
		return SM_CAPTURE_NONE;
	if (uid == sm_proxy_uid) {
		struct sm_pod_key pk = { .family = family, .ip = { dst[0], dst[1], dst[2], dst[3] } };
		struct sm_pod *pod = bpf_map_lookup_elem(&sm_sidecar_pods, &pk);

		if (!pod || pod->netns_cookie == bpf_get_netns_cookie(ctx) ||
		    bpf_ntohs(port_be) == sm_inbound_port)
			return SM_CAPTURE_NONE;
		how = SM_CAPTURE_INBOUND;
	}
	orig.ip[0] = dst[0];
	orig.ip[1] = dst[1];
	orig.ip[2] = dst[2];
	orig.ip[3] = dst[3];
	orig.port = port_be;
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_update_elem(&sm_orig_by_cookie, &cookie, &orig, BPF_ANY))
		return SM_CAPTURE_NONE; /* cannot remember it: better not redirect */
	sm_count(how == SM_CAPTURE_INBOUND ? SM_STAT_SIDECAR_INBOUND : SM_STAT_SIDECAR_REDIRECTED, 1);
	return how;
}

/* The port a captured connection is sent to; 0 when it is not captured. */
static __always_inline __u16 sm_capture_port(enum sm_capture how)
{
	if (how == SM_CAPTURE_OUTBOUND)
		return sm_outbound_port;
	if (how == SM_CAPTURE_INBOUND)
		return sm_inbound_port; /* same pod IP, its sidecar's inbound listener */
	return 0;
}

SEC("cgroup/connect4")
int sm_connect4(struct bpf_sock_addr *ctx)
{
	/* Each context field is read once: the verifier rejects loads through derived pointers. */
	__u32 dst[4] = { ctx->user_ip4 };
	__u16 port_be = (__u16)ctx->user_port;
	int to_proxy = sm_is_loopback(NA_AF_INET, dst) && bpf_ntohs(port_be) == sm_outbound_port;
	enum sm_capture how = sm_capture(ctx, NA_AF_INET, dst, port_be, to_proxy);
	__u16 port = sm_capture_port(how);

	if (how == SM_CAPTURE_OUTBOUND)
		ctx->user_ip4 = bpf_htonl(0x7f000001);
	if (port)
		ctx->user_port = bpf_htons(port);
	return 1;
}

SEC("cgroup/connect6")
int sm_connect6(struct bpf_sock_addr *ctx)
{
	__u32 dst[4];
	__u16 port_be = (__u16)ctx->user_port;
	enum sm_capture how;
	__u16 port;

	dst[0] = ctx->user_ip6[0];
	dst[1] = ctx->user_ip6[1];
	dst[2] = ctx->user_ip6[2];
	dst[3] = ctx->user_ip6[3];
	/* IPv4-mapped destinations of dual-stack sockets are left alone. */
	if (sm_is_v4_mapped(dst))
		return 1;
	how = sm_capture(ctx, NA_AF_INET6, dst, port_be,
			 sm_is_loopback(NA_AF_INET6, dst) && bpf_ntohs(port_be) == sm_outbound_port);
	port = sm_capture_port(how);
	if (how == SM_CAPTURE_OUTBOUND) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = 0;
		ctx->user_ip6[3] = bpf_htonl(1);
	}
	if (port)
		ctx->user_port = bpf_htons(port);
	return 1;
}

/* Sidecar mode: answer getsockopt(SOL_IP, SO_ORIGINAL_DST) and getsockopt(SOL_IPV6,
 * IP6T_SO_ORIGINAL_DST) on the proxy's accepted socket, as netfilter would after a REDIRECT. */
SEC("cgroup/getsockopt")
int sm_getsockopt(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct sm_orig_key key = {};
	struct sm_orig_dst *orig;
	int v6 = ctx->level == 41; /* SOL_IPV6 */

	if ((ctx->level != 0 /* SOL_IP */ && !v6) || ctx->optname != 80 /* SO_ORIGINAL_DST */ || !sk)
		return 1;
	key.family = v6 ? NA_AF_INET6 : NA_AF_INET;
	if (v6) {
		key.ip[0] = sk->dst_ip6[0];
		key.ip[1] = sk->dst_ip6[1];
		key.ip[2] = sk->dst_ip6[2];
		key.ip[3] = sk->dst_ip6[3];
	} else {
		key.ip[0] = sk->dst_ip4;
	}
	if (sm_is_loopback(key.family, key.ip))
		key.netns_cookie = bpf_get_netns_cookie(ctx);
	key.port = sk->dst_port;
	orig = bpf_map_lookup_elem(&sm_orig_by_tuple, &key);
	if (!orig)
		return 1;
	if (v6) {
		struct sockaddr_in6 *sin6 = ctx->optval;

		if ((void *)(sin6 + 1) > ctx->optval_end)
			return 1;
		__builtin_memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = NA_AF_INET6;
		sin6->sin6_port = orig->port;
		__builtin_memcpy(&sin6->sin6_addr, orig->ip, 16);
		ctx->optlen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = ctx->optval;

		if ((void *)(sin + 1) > ctx->optval_end)
			return 1;
		sin->sin_family = NA_AF_INET;
		sin->sin_port = orig->port;
		sin->sin_addr.s_addr = orig->ip[0];
		ctx->optlen = sizeof(*sin);
	}
	ctx->retval = 0;
	sm_count(SM_STAT_ORIG_DST_ANSWERED, 1);
	return 1;
}

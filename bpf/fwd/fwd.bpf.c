// SPDX-License-Identifier: GPL-2.0-only
/* netaccel-fwd: veth fast path. Thin SEC() entry points for XDP and TC over one worker that
 * decides forward-or-pass; everything the worker cannot finish goes to the kernel untouched. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "netaccel_parse.h"
#include "netaccel_consts.h"
#include "netaccel_csum.h"
#include "netaccel_guard.h"
#include "fwd/fwd_abi.h"

#define PACKET_HOST 0
#define FWD_XDP_MAX_FRAME 1518

char LICENSE[] SEC("license") = "GPL";

/* Set from the daemon's config before load. */
const volatile __u32 fwd_cfg_flags = FWD_CFG_IPV6;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fwd_iface);
} fwd_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FWD_MAX_FDB);
	__type(key, struct fwd_fdb_key);
	__type(value, struct fwd_fdb_val);
} fwd_fdb SEC(".maps");

/* XDP redirect targets; the TC hook redirects by ifindex and does not need it. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, FWD_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} fwd_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FWD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fwd_stats);
} fwd_stats SEC(".maps");

enum fwd_action { FWD_ACT_PASS, FWD_ACT_REDIRECT };

struct fwd_verdict {
	enum fwd_action action;
	__u32 reason;      /* enum fwd_stat when passing */
	__u32 out_ifindex; /* when redirecting */
};

static __always_inline struct fwd_verdict fwd_pass(__u32 reason)
{
	struct fwd_verdict v = { .action = FWD_ACT_PASS, .reason = reason };
	return v;
}

static __always_inline struct fwd_verdict fwd_redirect(__u32 ifindex)
{
	struct fwd_verdict v = { .action = FWD_ACT_REDIRECT, .reason = FWD_STAT_FORWARDED,
				 .out_ifindex = ifindex };
	return v;
}

static __always_inline void fwd_count(__u32 ifindex, __u32 slot, __u64 bytes)
{
	struct fwd_stats *s = bpf_map_lookup_elem(&fwd_stats, &ifindex);
	if (!s || slot >= FWD_STAT__MAX)
		return;
	s->packets[slot]++;
	if (slot == FWD_STAT_FORWARDED)
		s->forwarded_bytes += bytes;
}

/* The egress must be an interface we manage (so we know it is a veth that can take the
 * redirect), and never the ingress itself. An XDP redirect also needs the egress to be
 * XDP-managed: only then does its peer run the program a veth needs to accept XDP frames.
 * Returns 0 or the pass reason. */
static __always_inline __u32 fwd_check_egress(__u32 ingress, __u32 egress, int is_xdp)
{
	struct fwd_iface *e;

	if (egress == ingress)
		return FWD_STAT_PASS_HAIRPIN;
	e = bpf_map_lookup_elem(&fwd_ifaces, &egress);
	if (!e || (is_xdp && e->hook != FWD_HOOK_XDP))
		return FWD_STAT_PASS_EGRESS_UNMANAGED;
	/* An XDP redirect skips every TC hook: netaccel-policy judges a guarded veth's traffic
	 * there. TC itself runs after policy on the same hook, so it goes on. Before any rewrite. */
	if (is_xdp && (na_guarded(ingress) || na_guarded(egress)))
		return FWD_STAT_PASS_GUARDED;
	return 0;
}

static __always_inline __u32 fwd_fib_result_reason(long rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return FWD_STAT_PASS_NO_NEIGH;
	case BPF_FIB_LKUP_RET_NOT_FWDED:
		return FWD_STAT_PASS_NOT_FWDED;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return FWD_STAT_PASS_MTU;
	default:
		return FWD_STAT_PASS_NO_ROUTE;
	}
}

/* Router mode, IPv4. XDP checks the MTU (a frame is one packet); the TC hook leaves the MTU
 * check to the kernel's is_skb_forwardable, which understands GSO. */
static __always_inline struct fwd_verdict fwd_route_v4(void *ctx, void *data, void *data_end,
						       __u32 ingress, int is_xdp)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = na_hdr(data, data_end, sizeof(*eth), sizeof(*ip));
	struct bpf_fib_lookup fib = {};
	long rc;
	__u32 why;

	if (!ip)
		return fwd_pass(FWD_STAT_PASS_MALFORMED);
	if (ip->ihl != 5)
		return fwd_pass(FWD_STAT_PASS_IP_OPTIONS);
	if (ip->frag_off & bpf_htons(NA_IP_MF | NA_IP_OFFSET))
		return fwd_pass(FWD_STAT_PASS_FRAGMENT);
	if ((ip->daddr & bpf_htonl(0xF0000000)) == bpf_htonl(0xE0000000) ||
	    ip->daddr == bpf_htonl(0xFFFFFFFF))
		return fwd_pass(FWD_STAT_PASS_MULTICAST);
	if (ip->ttl <= 1)
		return fwd_pass(FWD_STAT_PASS_TTL);

	fib.family = NA_AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = is_xdp ? bpf_ntohs(ip->tot_len) : 0;
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ingress;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return fwd_pass(fwd_fib_result_reason(rc));
	why = fwd_check_egress(ingress, fib.ifindex, is_xdp);
	if (why)
		return fwd_pass(why);

	na_ipv4_decrease_ttl(ip);
	na_mac_copy(eth->h_dest, fib.dmac);
	na_mac_copy(eth->h_source, fib.smac);
	return fwd_redirect(fib.ifindex);
}

/* Router mode, IPv6. The caller adjusts checksum-complete state (TC) after the hop limit write. */
static __always_inline struct fwd_verdict fwd_route_v6(void *ctx, void *data, void *data_end,
						       __u32 ingress, int is_xdp)
{
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6 = na_hdr(data, data_end, sizeof(*eth), sizeof(*ip6));
	struct bpf_fib_lookup fib = {};
	long rc;
	__u32 why;

	if (!(fwd_cfg_flags & FWD_CFG_IPV6))
		return fwd_pass(FWD_STAT_PASS_DISABLED);
	if (!ip6)
		return fwd_pass(FWD_STAT_PASS_MALFORMED);
	/* multicast (ff00::/8) and link-local (fe80::/10) never leave the link */
	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff ||
	    (ip6->daddr.in6_u.u6_addr8[0] == 0xfe && (ip6->daddr.in6_u.u6_addr8[1] & 0xc0) == 0x80) ||
	    (ip6->saddr.in6_u.u6_addr8[0] == 0xfe && (ip6->saddr.in6_u.u6_addr8[1] & 0xc0) == 0x80))
		return fwd_pass(FWD_STAT_PASS_MULTICAST);
	if (ip6->nexthdr == NA_NEXTHDR_HOP)
		return fwd_pass(FWD_STAT_PASS_IP_OPTIONS);
	if (ip6->nexthdr == NA_NEXTHDR_FRAGMENT)
		return fwd_pass(FWD_STAT_PASS_FRAGMENT);
	if (ip6->nexthdr == NA_NEXTHDR_ICMP) {
		struct icmp6hdr *icmp6 = na_hdr(data, data_end, sizeof(*eth) + sizeof(*ip6), 4);
		if (!icmp6)
			return fwd_pass(FWD_STAT_PASS_MALFORMED);
		if (icmp6->icmp6_type >= 133 && icmp6->icmp6_type <= 137)
			return fwd_pass(FWD_STAT_PASS_ICMP_CONTROL);
	}
	if (ip6->hop_limit <= 1)
		return fwd_pass(FWD_STAT_PASS_TTL);

	fib.family = NA_AF_INET6;
	fib.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0FFFFFFF);
	fib.l4_protocol = ip6->nexthdr;
	fib.tot_len = is_xdp ? bpf_ntohs(ip6->payload_len) + sizeof(*ip6) : 0;
	__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	fib.ifindex = ingress;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return fwd_pass(fwd_fib_result_reason(rc));
	why = fwd_check_egress(ingress, fib.ifindex, is_xdp);
	if (why)
		return fwd_pass(why);

	ip6->hop_limit--;
	na_mac_copy(eth->h_dest, fib.dmac);
	na_mac_copy(eth->h_source, fib.smac);
	return fwd_redirect(fib.ifindex);
}

/* Bridge mode: known unicast by the FDB mirror; everything else is the bridge's job. */
static __always_inline struct fwd_verdict fwd_bridge(void *data, void *data_end, __u32 ingress,
						     const struct fwd_iface *iface, int is_xdp)
{
	struct ethhdr *eth = data;
	struct fwd_fdb_key key = { .bridge_ifindex = iface->bridge_ifindex };
	struct fwd_fdb_val *port;
	struct fwd_iface *egress;
	__u32 why;

	if (na_mac_is_multicast(eth->h_dest))
		return fwd_pass(FWD_STAT_PASS_MULTICAST);
	na_mac_copy(key.mac, eth->h_dest);
	port = bpf_map_lookup_elem(&fwd_fdb, &key);
	if (!port)
		return fwd_pass(FWD_STAT_PASS_FDB_MISS);
	why = fwd_check_egress(ingress, port->port_ifindex, is_xdp);
	if (why)
		return fwd_pass(why);
	egress = bpf_map_lookup_elem(&fwd_ifaces, &port->port_ifindex);
	if (!egress || egress->mode != FWD_MODE_BRIDGE ||
	    egress->bridge_ifindex != iface->bridge_ifindex)
		return fwd_pass(FWD_STAT_PASS_EGRESS_UNMANAGED);
	return fwd_redirect(port->port_ifindex);
}

/* The one worker both hooks share. */
static __always_inline struct fwd_verdict fwd_process(void *ctx, void *data, void *data_end,
						      __u32 ingress, int is_xdp)
{
	struct ethhdr *eth = na_hdr(data, data_end, 0, sizeof(struct ethhdr));
	struct fwd_iface *iface;

	if (!eth)
		return fwd_pass(FWD_STAT_PASS_MALFORMED);
	iface = bpf_map_lookup_elem(&fwd_ifaces, &ingress);
	if (!iface)
		return fwd_pass(FWD_STAT_PASS_EGRESS_UNMANAGED);
	if (eth->h_proto != bpf_htons(NA_ETH_P_IP) && eth->h_proto != bpf_htons(NA_ETH_P_IPV6))
		return fwd_pass(FWD_STAT_PASS_NOT_IP);
	if (iface->mode == FWD_MODE_BRIDGE)
		return fwd_bridge(data, data_end, ingress, iface, is_xdp);

	if (na_mac_is_multicast(eth->h_dest))
		return fwd_pass(FWD_STAT_PASS_MULTICAST);
	if (!na_mac_equal(eth->h_dest, iface->mac))
		return fwd_pass(FWD_STAT_PASS_NOT_FOR_US);
	if (eth->h_proto == bpf_htons(NA_ETH_P_IP))
		return fwd_route_v4(ctx, data, data_end, ingress, is_xdp);
	return fwd_route_v6(ctx, data, data_end, ingress, is_xdp);
}

/* See netaccel_csum.h: XDP frames lose CHECKSUM_PARTIAL, so complete TCP/UDP checksums. */
static __always_inline int fwd_xdp_complete_csum(void *data, void *data_end)
{
	struct ethhdr *eth = na_hdr(data, data_end, 0, sizeof(*eth));

	if (!eth)
		return -1;
	if (eth->h_proto == bpf_htons(NA_ETH_P_IP))
		return na_complete_l4_csum_v4(data, data_end);
	if (eth->h_proto == bpf_htons(NA_ETH_P_IPV6))
		return na_complete_l4_csum_v6(data, data_end);
	return 0;
}

SEC("xdp")
int fwd_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ingress = ctx->ingress_ifindex;
	__u64 len = data_end - data;
	struct fwd_verdict v;
	long rc;

	/* Larger than an MTU-1500 frame: more than the checksum completion covers. */
	if (len > FWD_XDP_MAX_FRAME) {
		fwd_count(ingress, FWD_STAT_PASS_MTU, 0);
		return XDP_PASS;
	}
	v = fwd_process(ctx, data, data_end, ingress, 1);
	if (v.action == FWD_ACT_PASS) {
		fwd_count(ingress, v.reason, 0);
		return XDP_PASS;
	}
	if (fwd_xdp_complete_csum(data, data_end)) {
		/* Already rewritten for the egress; the kernel would not route it again. */
		fwd_count(ingress, FWD_STAT_DROPPED, 0);
		return XDP_DROP;
	}
	rc = bpf_redirect_map(&fwd_tx_ports, v.out_ifindex, 0);
	fwd_count(ingress, rc == XDP_REDIRECT ? FWD_STAT_FORWARDED : FWD_STAT_DROPPED, len);
	return rc == XDP_REDIRECT ? XDP_REDIRECT : XDP_DROP;
}

/* IPv6 hop-limit writes change the bytes a CHECKSUM_COMPLETE sum covers; tell the skb. */
static __always_inline void fwd_tc_fix_csum_v6(struct __sk_buff *skb, __be32 old_word)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__be32 *word = na_hdr(data, data_end, sizeof(struct ethhdr) + 4, 4);
	__be32 new_word;

	if (!word)
		return;
	new_word = *word;
	bpf_csum_update(skb, bpf_csum_diff(&old_word, 4, &new_word, 4, 0));
}

SEC("tc")
int fwd_tc(struct __sk_buff *skb)
{
	const __u32 need = sizeof(struct ethhdr) + sizeof(struct ipv6hdr) + 4;
	void *data, *data_end;
	__u32 ingress = skb->ingress_ifindex;
	__be32 old_v6_word = 0;
	struct fwd_verdict v;
	long rc;

	if (skb->len >= need && skb->data_end - skb->data < need)
		bpf_skb_pull_data(skb, need);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (skb->protocol == bpf_htons(NA_ETH_P_IPV6)) {
		__be32 *word = na_hdr(data, data_end, sizeof(struct ethhdr) + 4, 4);
		if (word)
			old_v6_word = *word;
	}

	v = fwd_process(skb, data, data_end, ingress, 0);
	if (v.action == FWD_ACT_PASS) {
		fwd_count(ingress, v.reason, 0);
		return NA_TC_ACT_OK;
	}
	if (skb->protocol == bpf_htons(NA_ETH_P_IPV6))
		fwd_tc_fix_csum_v6(skb, old_v6_word);
	/* A bridged frame for another MAC was classified OTHERHOST on the ingress port; it is for
	 * the host it is delivered to. */
	if (skb->pkt_type != PACKET_HOST)
		bpf_skb_change_type(skb, PACKET_HOST);
	fwd_count(ingress, FWD_STAT_FORWARDED, skb->len);
	/* Straight into the destination pod's namespace: no second pass through the host veth. */
	rc = bpf_redirect_peer(v.out_ifindex, 0);
	if (rc == NA_TC_ACT_SHOT)
		fwd_count(ingress, FWD_STAT_DROPPED, 0);
	return rc;
}

/* Attached to the pod-side peer of an XDP-managed veth: a veth only accepts XDP_REDIRECTed
 * frames when its peer runs an XDP program (or has GRO on). */
SEC("xdp")
int fwd_peer_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

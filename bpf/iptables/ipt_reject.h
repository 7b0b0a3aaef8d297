/* -j REJECT: the packet is turned, in place, into the answer the kernel's REJECT target would
 * send (a TCP reset, or an ICMP / ICMPv6 destination-unreachable quoting the packet) and sent
 * back toward its sender. */
#ifndef NETACCEL_IPT_REJECT_H
#define NETACCEL_IPT_REJECT_H

#include "iptables/ipt_rewrite.h"
#include "iptables/ipt_ct_maps.h"
#include "netaccel_csum.h"

#define IPT_BPF_ADJ_ROOM_MAC 1
#define IPT_ICMP_MAX_QUOTE 548 /* the error fits in 576 bytes, as the kernel's do */

static __always_inline void ipt_swap_macs(struct ethhdr *eth)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, tmp, 6);
}

/* What a reset answering th must carry (the kernel's rule): with the offender's ACK, reset at
 * that sequence; otherwise acknowledge everything it sent. payload: its data bytes. */
struct ipt_rst {
	__u32 seq, ack_seq;
	int had_ack;
};

static __always_inline void ipt_rst_of(const struct tcphdr *th, __u32 payload, struct ipt_rst *r)
{
	r->had_ack = th->ack;
	r->seq = bpf_ntohl(th->ack_seq);
	r->ack_seq = bpf_ntohl(th->seq) + payload + th->syn + th->fin;
}

/* Turns th into that reset (ports swapped, no options); the checksum is the caller's. */
static __always_inline void ipt_rst_fill(struct tcphdr *th, const struct ipt_rst *r)
{
	__u16 port = th->source;

	th->source = th->dest;
	th->dest = port;
	if (r->had_ack) {
		th->seq = bpf_htonl(r->seq);
		th->ack_seq = 0;
		((__u8 *)th)[13] = 0x04; /* RST */
	} else {
		th->seq = 0;
		th->ack_seq = bpf_htonl(r->ack_seq);
		((__u8 *)th)[13] = 0x14; /* RST|ACK */
	}
	th->doff = 5;
	th->window = 0;
	th->urg_ptr = 0;
	th->check = 0;
}

/* TCP reset for a TCP packet with a plain 20-byte IP header. */
static __always_inline int ipt_reject_tcp(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *th;
	struct ipt_rst rst;
	__u32 addr, payload;
	__u16 ip_len;
	struct { __be32 saddr, daddr; __u8 zero, proto; __be16 len; } ph;
	__s64 sum;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip));
	th = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip), sizeof(*th));
	if (!ip || !th || ip->ihl != 5 || th->rst)
		return -1;
	ip_len = bpf_ntohs(ip->tot_len);
	payload = ip_len > sizeof(*ip) + th->doff * 4 ? ip_len - sizeof(*ip) - th->doff * 4 : 0;
	ipt_rst_of(th, payload, &rst);
	if (bpf_skb_change_tail(skb, IPT_ETH_LEN + sizeof(*ip) + sizeof(*th), 0))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = na_hdr(data, data_end, 0, sizeof(*eth));
	ip = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip));
	th = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip), sizeof(*th));
	if (!eth || !ip || !th)
		return -1;
	ipt_swap_macs(eth);
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*th));
	ip->ttl = 64;
	ip->id = 0;
	ip->frag_off = bpf_htons(0x4000);
	ip->tos = 0;
	ip->check = 0;
	ip->check = na_csum_finish(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
	ipt_rst_fill(th, &rst);
	ph.saddr = ip->saddr;
	ph.daddr = ip->daddr;
	ph.zero = 0;
	ph.proto = NA_IPPROTO_TCP;
	ph.len = bpf_htons(sizeof(*th));
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)th, sizeof(*th), sum);
	th->check = na_csum_finish(sum);
	return 0;
}

/* The IPv6 pseudo-header's sum (RFC 8200 8.1) for an upper-layer packet of len bytes. */
static __always_inline __s64 ipt_pseudo6_sum(const struct ipv6hdr *ip6, __u32 len, __u8 proto)
{
	struct { struct in6_addr saddr, daddr; __be32 len; __u8 zero[3], proto; } ph;

	__builtin_memcpy(&ph.saddr, &ip6->saddr, sizeof(ph.saddr));
	__builtin_memcpy(&ph.daddr, &ip6->daddr, sizeof(ph.daddr));
	ph.len = bpf_htonl(len);
	ph.zero[0] = ph.zero[1] = ph.zero[2] = 0;
	ph.proto = proto;
	return bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
}

/* A fresh IPv6 header: traffic class and flow label 0, hop limit 64. */
static __always_inline void ipt_ip6_hdr(struct ipv6hdr *ip6, __u16 payload_len, __u8 nexthdr,
					const struct ipt_addr *from, const struct ipt_addr *to)
{
	*(__be32 *)ip6 = bpf_htonl(0x60000000);
	ip6->payload_len = bpf_htons(payload_len);
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = 64;
	__builtin_memcpy(&ip6->saddr, from, sizeof(ip6->saddr));
	__builtin_memcpy(&ip6->daddr, to, sizeof(ip6->daddr));
}

/* TCP reset for a TCP segment right behind the IPv6 header (extension headers: not answered). */
static __always_inline int ipt_reject6_tcp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip6));
	struct tcphdr *th = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip6), sizeof(*th));
	struct ethhdr *eth;
	struct ipt_rst rst;
	struct ipt_addr from, to;
	__u32 plen;

	if (!ip6 || !th || ip6->nexthdr != NA_IPPROTO_TCP || th->rst)
		return -1;
	plen = bpf_ntohs(ip6->payload_len);
	ipt_rst_of(th, plen > th->doff * 4 ? plen - th->doff * 4 : 0, &rst);
	__builtin_memcpy(&from, &ip6->daddr, sizeof(from));
	__builtin_memcpy(&to, &ip6->saddr, sizeof(to));
	if (bpf_skb_change_tail(skb, IPT_ETH_LEN + sizeof(*ip6) + sizeof(*th), 0))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = na_hdr(data, data_end, 0, sizeof(*eth));
	ip6 = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip6));
	th = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip6), sizeof(*th));
	if (!eth || !ip6 || !th)
		return -1;
	ipt_swap_macs(eth);
	ipt_ip6_hdr(ip6, sizeof(*th), NA_IPPROTO_TCP, &from, &to);
	ipt_rst_fill(th, &rst);
	th->check = na_csum_finish(bpf_csum_diff(NULL, 0, (__be32 *)th, sizeof(*th), ipt_pseudo6_sum(ip6, sizeof(*th), NA_IPPROTO_TCP)));
	return 0;
}

/* ICMP destination unreachable (code) from `from` (be) quoting the packet: as much of it as
 * fits 576 bytes, like the kernel. Quoting whole headers also keeps a sender's partial
 * checksum offset (veth, CHECKSUM_PARTIAL) inside the packet, pointing at the quoted L4
 * checksum: the skb metadata cannot be changed from here, so the layout has to fit it. */
static __always_inline int ipt_reject_icmp(struct __sk_buff *skb, __u8 code, __u32 from)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip, *orig;
	__u8 *icmp;
	__u32 to, quote;
	__s64 sum;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	orig = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*orig));
	if (!orig || orig->ihl != 5 || !from)
		return -1;
	if (orig->protocol == NA_IPPROTO_ICMP) { /* never answer an ICMP error with one */
		__u8 *t = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*orig), 1);

		if (!t || (*t != 8 && *t != 13 && *t != 15 && *t != 17))
			return -1;
	}
	to = orig->saddr;
	quote = bpf_ntohs(orig->tot_len);
	if (quote > skb->len - IPT_ETH_LEN)
		quote = skb->len - IPT_ETH_LEN;
	if (quote > IPT_ICMP_MAX_QUOTE)
		quote = IPT_ICMP_MAX_QUOTE;
	if (quote < sizeof(*orig) + 8)
		return -1;
	/* [eth][IP][L4..] -> [eth][new IP][ICMP][IP][L4..] */
	if (bpf_skb_adjust_room(skb, sizeof(struct iphdr) + 8, IPT_BPF_ADJ_ROOM_MAC, 0))
		return -1;
	if (bpf_skb_change_tail(skb, IPT_ETH_LEN + sizeof(struct iphdr) + 8 + quote, 0))
		return -1;
	if (bpf_skb_pull_data(skb, IPT_ETH_LEN + sizeof(struct iphdr) + 8 + quote)) /* the checksum reads it all */
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = na_hdr(data, data_end, 0, sizeof(*eth));
	ip = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip));
	icmp = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip), 8);
	if (!eth || !ip || !icmp)
		return -1;
	ipt_swap_macs(eth);
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0xc0;
	ip->tot_len = bpf_htons(sizeof(*ip) + 8 + quote);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = NA_IPPROTO_ICMP;
	ip->saddr = from;
	ip->daddr = to;
	ip->check = 0;
	ip->check = na_csum_finish(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	icmp[4] = icmp[5] = icmp[6] = icmp[7] = 0;
	sum = na_csum_range(icmp, data_end, 8 + quote, 0);
	if (sum < 0)
		return -1;
	*(__u16 *)(icmp + 2) = na_csum_finish(sum);
	return 0;
}

#define IPT_ICMP6_MAX_QUOTE 1232 /* the error fits the IPv6 minimum MTU, 1280 bytes, as the kernel's */

/* ICMPv6 destination unreachable (code) from `from` quoting as much of the packet as fits 1280
 * bytes. Not for a packet to a multicast address, nor for an ICMPv6 error (RFC 4443 2.4). */
static __always_inline int ipt_reject6_icmp(struct __sk_buff *skb, __u8 code, const struct ipt_addr *from)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip6));
	struct ethhdr *eth;
	struct ipt_addr to;
	__u8 *icmp;
	__u32 quote;
	__s64 sum;

	if (!ip6 || !(from->w[0] | from->w[1] | from->w[2] | from->w[3]) || ip6->daddr.in6_u.u6_addr8[0] == 0xff)
		return -1;
	if (ip6->nexthdr == NA_IPPROTO_ICMPV6) {
		__u8 *t = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip6), 1);

		if (!t || *t < 128)
			return -1;
	}
	__builtin_memcpy(&to, &ip6->saddr, sizeof(to));
	quote = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (quote > skb->len - IPT_ETH_LEN)
		quote = skb->len - IPT_ETH_LEN;
	if (quote > IPT_ICMP6_MAX_QUOTE)
		quote = IPT_ICMP6_MAX_QUOTE;
	/* [eth][IPv6][..] -> [eth][new IPv6][ICMPv6][IPv6][..] */
	if (bpf_skb_adjust_room(skb, sizeof(struct ipv6hdr) + 8, IPT_BPF_ADJ_ROOM_MAC, 0))
		return -1;
	if (bpf_skb_change_tail(skb, IPT_ETH_LEN + sizeof(struct ipv6hdr) + 8 + quote, 0))
		return -1;
	if (bpf_skb_pull_data(skb, IPT_ETH_LEN + sizeof(struct ipv6hdr) + 8 + quote))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = na_hdr(data, data_end, 0, sizeof(*eth));
	ip6 = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip6));
	icmp = na_hdr(data, data_end, IPT_ETH_LEN + sizeof(*ip6), 8);
	if (!eth || !ip6 || !icmp)
		return -1;
	ipt_swap_macs(eth);
	ipt_ip6_hdr(ip6, 8 + quote, NA_IPPROTO_ICMPV6, from, &to);
	icmp[0] = 1; /* destination unreachable */
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	icmp[4] = icmp[5] = icmp[6] = icmp[7] = 0;
	sum = na_csum_range(icmp, data_end, 8 + quote, ipt_pseudo6_sum(ip6, 8 + quote, NA_IPPROTO_ICMPV6));
	if (sum < 0)
		return -1;
	*(__u16 *)(icmp + 2) = na_csum_finish(sum);
	return 0;
}

#define IPT_BPF_F_INGRESS 1

/* The ICMP (ICMPv6) destination-unreachable code of a REJECT kind. */
static __always_inline __u8 ipt_reject_icmp_code(__u32 kind)
{
	/* enum ipt_reject -> ICMP code; from IPT_REJ6_NO_ROUTE on, ICMPv6 codes */
	static const __u8 codes[] = {3, 0, 1, 2, 9, 10, 13, 0, 0, 1, 3, 4, 5, 6};

	return kind < sizeof(codes) ? codes[kind] : 3;
}

/* Answers a rejected packet; returns the TC action. At ingress (INPUT, FORWARD) the answer goes
 * back out of the interface the packet came in on, through the neighbour table as the kernel's
 * own answer does: it waits for neighbour discovery, and is lost with it when the ruleset stops
 * this host's solicitations or their answers. At egress (OUTPUT) it is handed to that
 * interface's receive path, to the local socket that sent the packet. */
static __always_inline int ipt_reject(struct __sk_buff *skb, struct ipt_scratch *s, __u32 ifindex, __u32 hook)
{
	__u32 id = s->d.by, kind;
	struct ipt_rule *r = bpf_map_lookup_elem(&ipt_rules, &id);
	struct ipt_iface_addr *a;
	struct ipt_addr from;
	int rc;

	ipt_stat(IPT_STAT_REJECTED);
	if (!r)
		return NA_TC_ACT_SHOT;
	kind = r->arg;
	if (kind == IPT_REJ_TCP_RESET) {
		if (s->pkt.proto != NA_IPPROTO_TCP)
			rc = -1;
		else
			rc = ipt_family == IPT_FAMILY_V6 ? ipt_reject6_tcp(skb) : ipt_reject_tcp(skb);
	} else {
		/* The kernel answers from the address the packet was for (INPUT) or the router's
		 * address toward the sender (FORWARD). In OUTPUT its answer comes from this host over
		 * loopback; ours enters through the interface, where a local source address would be
		 * dropped as martian: it comes from the address the packet was for. */
		a = bpf_map_lookup_elem(&ipt_iface_addrs, &ifindex);
		if (hook == IPT_HOOK_FORWARD) {
			if (a)
				from = a->addr;
			else
				__builtin_memset(&from, 0, sizeof(from));
		} else {
			from = s->pkt.dst;
		}
		if (ipt_family == IPT_FAMILY_V6)
			rc = ipt_reject6_icmp(skb, ipt_reject_icmp_code(kind), &from);
		else
			rc = ipt_reject_icmp(skb, ipt_reject_icmp_code(kind), from.w[0]);
	}
	if (rc)
		return NA_TC_ACT_SHOT;
	if (hook == IPT_HOOK_OUTPUT)
		return bpf_redirect(ifindex, IPT_BPF_F_INGRESS);
	return bpf_redirect_neigh(ifindex, NULL, 0, 0); /* the route to the sender names the next hop */
}

#endif

/* Fills struct ipt_pkt from an IPv4 or IPv6 frame (TC context). */
#ifndef NETACCEL_IPT_PARSE_H
#define NETACCEL_IPT_PARSE_H

#include "netaccel_parse.h"
#include "netaccel_consts.h"
#include "iptables/ipt_classify.h"

/* Which family this instance of the data path handles (set before load by the daemon: one
 * instance for iptables, one for ip6tables). Packets of the other family are not ours. */
const volatile __u32 ipt_family = IPT_FAMILY_V4;

#define IPT_IPV6_EXT_MAX 4 /* extension headers walked before giving up on the L4 header */

static __always_inline __u8 ipt_icmp_proto(void)
{
	return ipt_family == IPT_FAMILY_V6 ? NA_IPPROTO_ICMPV6 : NA_IPPROTO_ICMP;
}

/* The echo request and reply types of the instance's ICMP. */
static __always_inline int ipt_icmp_is_echo(__u8 type)
{
	return ipt_family == IPT_FAMILY_V6 ? (type == 128 || type == 129) : (type == 0 || type == 8);
}

/* Ports, TCP flags, ICMP type/code/identifier from the L4 header at l4off. */
static __always_inline void ipt_parse_l4(void *data, void *data_end, __u32 l4off, struct ipt_pkt *p)
{
	if (p->proto == NA_IPPROTO_TCP || p->proto == NA_IPPROTO_UDP || p->proto == NA_IPPROTO_SCTP) {
		__be16 *ports = na_hdr(data, data_end, l4off, 4);

		if (!ports)
			return;
		p->sport = bpf_ntohs(ports[0]);
		p->dport = bpf_ntohs(ports[1]);
		if (p->proto == NA_IPPROTO_TCP) {
			__u8 *flags = na_hdr(data, data_end, l4off + 13, 1);

			if (flags)
				p->tcp_flags = *flags & 0x3f;
		}
	} else if (p->proto == ipt_icmp_proto()) {
		__u8 *icmp = na_hdr(data, data_end, l4off, 6);

		if (icmp) {
			p->icmp_type = icmp[0];
			p->icmp_code = icmp[1];
			if (ipt_icmp_is_echo(icmp[0]))
				p->icmp_id = ((__u16)icmp[4] << 8) | icmp[5];
		}
	}
}

static __always_inline void ipt_reset_l4(struct ipt_pkt *p)
{
	p->sport = p->dport = 0;
	p->tcp_flags = p->icmp_type = p->icmp_code = 0;
	p->icmp_id = 0;
	p->l4off = 0;
}

static __always_inline int ipt_parse4(void *data, void *data_end, struct ipt_pkt *p)
{
	struct iphdr *ip = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip));

	if (!ip || ip->ihl < 5)
		return -1;
	__builtin_memset(&p->src, 0, sizeof(p->src));
	__builtin_memset(&p->dst, 0, sizeof(p->dst));
	p->src.w[0] = ip->saddr;
	p->dst.w[0] = ip->daddr;
	p->proto = ip->protocol;
	/* Non-first fragments carry no L4 header: ports stay 0, as netfilter sees them. */
	if (ip->frag_off & bpf_htons(NA_IP_OFFSET))
		return 0;
	p->l4off = sizeof(struct ethhdr) + (ip->ihl & 0xf) * 4;
	ipt_parse_l4(data, data_end, p->l4off, p);
	return 0;
}

/* IPv6: the upper-layer protocol after hop-by-hop, routing, destination options, fragment and
 * AH headers, as ip6tables' -p sees it (ipv6_find_hdr). */
static __always_inline int ipt_parse6(void *data, void *data_end, struct ipt_pkt *p)
{
	struct ipv6hdr *ip6 = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip6));
	__u32 off = sizeof(struct ethhdr) + sizeof(*ip6);
	__u8 next;

	if (!ip6 || ip6->version != 6)
		return -1;
	__builtin_memcpy(&p->src, &ip6->saddr, sizeof(p->src));
	__builtin_memcpy(&p->dst, &ip6->daddr, sizeof(p->dst));
	next = ip6->nexthdr;
	for (int i = 0; i < IPT_IPV6_EXT_MAX; i++) {
		__u8 *h;

		if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51)
			break;
		h = na_hdr(data, data_end, off, 8);
		if (!h)
			return 0; /* truncated: protocol unknown, no ports */
		if (next == 44) { /* fragment: a non-first one has no L4 header */
			__u16 frag = ((__u16)h[2] << 8) | h[3];

			p->proto = h[0];
			if (frag & 0xfff8)
				return 0;
			off += 8;
		} else if (next == 51) {
			off += ((__u32)h[1] + 2) * 4;
		} else {
			off += ((__u32)h[1] + 1) * 8;
		}
		next = h[0];
	}
	p->proto = next;
	p->l4off = off;
	ipt_parse_l4(data, data_end, off, p);
	return 0;
}

/* Returns 0 for a packet of the instance's family (p filled), -1 for anything else (not ours:
 * it passes untouched). */
static __always_inline int ipt_parse(struct __sk_buff *skb, struct ipt_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = na_hdr(data, data_end, 0, sizeof(*eth));
	int v6 = ipt_family == IPT_FAMILY_V6;

	if (!eth || eth->h_proto != bpf_htons(v6 ? NA_ETH_P_IPV6 : NA_ETH_P_IP))
		return -1;
	ipt_reset_l4(p);
	p->proto = 0;
	p->len = skb->len > sizeof(*eth) ? skb->len - sizeof(*eth) : 0; /* IP bytes, as iptables counts */
	return v6 ? ipt_parse6(data, data_end, p) : ipt_parse4(data, data_end, p);
}

static __always_inline void ipt_iface_of(__u32 ifindex, struct ipt_iface *out)
{
	struct ipt_iface *e = bpf_map_lookup_elem(&ipt_ifaces, &ifindex);

	out->exact_id = e ? e->exact_id : 0;
	out->patterns = e ? e->patterns : 0;
}

#endif

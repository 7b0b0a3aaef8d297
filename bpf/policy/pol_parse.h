/* The fields a policy verdict reads, from an IPv4 or IPv6 frame. IPv4 addresses become
 * IPv4-mapped IPv6 so one set of tries serves both families. */
#ifndef NETACCEL_POL_PARSE_H
#define NETACCEL_POL_PARSE_H

#include "netaccel_parse.h"
#include "netaccel_consts.h"

#define POL_IPV6_EXT_MAX 4

enum pol_parse_result {
	POL_PKT_IP = 0,
	POL_PKT_NOT_IP,    /* ARP and everything else: not a policy's business */
	POL_PKT_CONTROL,   /* IPv6 neighbour discovery and MLD: the link needs them */
	POL_PKT_MALFORMED, /* an IP frame whose header cannot be read */
};

struct pol_pkt {
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 proto;
	__u8 has_ports; /* TCP/UDP/SCTP with a readable header, not a later fragment */
	__be16 sport, dport;
	__be16 icmp_id; /* ICMP/ICMPv6 echo: the identifier (the connection's "port") */
	__u8 icmp_echo; /* 1: echo request, 2: echo reply */
	__u8 tcp_flags;
};

static __always_inline void pol_map_v4(__u8 *out, __be32 addr)
{
	__builtin_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	__builtin_memcpy(out + 12, &addr, 4);
}

static __always_inline void pol_parse_l4(void *data, void *data_end, __u32 off, struct pol_pkt *p)
{
	if (p->proto == NA_IPPROTO_TCP || p->proto == NA_IPPROTO_UDP || p->proto == NA_IPPROTO_SCTP) {
		__be16 *ports = na_hdr(data, data_end, off, 4);

		if (!ports)
			return;
		p->sport = ports[0];
		p->dport = ports[1];
		p->has_ports = 1;
		if (p->proto == NA_IPPROTO_TCP) {
			__u8 *flags = na_hdr(data, data_end, off + 13, 1);

			if (flags)
				p->tcp_flags = *flags;
		}
	} else if (p->proto == NA_IPPROTO_ICMP || p->proto == NA_IPPROTO_ICMPV6) {
		__u8 *icmp = na_hdr(data, data_end, off, 6);
		__u8 req = p->proto == NA_IPPROTO_ICMP ? 8 : 128, rep = p->proto == NA_IPPROTO_ICMP ? 0 : 129;

		if (!icmp)
			return;
		if (icmp[0] == req || icmp[0] == rep) {
			p->icmp_echo = icmp[0] == req ? 1 : 2;
			__builtin_memcpy(&p->icmp_id, icmp + 4, 2);
		}
	}
}

static __always_inline int pol_parse4(void *data, void *data_end, struct pol_pkt *p)
{
	struct iphdr *ip = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip));

	if (!ip || ip->ihl < 5 || ip->version != 4)
		return POL_PKT_MALFORMED;
	pol_map_v4(p->saddr, ip->saddr);
	pol_map_v4(p->daddr, ip->daddr);
	p->proto = ip->protocol;
	if (ip->frag_off & bpf_htons(NA_IP_OFFSET))
		return POL_PKT_IP; /* a later fragment: no ports */
	pol_parse_l4(data, data_end, sizeof(struct ethhdr) + ip->ihl * 4, p);
	return POL_PKT_IP;
}

static __always_inline int pol_parse6(void *data, void *data_end, struct pol_pkt *p)
{
	struct ipv6hdr *ip6 = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip6));
	__u32 off = sizeof(struct ethhdr) + sizeof(*ip6);
	__u8 next;

	if (!ip6 || ip6->version != 6)
		return POL_PKT_MALFORMED;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);
	next = ip6->nexthdr;
	for (int i = 0; i < POL_IPV6_EXT_MAX; i++) {
		__u8 *h;

		if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51)
			break;
		h = na_hdr(data, data_end, off, 8);
		if (!h) {
			p->proto = next; /* cut short: a protocol no port entry matches */
			return POL_PKT_IP;
		}
		if (next == 44 && ((((__u16)h[2] << 8) | h[3]) & 0xfff8)) {
			p->proto = h[0]; /* a later fragment: no ports */
			return POL_PKT_IP;
		}
		off += next == 44 ? 8 : next == 51 ? ((__u32)h[1] + 2) * 4 : ((__u32)h[1] + 1) * 8;
		next = h[0];
	}
	p->proto = next;
	if (next == NA_IPPROTO_ICMPV6) {
		__u8 *t = na_hdr(data, data_end, off, 1);

		/* MLD (130-132, 143) and neighbour/router discovery (133-137) keep the link up. */
		if (t && ((*t >= 130 && *t <= 137) || *t == 143))
			return POL_PKT_CONTROL;
	}
	pol_parse_l4(data, data_end, off, p);
	return POL_PKT_IP;
}

/* skb->data and skb->data_end as one load each at their own offset: clang may otherwise keep
 * &skb->data_end in a register across a helper call, which the verifier refuses. */
static __always_inline void *pol_skb_field(struct __sk_buff *skb, const int off)
{
	long v; /* a 32-bit load zero-extends: no shifts for the verifier to refuse */

	asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(v) : "r"(skb), "i"(off));
	return (void *)v;
}
#define pol_skb_data(skb) pol_skb_field(skb, __builtin_offsetof(struct __sk_buff, data))
#define pol_skb_data_end(skb) pol_skb_field(skb, __builtin_offsetof(struct __sk_buff, data_end))

static __always_inline int pol_parse(struct __sk_buff *skb, struct pol_pkt *p)
{
	void *data = pol_skb_data(skb);
	void *data_end = pol_skb_data_end(skb);

	__builtin_memset(p, 0, sizeof(*p));
	if (skb->protocol == bpf_htons(NA_ETH_P_IP))
		return pol_parse4(data, data_end, p);
	if (skb->protocol == bpf_htons(NA_ETH_P_IPV6))
		return pol_parse6(data, data_end, p);
	return POL_PKT_NOT_IP;
}

#endif

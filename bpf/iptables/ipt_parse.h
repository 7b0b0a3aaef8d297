/* Fills struct ipt_pkt from an IPv4 frame (TC context). */
#ifndef NETACCEL_IPT_PARSE_H
#define NETACCEL_IPT_PARSE_H

#include "netaccel_parse.h"
#include "iptables/ipt_classify.h"

/* TC verdicts (linux/pkt_cls.h is not in vmlinux.h). */
#define IPT_TC_ACT_UNSPEC (-1)
#define IPT_TC_ACT_OK 0
#define IPT_TC_ACT_SHOT 2

#define IPT_IPPROTO_ICMP 1
#define IPT_IPPROTO_TCP 6
#define IPT_IPPROTO_UDP 17
#define IPT_IPPROTO_SCTP 132

/* Returns 0 for IPv4 (p filled), -1 for anything else (not ours: passes untouched). */
static __always_inline int ipt_parse(struct __sk_buff *skb, struct ipt_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = na_hdr(data, data_end, 0, sizeof(*eth));
	struct iphdr *ip;
	__u32 l4off;

	if (!eth || eth->h_proto != bpf_htons(NA_ETH_P_IP))
		return -1;
	ip = na_hdr(data, data_end, sizeof(*eth), sizeof(*ip));
	if (!ip || ip->ihl < 5)
		return -1;
	p->src = ip->saddr;
	p->dst = ip->daddr;
	p->proto = ip->protocol;
	p->sport = p->dport = 0;
	p->tcp_flags = p->icmp_type = p->icmp_code = 0;
	p->icmp_id = 0;
	p->len = skb->len > sizeof(*eth) ? skb->len - sizeof(*eth) : 0; /* IP bytes, as iptables counts */
	/* Non-first fragments carry no L4 header: ports stay 0, as netfilter sees them. */
	if (ip->frag_off & bpf_htons(NA_IP_OFFSET))
		return 0;
	l4off = sizeof(*eth) + (ip->ihl & 0xf) * 4;
	if (p->proto == IPT_IPPROTO_TCP || p->proto == IPT_IPPROTO_UDP || p->proto == IPT_IPPROTO_SCTP) {
		__be16 *ports = na_hdr(data, data_end, l4off, 4);

		if (!ports)
			return 0;
		p->sport = bpf_ntohs(ports[0]);
		p->dport = bpf_ntohs(ports[1]);
		if (p->proto == IPT_IPPROTO_TCP) {
			__u8 *flags = na_hdr(data, data_end, l4off + 13, 1);

			if (flags)
				p->tcp_flags = *flags & 0x3f;
		}
	} else if (p->proto == IPT_IPPROTO_ICMP) {
		__u8 *icmp = na_hdr(data, data_end, l4off, 6);

		if (icmp) {
			p->icmp_type = icmp[0];
			p->icmp_code = icmp[1];
			if (icmp[0] == 0 || icmp[0] == 8)
				p->icmp_id = ((__u16)icmp[4] << 8) | icmp[5];
		}
	}
	return 0;
}

static __always_inline void ipt_iface_of(__u32 ifindex, struct ipt_iface *out)
{
	struct ipt_iface *e = bpf_map_lookup_elem(&ipt_ifaces, &ifindex);

	out->exact_id = e ? e->exact_id : 0;
	out->patterns = e ? e->patterns : 0;
}

#endif

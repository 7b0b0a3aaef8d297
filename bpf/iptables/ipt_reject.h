/* -j REJECT: the packet is turned, in place, into the answer the kernel's REJECT target would
 * send (a TCP reset, or an ICMP destination-unreachable quoting the packet's IP header and
 * first 8 bytes) and sent back toward its sender. */
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

/* TCP reset for a TCP packet with a plain 20-byte IP header. */
static __always_inline int ipt_reject_tcp(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct tcphdr *th;
	__u32 addr, seq, ack_seq, payload;
	__u16 port, ip_len;
	int had_ack;
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
	had_ack = th->ack;
	seq = bpf_ntohl(th->seq);
	ack_seq = bpf_ntohl(th->ack_seq);
	seq += payload + th->syn + th->fin;
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
	ip->check = ipt_fold(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	/* As the kernel's reset: with the offender's ACK, reset at that sequence; otherwise
	 * acknowledge what it sent. */
	if (had_ack) {
		th->seq = bpf_htonl(ack_seq);
		th->ack_seq = 0;
		((__u8 *)th)[13] = 0x04; /* RST */
	} else {
		th->seq = 0;
		th->ack_seq = bpf_htonl(seq);
		((__u8 *)th)[13] = 0x14; /* RST|ACK */
	}
	th->doff = 5;
	th->window = 0;
	th->urg_ptr = 0;
	th->check = 0;
	ph.saddr = ip->saddr;
	ph.daddr = ip->daddr;
	ph.zero = 0;
	ph.proto = IPT_IPPROTO_TCP;
	ph.len = bpf_htons(sizeof(*th));
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)th, sizeof(*th), sum);
	th->check = ipt_fold(sum);
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
	if (orig->protocol == IPT_IPPROTO_ICMP) { /* never answer an ICMP error with one */
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
	ip->protocol = IPT_IPPROTO_ICMP;
	ip->saddr = from;
	ip->daddr = to;
	ip->check = 0;
	ip->check = ipt_fold(bpf_csum_diff(NULL, 0, (__be32 *)ip, sizeof(*ip), 0));
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = code;
	icmp[2] = icmp[3] = 0;
	icmp[4] = icmp[5] = icmp[6] = icmp[7] = 0;
	sum = na_csum_range(icmp, data_end, 8 + quote, 0);
	if (sum < 0)
		return -1;
	*(__u16 *)(icmp + 2) = ipt_fold(sum);
	return 0;
}

#define IPT_BPF_F_INGRESS 1

/* The ICMP destination-unreachable code of a REJECT kind. */
static __always_inline __u8 ipt_reject_icmp_code(__u32 kind)
{
	static const __u8 codes[] = {3, 0, 1, 2, 9, 10, 13}; /* enum ipt_reject -> ICMP code */

	return kind < sizeof(codes) ? codes[kind] : 3;
}

/* Answers a rejected packet; returns the TC action. At ingress (INPUT, FORWARD) the answer goes
 * back out of the interface the packet came in on; at egress (OUTPUT) it is handed to that
 * interface's receive path, to the local socket that sent the packet. */
static __always_inline int ipt_reject(struct __sk_buff *skb, struct ipt_scratch *s, __u32 ifindex, __u32 hook)
{
	__u32 id = s->d.by, kind;
	struct ipt_rule *r = bpf_map_lookup_elem(&ipt_rules, &id);
	struct ipt_iface_addr *a;
	__u32 from;
	int rc;

	ipt_stat(IPT_STAT_REJECTED);
	if (!r || ipt_family == IPT_FAMILY_V6) /* (the IPv6 compiler refuses REJECT for now) */
		return IPT_TC_ACT_SHOT;
	kind = r->arg;
	if (kind == IPT_REJ_TCP_RESET) {
		rc = s->pkt.proto == IPT_IPPROTO_TCP ? ipt_reject_tcp(skb) : -1;
	} else {
		/* The kernel answers from the address the packet was for (INPUT) or the router's
		 * address toward the sender (FORWARD). In OUTPUT its answer comes from this host over
		 * loopback; ours enters through the interface, where a local source address would be
		 * dropped as martian: it comes from the address the packet was for. */
		a = bpf_map_lookup_elem(&ipt_iface_addrs, &ifindex);
		from = hook == IPT_HOOK_FORWARD ? (a ? a->addr : 0) : s->pkt.dst.w[0];
		rc = ipt_reject_icmp(skb, ipt_reject_icmp_code(kind), from);
	}
	if (rc)
		return IPT_TC_ACT_SHOT;
	return bpf_redirect(ifindex, hook == IPT_HOOK_OUTPUT ? IPT_BPF_F_INGRESS : 0);
}

#endif

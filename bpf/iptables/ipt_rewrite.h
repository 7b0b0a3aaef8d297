/* Address and port rewrites with incremental checksum updates (IPv4 header, TCP/UDP
 * pseudo-header and port). SCTP's CRC32c cannot be updated incrementally: its ports are not
 * rewritten (the compiler refuses NAT ports for SCTP... the daemon documents it). */
#ifndef NETACCEL_IPT_REWRITE_H
#define NETACCEL_IPT_REWRITE_H

#include "iptables/ipt_parse.h"

#define IPT_ETH_LEN 14
#define IPT_IP_CSUM_OFF (IPT_ETH_LEN + 10)
#define IPT_IP_SRC_OFF (IPT_ETH_LEN + 12)
#define IPT_IP_DST_OFF (IPT_ETH_LEN + 16)
#define IPT_BPF_F_PSEUDO_HDR (1ULL << 4)
#define IPT_BPF_F_MARK_MANGLED_0 (1ULL << 5)

/* A one's-complement sum folded to 16 bits and complemented: a checksum field's value. */
static __always_inline __u16 ipt_fold(__s64 sum)
{
	__u64 s = (__u64)sum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __always_inline int ipt_l4_csum_off(__u8 proto, __u32 l4off)
{
	if (proto == IPT_IPPROTO_TCP)
		return l4off + 16;
	if (proto == IPT_IPPROTO_UDP)
		return l4off + 6;
	return -1;
}

static __always_inline __u32 ipt_l4off(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = na_hdr(data, data_end, IPT_ETH_LEN, sizeof(*ip));

	return ip ? IPT_ETH_LEN + (ip->ihl & 0xf) * 4 : 0;
}

/* Rewrites one address (src or dst) and fixes the IP and L4 checksums. */
static __always_inline int ipt_set_addr(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, __u32 to)
{
	__u32 from = is_src ? p->src.w[0] : p->dst.w[0]; /* IPv4 only: the IPv6 instance has no NAT */
	__u32 l4off = ipt_l4off(skb);
	int csum_off = ipt_l4_csum_off(p->proto, l4off);

	if (from == to || !l4off)
		return 0;
	if (csum_off >= 0)
		bpf_l4_csum_replace(skb, csum_off, from, to,
				    IPT_BPF_F_PSEUDO_HDR | sizeof(to) | (p->proto == IPT_IPPROTO_UDP ? IPT_BPF_F_MARK_MANGLED_0 : 0));
	bpf_l3_csum_replace(skb, IPT_IP_CSUM_OFF, from, to, sizeof(to));
	if (bpf_skb_store_bytes(skb, is_src ? IPT_IP_SRC_OFF : IPT_IP_DST_OFF, &to, sizeof(to), 0))
		return -1;
	if (is_src)
		p->src.w[0] = to;
	else
		p->dst.w[0] = to;
	return 0;
}

static __always_inline int ipt_set_port(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, __u16 to_host)
{
	__u16 from_host = is_src ? p->sport : p->dport;
	__be16 from = bpf_htons(from_host), to = bpf_htons(to_host);
	__u32 l4off = ipt_l4off(skb);
	int csum_off = ipt_l4_csum_off(p->proto, l4off);

	if (from_host == to_host || csum_off < 0 || !l4off)
		return 0;
	bpf_l4_csum_replace(skb, csum_off, from, to, sizeof(to) | (p->proto == IPT_IPPROTO_UDP ? IPT_BPF_F_MARK_MANGLED_0 : 0));
	if (bpf_skb_store_bytes(skb, l4off + (is_src ? 0 : 2), &to, sizeof(to), 0))
		return -1;
	if (is_src)
		p->sport = to_host;
	else
		p->dport = to_host;
	return 0;
}

static __always_inline int ipt_apply(struct __sk_buff *skb, struct ipt_pkt *p, const struct ipt_rewrite *rw)
{
	if (rw->src && ipt_set_addr(skb, p, 1, rw->src))
		return -1;
	if (rw->dst && ipt_set_addr(skb, p, 0, rw->dst))
		return -1;
	if (rw->sport && ipt_set_port(skb, p, 1, rw->sport))
		return -1;
	if (rw->dport && ipt_set_port(skb, p, 0, rw->dport))
		return -1;
	return 0;
}

#endif

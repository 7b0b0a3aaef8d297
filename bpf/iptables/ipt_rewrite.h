/* Address and port rewrites with incremental checksum updates (IPv4 header, TCP/UDP and ICMPv6
 * pseudo-header, ports). SCTP's CRC32c cannot be updated incrementally: its ports are not
 * rewritten (the compiler refuses NAT ports for SCTP... the daemon documents it). */
#ifndef NETACCEL_IPT_REWRITE_H
#define NETACCEL_IPT_REWRITE_H

#include "iptables/ipt_parse.h"
#include "netaccel_csum.h"

#define IPT_ETH_LEN 14
#define IPT_IP_CSUM_OFF (IPT_ETH_LEN + 10)
#define IPT_IP_SRC_OFF (IPT_ETH_LEN + 12)
#define IPT_IP_DST_OFF (IPT_ETH_LEN + 16)
#define IPT_IP6_SRC_OFF (IPT_ETH_LEN + 8)
#define IPT_IP6_DST_OFF (IPT_ETH_LEN + 24)
#define IPT_BPF_F_PSEUDO_HDR (1ULL << 4)
#define IPT_BPF_F_MARK_MANGLED_0 (1ULL << 5)

/* Where the checksum that covers addresses sits: TCP's and UDP's pseudo-header (the shared
 * offsets), and ICMPv6's (ICMPv4 has none over addresses). -1: nothing to fix. */
static __always_inline int ipt_pseudo_csum_off(__u8 proto, __u32 l4off)
{
	int off = na_l4_csum_off(proto);

	if (off >= 0)
		return l4off + off;
	if (proto == NA_IPPROTO_ICMPV6 && ipt_family == IPT_FAMILY_V6)
		return l4off + 2;
	return -1;
}

static __always_inline int ipt_addr_set(const struct ipt_addr *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) != 0;
}

static __always_inline int ipt_addr_eq(const struct ipt_addr *a, const struct ipt_addr *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}

static __always_inline __u64 ipt_mangled0(__u8 proto)
{
	return proto == NA_IPPROTO_UDP ? IPT_BPF_F_MARK_MANGLED_0 : 0;
}

/* Rewrites one IPv4 address and fixes the IP and L4 checksums. */
static __always_inline int ipt_set_addr4(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, __u32 to)
{
	__u32 from = is_src ? p->src.w[0] : p->dst.w[0];
	int csum_off = ipt_pseudo_csum_off(p->proto, p->l4off);

	if (from == to)
		return 0;
	if (csum_off >= 0 && p->l4off)
		bpf_l4_csum_replace(skb, csum_off, from, to, IPT_BPF_F_PSEUDO_HDR | sizeof(to) | ipt_mangled0(p->proto));
	bpf_l3_csum_replace(skb, IPT_IP_CSUM_OFF, from, to, sizeof(to));
	if (bpf_skb_store_bytes(skb, is_src ? IPT_IP_SRC_OFF : IPT_IP_DST_OFF, &to, sizeof(to), 0))
		return -1;
	if (is_src)
		p->src.w[0] = to;
	else
		p->dst.w[0] = to;
	return 0;
}

/* Rewrites one IPv6 address (no IP checksum; the L4 one covers it through the pseudo-header). */
static __always_inline int ipt_set_addr6(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, const struct ipt_addr *to)
{
	struct ipt_addr *from = is_src ? &p->src : &p->dst;
	int csum_off = ipt_pseudo_csum_off(p->proto, p->l4off);
	__s64 diff;

	if (ipt_addr_eq(from, to))
		return 0;
	if (csum_off >= 0 && p->l4off) {
		diff = bpf_csum_diff(from->w, sizeof(*from), (__be32 *)to->w, sizeof(*to), 0);
		if (diff < 0 || bpf_l4_csum_replace(skb, csum_off, 0, (__u32)diff, IPT_BPF_F_PSEUDO_HDR | ipt_mangled0(p->proto)))
			return -1;
	}
	if (bpf_skb_store_bytes(skb, is_src ? IPT_IP6_SRC_OFF : IPT_IP6_DST_OFF, to, sizeof(*to), 0))
		return -1;
	*from = *to;
	return 0;
}

static __always_inline int ipt_set_addr(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, const struct ipt_addr *to)
{
	if (ipt_family == IPT_FAMILY_V6)
		return ipt_set_addr6(skb, p, is_src, to);
	return ipt_set_addr4(skb, p, is_src, to->w[0]);
}

static __always_inline int ipt_set_port(struct __sk_buff *skb, struct ipt_pkt *p, int is_src, __u16 to_host)
{
	__u16 from_host = is_src ? p->sport : p->dport;
	__be16 from = bpf_htons(from_host), to = bpf_htons(to_host);
	__u32 l4off = p->l4off;
	int csum_off = ipt_pseudo_csum_off(p->proto, l4off);

	if (from_host == to_host || csum_off < 0 || !l4off || p->proto == NA_IPPROTO_ICMPV6)
		return 0;
	bpf_l4_csum_replace(skb, csum_off, from, to, sizeof(to) | ipt_mangled0(p->proto));
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
	if (ipt_addr_set(&rw->src) && ipt_set_addr(skb, p, 1, &rw->src))
		return -1;
	if (ipt_addr_set(&rw->dst) && ipt_set_addr(skb, p, 0, &rw->dst))
		return -1;
	if (rw->sport && ipt_set_port(skb, p, 1, rw->sport))
		return -1;
	if (rw->dport && ipt_set_port(skb, p, 0, rw->dport))
		return -1;
	return 0;
}

#endif

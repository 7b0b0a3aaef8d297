/* ICMP errors about tracked connections (ctstate RELATED) and their NAT. An error travels
 * toward the sender of the packet it quotes, so the quoted tuple, reversed, is one of the
 * connection's keys. As Linux does (nf_nat_icmp_reply_translation), an error about a NAT'ed
 * connection gets its quote translated back to what the sender sent, and its outer addresses
 * translated as the connection's replies are; otherwise the sender's socket never sees it. */
#ifndef NETACCEL_IPT_ICMP_ERROR_H
#define NETACCEL_IPT_ICMP_ERROR_H

#include "iptables/ipt_ct_key.h"
#include "iptables/ipt_ct_maps.h"
#include "iptables/ipt_rewrite.h"

/* The quoted IPv4 header (without options) or IPv6 header, and the 8 bytes after it (NAT
 * translation; held in ipt_scratch.quote). */
#define IPT_QUOTE_LEN 28
#define IPT_QUOTE6_LEN 48
#define IPT_QUOTE_MAX_OFF 0x3ff

static __always_inline int ipt_is_icmp_error(const struct ipt_pkt *p)
{
	if (ipt_family == IPT_FAMILY_V6) /* destination unreachable, packet too big, time exceeded, parameter problem */
		return p->proto == NA_IPPROTO_ICMPV6 && p->icmp_type >= 1 && p->icmp_type <= 4;
	return p->proto == NA_IPPROTO_ICMP && (p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
						p->icmp_type == 11 || p->icmp_type == 12);
}

/* The quoted packet's tuple (its IP header at off). 0 when it is there. Quoted IPv6 extension
 * headers are not walked: such an error is not recognised as RELATED. */
static __always_inline int ipt_quoted_key(void *data, void *data_end, __u32 off, struct ipt_ct_key *k)
{
	/* Offsets stay below 2 KiB: bounded so the verifier can follow the header checks. */
	if (off > IPT_QUOTE_MAX_OFF)
		return -1;
	if (ipt_family == IPT_FAMILY_V6) {
		struct ipv6hdr *inner6 = na_hdr(data, data_end, off & IPT_QUOTE_MAX_OFF, sizeof(*inner6));

		if (!inner6)
			return -1;
		__builtin_memcpy(&k->src, &inner6->saddr, sizeof(k->src));
		__builtin_memcpy(&k->dst, &inner6->daddr, sizeof(k->dst));
		k->proto = inner6->nexthdr;
		off += sizeof(*inner6);
	} else {
		struct iphdr *inner = na_hdr(data, data_end, off & IPT_QUOTE_MAX_OFF, sizeof(*inner));

		if (!inner)
			return -1;
		k->src.w[0] = inner->saddr;
		k->dst.w[0] = inner->daddr;
		k->proto = inner->protocol;
		off += (inner->ihl & 0xf) * 4;
	}
	off &= 2 * IPT_QUOTE_MAX_OFF + 1;
	if (k->proto == NA_IPPROTO_TCP || k->proto == NA_IPPROTO_UDP || k->proto == NA_IPPROTO_SCTP) {
		__be16 *ports = na_hdr(data, data_end, off, 4);

		if (!ports)
			return -1;
		k->sport = bpf_ntohs(ports[0]);
		k->dport = bpf_ntohs(ports[1]);
	} else if (k->proto == ipt_icmp_proto()) {
		__u8 *icmp = na_hdr(data, data_end, off, 6);

		if (!icmp)
			return -1;
		k->sport = ((__u16)icmp[4] << 8) | icmp[5];
	}
	return 0;
}

/* The connection entry an ICMP error is about, or NULL; *quote_off: where its quote starts. */
static __always_inline struct ipt_ct_entry *ipt_icmp_related(struct __sk_buff *skb, struct ipt_scratch *s,
							      __u32 *quote_off)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	const struct ipt_pkt *p = &s->pkt;
	struct ipt_ct_key *k = &s->key[0], *rev = &s->key[1];

	if (!ipt_is_icmp_error(p) || !p->l4off)
		return NULL;
	*quote_off = p->l4off + 8;
	__builtin_memset(k, 0, sizeof(*k));
	if (ipt_quoted_key(data, data_end, *quote_off, k))
		return NULL;
	*rev = ipt_ct_reverse(k);
	if (k->proto == ipt_icmp_proto())
		rev->sport = k->sport;
	return bpf_map_lookup_elem(&ipt_ct, rev);
}

/* Rewrites the quote of an error about a reply of a NAT'ed connection; returns 1 when changed.
 * The quote is an original-direction packet as it left this host: un-SNAT its source, un-DNAT
 * its destination, and fix what sums over them (IPv4: the quoted header's checksum; both: a
 * quoted UDP checksum; TCP's lies beyond the 8 quoted bytes). Word/half-word offsets of the
 * quoted source address, destination address, ports and UDP checksum differ by family. */
static __always_inline int ipt_quote_translate(__u32 *q, const __u32 *orig, const struct ipt_rewrite *unsnat,
					       const struct ipt_rewrite *undnat)
{
	__u8 *b = (__u8 *)q;
	__u16 *h = (__u16 *)q;
	const int v6 = ipt_family == IPT_FAMILY_V6;
	const __u32 src_w = v6 ? 2 : 3, dst_w = v6 ? 6 : 4, addr_words = v6 ? 4 : 1, ports_h = v6 ? 20 : 10;
	const __u8 proto = v6 ? b[6] : b[9];
	__u64 sum = 0;
	__s64 diff;

	if (!v6 && (b[0] & 0xf) != 5)
		return 0; /* quoted IP options: left as they are */
	for (__u32 i = 0; i < 4; i++) {
		if (i >= addr_words)
			break;
		if (ipt_addr_set(&unsnat->dst))
			q[(src_w + i) & 15] = unsnat->dst.w[i];
		if (ipt_addr_set(&undnat->src))
			q[(dst_w + i) & 15] = undnat->src.w[i];
	}
	if (proto == NA_IPPROTO_TCP || proto == NA_IPPROTO_UDP) {
		if (unsnat->dport)
			h[ports_h & 31] = bpf_htons(unsnat->dport);
		if (undnat->sport)
			h[(ports_h + 1) & 31] = bpf_htons(undnat->sport);
		if (proto == NA_IPPROTO_UDP && h[(ports_h + 3) & 31]) {
			__u32 n = (addr_words * 2 + 1) * 4; /* addresses and ports, contiguous from src_w */

			diff = bpf_csum_diff((__be32 *)&orig[src_w & 7], n, (__be32 *)&q[src_w & 7], n, (__u16)~h[(ports_h + 3) & 31]);
			if (diff < 0)
				return 0;
			h[(ports_h + 3) & 31] = na_csum_finish(diff) ? na_csum_finish(diff) : 0xffff;
		}
	}
	if (!v6) {
		h[5] = 0; /* the quoted IP header's checksum, anew */
		for (int i = 0; i < 10; i++)
			sum += h[i];
		h[5] = na_csum_finish((__s64)sum);
	}
	return 1;
}

/* Translates an error about a reply of a NAT'ed connection (entry e, quote at quote_off): the
 * quote back to what the sender sent, and the outer header to the original source, from the
 * original destination. */
static __always_inline int ipt_icmp_error_nat(struct __sk_buff *skb, struct ipt_scratch *s, const struct ipt_ct_entry *e,
					      __u32 quote_off)
{
	struct ipt_pkt *p = &s->pkt;
	const struct ipt_rewrite *unsnat = &e->ingress;
	const struct ipt_rewrite *undnat = (ipt_addr_set(&e->egress.src) || e->egress.sport) ? &e->egress : &e->ingress_late;
	const __u32 len = ipt_family == IPT_FAMILY_V6 ? IPT_QUOTE6_LEN : IPT_QUOTE_LEN;
	__u32 *orig = s->quote[0], *q = s->quote[1];
	__s64 diff;

	if (e->dir != IPT_DIR_REPLY || !p->l4off)
		return 0; /* errors about original-direction packets keep their quote */
	if (!ipt_addr_set(&unsnat->dst) && !unsnat->dport && !ipt_addr_set(&undnat->src) && !undnat->sport)
		return 0;
	if (bpf_skb_load_bytes(skb, quote_off & 0xffff, orig, len))
		return 0; /* a quote shorter than header + 8 bytes: left as it is */
	__builtin_memcpy(q, orig, sizeof(s->quote[1]));
	if (!ipt_quote_translate(q, orig, unsnat, undnat))
		return 0;
	diff = bpf_csum_diff((__be32 *)orig, len, (__be32 *)q, len, 0);
	if (diff < 0 || bpf_l4_csum_replace(skb, p->l4off + 2, 0, (__u32)diff, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, quote_off & 0xffff, q, len, 0))
		return -1;
	if (ipt_addr_set(&unsnat->dst) && ipt_set_addr(skb, p, 0, &unsnat->dst))
		return -1;
	if (ipt_addr_set(&undnat->src) && ipt_set_addr(skb, p, 1, &undnat->src))
		return -1;
	return 0;
}

#endif

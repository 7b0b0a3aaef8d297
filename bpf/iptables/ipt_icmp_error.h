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

/* The quoted IPv4 header (without options) and the 8 bytes after it (NAT translation). */
#define IPT_QUOTE_LEN 28
#define IPT_QUOTE_MAX_OFF 0x3ff
struct ipt_icmp_quote {
	__u32 w[IPT_QUOTE_LEN / 4];
};

static __always_inline int ipt_is_icmp_error(const struct ipt_pkt *p)
{
	if (ipt_family == IPT_FAMILY_V6) /* destination unreachable, packet too big, time exceeded, parameter problem */
		return p->proto == IPT_IPPROTO_ICMPV6 && p->icmp_type >= 1 && p->icmp_type <= 4;
	return p->proto == IPT_IPPROTO_ICMP && (p->icmp_type == 3 || p->icmp_type == 4 || p->icmp_type == 5 ||
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
	if (k->proto == IPT_IPPROTO_TCP || k->proto == IPT_IPPROTO_UDP || k->proto == IPT_IPPROTO_SCTP) {
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

/* Translates an error about a reply of a NAT'ed connection (entry e, quote at quote_off). The
 * quote is an original-direction packet as it left this host: un-SNAT its source, un-DNAT its
 * destination; the outer header goes to the original source, from the original destination. */
static __always_inline int ipt_icmp_error_nat(struct __sk_buff *skb, struct ipt_pkt *p, const struct ipt_ct_entry *e,
					      __u32 quote_off)
{
	const struct ipt_rewrite *unsnat = &e->ingress;
	const struct ipt_rewrite *undnat = (e->egress.src || e->egress.sport) ? &e->egress : &e->ingress_late;
	struct ipt_icmp_quote q, orig;
	__u8 *b = (__u8 *)q.w;
	__u16 *h = (__u16 *)q.w;
	__u32 l4off = ipt_l4off(skb);
	__u64 sum = 0;
	__s64 diff;

	if (ipt_family == IPT_FAMILY_V6)
		return 0; /* the IPv6 instance has no NAT (its compiler refuses the nat table) */
	if (e->dir != IPT_DIR_REPLY || !l4off)
		return 0; /* errors about original-direction packets keep their quote */
	if (!unsnat->dst && !unsnat->dport && !undnat->src && !undnat->sport)
		return 0;
	if (bpf_skb_load_bytes(skb, quote_off & 0xffff, q.w, IPT_QUOTE_LEN))
		return 0; /* a quote shorter than header + 8 bytes: left as it is */
	if ((b[0] & 0xf) != 5)
		return 0; /* quoted IP options: left as they are */
	orig = q;
	if (unsnat->dst)
		q.w[3] = unsnat->dst;
	if (undnat->src)
		q.w[4] = undnat->src;
	if (b[9] == IPT_IPPROTO_TCP || b[9] == IPT_IPPROTO_UDP) {
		if (unsnat->dport)
			h[10] = bpf_htons(unsnat->dport);
		if (undnat->sport)
			h[11] = bpf_htons(undnat->sport);
		/* The quoted UDP checksum (pseudo-header addresses and ports changed); TCP's lies
		 * beyond the 8 quoted bytes. */
		if (b[9] == IPT_IPPROTO_UDP && h[13]) {
			diff = bpf_csum_diff(&orig.w[3], 12, &q.w[3], 12, (__u16)~h[13]);
			if (diff < 0)
				return 0;
			h[13] = ipt_fold(diff);
			if (!h[13])
				h[13] = 0xffff;
		}
	}
	h[5] = 0; /* the quoted IP header's checksum, anew */
	for (int i = 0; i < 10; i++)
		sum += h[i];
	h[5] = ipt_fold((__s64)sum);
	diff = bpf_csum_diff(orig.w, IPT_QUOTE_LEN, q.w, IPT_QUOTE_LEN, 0);
	if (diff < 0 || bpf_l4_csum_replace(skb, l4off + 2, 0, (__u32)diff, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, quote_off & 0xffff, q.w, IPT_QUOTE_LEN, 0))
		return -1;
	if (unsnat->dst && ipt_set_addr(skb, p, 0, unsnat->dst))
		return -1;
	if (undnat->src && ipt_set_addr(skb, p, 1, undnat->src))
		return -1;
	return 0;
}

#endif

/* L4 checksum completion for XDP. Frames a pod sends with tx checksum offload (the default on
 * veth) carry only the pseudo-header sum in the TCP/UDP checksum field (CHECKSUM_PARTIAL). The
 * skb would tell the receiver so; an XDP-redirected frame loses that state and would be
 * dropped. So every TCP/UDP frame we redirect from XDP gets its checksum computed in full. */
#ifndef NETACCEL_CSUM_H
#define NETACCEL_CSUM_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "netaccel_parse.h"
#include "netaccel_consts.h"

#define NA_CSUM_CHUNK 64
#define NA_CSUM_MAX_CHUNKS 24 /* 1536 bytes: XDP frames here are single-buffer, MTU-sized */

static __always_inline __u16 na_csum_fold(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* One's-complement sum of [l4, l4 + len) on top of seed; returns the unfolded sum or -1 when
 * the range is not inside the frame. */
static __always_inline __s64 na_csum_range(void *l4, void *data_end, __u32 len, __u64 seed)
{
	__u64 sum = seed;
	__u32 done = 0;
	__u8 tail[4] = {};
	int i;

	for (i = 0; i < NA_CSUM_MAX_CHUNKS; i++) {
		void *p = l4 + (done & 0x7ff);
		if (done + NA_CSUM_CHUNK > len || p + NA_CSUM_CHUNK > data_end)
			break;
		sum = bpf_csum_diff(NULL, 0, p, NA_CSUM_CHUNK, sum);
		done += NA_CSUM_CHUNK;
	}
	for (i = 0; i < NA_CSUM_CHUNK / 4; i++) {
		void *p = l4 + (done & 0x7ff);
		if (done + 4 > len || p + 4 > data_end)
			break;
		sum = bpf_csum_diff(NULL, 0, p, 4, sum);
		done += 4;
	}
	for (i = 0; i < 3; i++) {
		__u8 *p = l4 + ((done + i) & 0x7ff);
		if (done + i >= len)
			break;
		if ((void *)(p + 1) > data_end)
			return -1;
		tail[i] = *p;
	}
	if (done < len)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)tail, 4, sum);
	if (done + 3 < len)
		return -1; /* longer than we sum: caller leaves the frame alone */
	return sum;
}

/* A one's-complement sum folded and complemented: the value a checksum field holds. */
static __always_inline __u16 na_csum_finish(__s64 sum)
{
	return (__u16)~na_csum_fold((__u64)sum);
}

/* Returns the checksum field's offset inside the L4 header, or -1 if not TCP/UDP. */
static __always_inline int na_l4_csum_off(__u8 proto)
{
	if (proto == NA_IPPROTO_TCP)
		return 16;
	if (proto == NA_IPPROTO_UDP)
		return 6;
	return -1;
}

/* Returns 0 when the checksum is complete (or the packet is not TCP/UDP), -1 if it cannot be. */
static __always_inline int na_complete_l4_csum_v4(void *data, void *data_end)
{
	struct iphdr *ip = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip));
	struct { __be32 saddr, daddr; __u8 zero, proto; __be16 len; } ph;
	int off;
	__u32 len;
	__u16 *check;
	void *l4;
	__s64 sum;

	if (!ip)
		return -1;
	off = na_l4_csum_off(ip->protocol);
	if (off < 0)
		return 0;
	len = bpf_ntohs(ip->tot_len);
	if (len < sizeof(*ip) + off + 2)
		return -1;
	len -= sizeof(*ip);
	l4 = (void *)(ip + 1);
	check = na_hdr(l4, data_end, off, 2);
	if (!check)
		return -1;
	if (ip->protocol == NA_IPPROTO_UDP && *check == 0)
		return 0; /* IPv4 UDP without checksum stays so */
	ph.saddr = ip->saddr;
	ph.daddr = ip->daddr;
	ph.zero = 0;
	ph.proto = ip->protocol;
	ph.len = bpf_htons(len);
	*check = 0;
	sum = na_csum_range(l4, data_end, len, bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0));
	if (sum < 0)
		return -1;
	*check = ~na_csum_fold(sum);
	if (ip->protocol == NA_IPPROTO_UDP && *check == 0)
		*check = 0xffff;
	return 0;
}

static __always_inline int na_complete_l4_csum_v6(void *data, void *data_end)
{
	struct ipv6hdr *ip6 = na_hdr(data, data_end, sizeof(struct ethhdr), sizeof(*ip6));
	struct { struct in6_addr saddr, daddr; __be32 len; __u8 zero[3], proto; } ph;
	int off;
	__u32 len;
	__u16 *check;
	void *l4;
	__s64 sum;

	if (!ip6)
		return -1;
	off = na_l4_csum_off(ip6->nexthdr);
	if (off < 0)
		return 0;
	len = bpf_ntohs(ip6->payload_len);
	if (len < off + 2)
		return -1;
	l4 = (void *)(ip6 + 1);
	check = na_hdr(l4, data_end, off, 2);
	if (!check)
		return -1;
	__builtin_memcpy(&ph.saddr, &ip6->saddr, 16);
	__builtin_memcpy(&ph.daddr, &ip6->daddr, 16);
	ph.len = bpf_htonl(len);
	ph.zero[0] = ph.zero[1] = ph.zero[2] = 0;
	ph.proto = ip6->nexthdr;
	*check = 0;
	sum = na_csum_range(l4, data_end, len, bpf_csum_diff(NULL, 0, (__be32 *)&ph, sizeof(ph), 0));
	if (sum < 0)
		return -1;
	*check = ~na_csum_fold(sum);
	if (*check == 0)
		*check = 0xffff;
	return 0;
}

#endif

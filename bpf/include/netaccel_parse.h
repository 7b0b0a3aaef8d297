/* Bounds-checked header access shared by XDP and TC programs. Every accessor returns NULL when
 * the header does not fit in [data, data_end), so callers cannot forget the check. */
#ifndef NETACCEL_PARSE_H
#define NETACCEL_PARSE_H

#include <bpf/bpf_endian.h>

#define NA_ETH_P_IP 0x0800
#define NA_ETH_P_IPV6 0x86DD
#define NA_IP_MF 0x2000
#define NA_IP_OFFSET 0x1FFF
#define NA_NEXTHDR_HOP 0
#define NA_NEXTHDR_FRAGMENT 44
#define NA_NEXTHDR_ICMP 58

static __always_inline void *na_hdr(void *data, void *data_end, __u32 off, __u32 len)
{
	void *p = data + off;
	if (p + len > data_end)
		return NULL;
	return p;
}

static __always_inline int na_mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

static __always_inline int na_mac_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

static __always_inline void na_mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, 6);
}

/* RFC 1624 incremental update for a TTL decrement, as the kernel's ip_decrease_ttl does. */
static __always_inline void na_ipv4_decrease_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xFFFF));
	ip->ttl--;
}

#endif

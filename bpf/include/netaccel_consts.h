/* Constants every BPF family shares: uapi #defines that vmlinux.h cannot carry (it holds only
 * types and enums). Defined here once; families and their ABI headers include this. */
#ifndef NETACCEL_CONSTS_H
#define NETACCEL_CONSTS_H

/* TC verdicts (linux/pkt_cls.h). */
#define NA_TC_ACT_UNSPEC (-1)
#define NA_TC_ACT_OK 0
#define NA_TC_ACT_SHOT 2

/* Address families (linux/socket.h). */
#define NA_AF_INET 2
#define NA_AF_INET6 10

/* IP protocol numbers (linux/in.h, linux/in6.h). */
#define NA_IPPROTO_ICMP 1
#define NA_IPPROTO_TCP 6
#define NA_IPPROTO_UDP 17
#define NA_IPPROTO_ICMPV6 58
#define NA_IPPROTO_SCTP 132

/* The TC guard map (netaccel_guard.h): its size, and who set an entry. */
#define NA_GUARD_MAX_ENTRIES 16384
#define NA_GUARD_POLICY 1u
#define NA_SHARED_MAP_PREFIX "na_"

#endif

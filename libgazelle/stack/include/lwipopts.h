/* libgazelle's lwIP configuration: the raw API polled run-to-completion inside the
 * application's own calls (NO_SYS), large windows with scaling for bulk transfer, and room
 * for thousands of connections. */
#ifndef GAZELLE_LWIPOPTS_H
#define GAZELLE_LWIPOPTS_H

/* No OS layer: one stack per application thread, polled from its epoll_wait/read calls. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1

/* Memory: heap for TX segments, pools for RX pbufs and PCBs. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (32 * 1024 * 1024)
#define PBUF_POOL_SIZE 16384
#define PBUF_POOL_BUFSIZE 1600
#define MEMP_NUM_PBUF 8192
#define MEMP_NUM_TCP_PCB 4096        /* >= 1,000 concurrent connections with headroom */
#define MEMP_NUM_TCP_PCB_LISTEN 64
#define MEMP_NUM_TCP_SEG 16384
#define MEMP_NUM_UDP_PCB 64

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_RAW 0
#define LWIP_DHCP 0

/* TCP: MSS for a 1500-byte MTU; 1 MiB windows need window scaling. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 5
#define TCP_WND (1024 * 1024)
#define TCP_SND_BUF (1024 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT (32 * 1024) /* lwIP checks it fits in 16 bits; its default, derived from TCP_SND_BUF, would not */
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0

/* Checksums in software: a veth peer or AF_XDP gives no offload we can rely on. */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_UDP 1

#define LWIP_NETIF_TX_SINGLE_PBUF 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1 /* rx_csum_check = 0 trusts the link */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1 /* the C library has htons() and friends */
#define LWIP_STATS 1 /* per-process counters for gazellectl */
#define LWIP_STATS_DISPLAY 0
#define MIB2_STATS 1 /* tcpretranssegs: retransmissions for gazellectl */

/* Neighbours: a pod talks to a handful of MACs; packets wait (queued) while ARP resolves. */
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1
#define MEMP_NUM_ARP_QUEUE 4096 /* a burst of SYN-ACKs to a peer not yet resolved */
#define ETHARP_SUPPORT_STATIC_ENTRIES 0

/* A restarted server binds its port again while old connections sit in TIME_WAIT. */
#define SO_REUSE 1
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1

#endif

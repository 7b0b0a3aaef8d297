#!/usr/bin/env python3
"""UDP listener for the differential test: answers every datagram with "<peer>-<local>" as it
saw them (one process, no fork per datagram, so no datagram is lost to a busy listener).
usage: udp_echo.py PORT [4|6]"""
import socket, sys

v6 = len(sys.argv) > 2 and sys.argv[2] == "6"
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.bind(("::", int(sys.argv[1])))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_IP, 8, 1)  # IP_PKTINFO: the local address each datagram came to
    s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, anc, _, peer = s.recvmsg(2048, 64)
    local, pktinfo = "", []
    for level, kind, value in anc:
        if not v6 and level == socket.SOL_IP and kind == 8:
            local = socket.inet_ntoa(value[8:12])  # struct in_pktinfo: ifindex, spec_dst, addr
        if v6 and level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            local = socket.inet_ntop(socket.AF_INET6, value[:16])  # struct in6_pktinfo: addr, ifindex
            pktinfo = [(level, kind, value)]  # answer from the address asked (two share a prefix)
    try:
        s.sendmsg([f"{peer[0]}-{local}\n".encode()], pktinfo, 0, peer)
    except OSError:
        # EPERM when filter OUTPUT drops the answer (the kernel's iptables; netaccel drops it
        # silently at TC egress): the listener must live on either way, or its closed port
        # would answer the next datagram with "refused" on one side only.
        pass

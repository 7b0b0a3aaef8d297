#!/usr/bin/env python3
"""UDP listener for the differential test: answers every datagram with "<peer>-<local>" as it
saw them (one process, no fork per datagram, so no datagram is lost to a busy listener).
usage: udp_echo.py PORT"""
import socket, sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, 8, 1)  # IP_PKTINFO: the local address each datagram came to
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, anc, _, peer = s.recvmsg(2048, 64)
    local = ""
    for level, kind, value in anc:
        if level == socket.SOL_IP and kind == 8:
            local = socket.inet_ntoa(value[8:12])  # struct in_pktinfo: ifindex, spec_dst, addr
    try:
        s.sendto(f"{peer[0]}-{local}\n".encode(), peer)
    except OSError:
        # EPERM when filter OUTPUT drops the answer (the kernel's iptables; netaccel drops it
        # silently at TC egress): the listener must live on either way, or its closed port
        # would answer the next datagram with "refused" on one side only.
        pass

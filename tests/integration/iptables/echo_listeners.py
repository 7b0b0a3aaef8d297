#!/usr/bin/env python3
"""Listeners for the iptables differential and service tests, all of one namespace in one
process (one interpreter start per namespace, not one per port: on a loaded machine each start
costs a third of a second). Every listener answers "<peer>-<local>" as it saw them, so DNAT and
SNAT show: a TCP connection gets the line and is closed, a UDP datagram gets it as the answer
(from the address it was sent to). Addresses are written as socat writes SOCAT_PEERADDR/
SOCAT_SOCKADDR (IPv6 TCP in brackets, every group four digits). No fork per connection: a busy
machine slows an answer no more than the kernel's own, so a late answer is not taken for a drop.
usage: echo_listeners.py [tcp:PORT | udp:PORT]...   (each over IPv4 and IPv6)"""
import ipaddress
import selectors
import socket
import sys

IP_PKTINFO = 8


def text(addr):
    if ":" in addr:
        return "[" + ipaddress.IPv6Address(addr).exploded + "]"
    return addr


def tcp_listener(family, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(256)
    s.setblocking(False)
    return s


def udp_listener(family, port):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        s.bind(("::", port))
    else:
        s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)  # the local address each datagram came to
        s.bind(("0.0.0.0", port))
    s.setblocking(False)
    return s


def answer_tcp(s):
    try:
        conn, peer = s.accept()
    except OSError:
        return
    try:
        conn.sendall(f"{text(peer[0])}-{text(conn.getsockname()[0])}\n".encode())
    except OSError:
        pass  # a filter dropped or reset it: the client sees that, the listener lives on
    conn.close()


def answer_udp(s):
    try:
        _, anc, _, peer = s.recvmsg(2048, 64)
    except OSError:
        return
    local, pktinfo = "", []
    for level, kind, value in anc:
        if level == socket.SOL_IP and kind == IP_PKTINFO:
            local = socket.inet_ntoa(value[8:12])  # struct in_pktinfo: ifindex, spec_dst, addr
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            local = socket.inet_ntop(socket.AF_INET6, value[:16])  # struct in6_pktinfo: addr, ifindex
            pktinfo = [(level, kind, value)]  # answer from the address asked (two share a prefix)
    try:
        s.sendmsg([f"{peer[0]}-{local}\n".encode()], pktinfo, 0, peer)
    except OSError:
        # EPERM when filter OUTPUT drops the answer (the kernel's iptables; netaccel drops it
        # silently at TC egress): the listener must live on either way, or its closed port
        # would answer the next datagram with "refused" on one side only.
        pass


sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    proto, port = spec.split(":")
    for family in (socket.AF_INET, socket.AF_INET6):
        if proto == "tcp":
            sel.register(tcp_listener(family, int(port)), selectors.EVENT_READ, answer_tcp)
        else:
            sel.register(udp_listener(family, int(port)), selectors.EVENT_READ, answer_udp)
while True:
    for key, _ in sel.select():
        key.data(key.fileobj)

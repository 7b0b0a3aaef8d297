#!/usr/bin/env python3
"""TCP listener for the iptables differential and service tests: on every port given, over
IPv4 and IPv6, answers each connection with "<peer>-<local>" as it saw them and closes (DNAT
and SNAT show). Addresses are written as socat writes SOCAT_PEERADDR/SOCAT_SOCKADDR (IPv6 in
brackets, every group four digits). One process and no fork per connection: a busy machine
slows it no more than the kernel's own answer, so a late answer is not mistaken for a drop.
usage: tcp_echo.py PORT..."""
import ipaddress
import selectors
import socket
import sys


def text(addr):
    if ":" in addr:
        return "[" + ipaddress.IPv6Address(addr).exploded + "]"
    return addr


sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    for family, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((any_addr, port))
        s.listen(256)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try:
            conn, peer = key.fileobj.accept()
        except OSError:
            continue
        try:
            local = conn.getsockname()
            conn.sendall(f"{text(peer[0])}-{text(local[0])}\n".encode())
        except OSError:
            pass  # a filter dropped or reset it: the client sees that, the listener lives on
        conn.close()

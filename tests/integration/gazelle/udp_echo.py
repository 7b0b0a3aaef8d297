#!/usr/bin/env python3
"""UDP echo server for libgazelle tests: binds ADDR:PORT and echoes every datagram."""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(65536)
    s.sendto(data, peer)

#!/usr/bin/env python3
"""One side of a UDP conversation on fixed ports (conntrack timeout tests).
usage: udp_conversation.py listen BIND_IP PORT PEER_IP PEER_PORT SECONDS
         sends "open" to the peer, then prints each datagram received within SECONDS
       udp_conversation.py serve BIND_IP PORT SECONDS TEXT LATER_TEXT
         prints "ready" once bound; answers the first datagram with TEXT at once (so the answer
         follows the opening datagram however slow the machine is), then, after SECONDS of
         silence, sends LATER_TEXT to the same peer
       udp_conversation.py send BIND_IP PORT PEER_IP PEER_PORT TEXT"""
import socket
import sys
import time

mode, bind_ip, port = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind_ip, int(port)))
if mode == "serve":
    seconds, text, later = sys.argv[4:7]
    print("ready", flush=True)
    _, peer = s.recvfrom(2048)
    s.sendto(text.encode(), peer)
    time.sleep(float(seconds))
    s.sendto(later.encode(), peer)
    sys.exit(0)
peer_ip, peer_port, arg = sys.argv[4:7]
if mode == "send":
    s.sendto(arg.encode(), (peer_ip, int(peer_port)))
    sys.exit(0)
s.sendto(b"open", (peer_ip, int(peer_port)))
end = time.monotonic() + float(arg)
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        break
    except ConnectionRefusedError:  # the ICMP error about "open": nobody listens there
        continue
    print(data.decode(), flush=True)

#!/usr/bin/python3
# A pod's servers for the policy tests: "ok\n" to every TCP connection (then close) and to every
# UDP datagram, on each port given; on each echo=PORT, a TCP server that echoes what it reads
# for as long as the connection lives (a long-lived flow). One process, no fork: a probe's
# answer is never queued behind another's.
#   policy_responder.py PORT... [echo=PORT...]
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
for arg in sys.argv[1:]:
    if arg.startswith("echo="):
        e = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        e.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        e.bind(("", int(arg[5:])))
        e.listen(16)
        e.setblocking(False)
        sel.register(e, selectors.EVENT_READ, "echo")
        continue
    port = int(arg)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("", port))
    t.listen(128)
    t.setblocking(False)
    sel.register(t, selectors.EVENT_READ, "tcp")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("", port))
    u.setblocking(False)
    sel.register(u, selectors.EVENT_READ, "udp")
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        try:
            if key.data == "echo":
                c, _ = s.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, "echo-conn")
            elif key.data == "echo-conn":
                data = s.recv(4096)
                if data:
                    s.sendall(data)
                else:
                    sel.unregister(s)
                    s.close()
            elif key.data == "tcp":
                c, _ = s.accept()
                c.sendall(b"ok\n")
                c.close()
            else:
                _, peer = s.recvfrom(64)
                s.sendto(b"ok\n", peer)
        except OSError:
            pass

#!/usr/bin/env python3
"""POSIX semantics of libgazelle's shim, run under LD_PRELOAD in the pod against kernel echo
servers in the peer namespace (TCP on PORT, UDP on PORT+1, nothing on PORT+2).
Prints "OK <check>" per check; exits non-zero at the first failure.
usage: posix_check.py SERVER_IP PORT USER_IP"""
import errno, fcntl, os, select, socket, struct, sys, termios, time

server, port, user_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
checks = 0


def ok(name):
    global checks
    checks += 1
    print("OK", name, flush=True)


def fail(msg):
    print("FAIL", msg, flush=True)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        b = s.recv(min(65536, n - len(out)))
        if not b:
            break
        out += b
    return bytes(out)


# Blocking connect, 1 MiB echoed byte for byte; addresses on the user stack.
s = socket.create_connection((server, port), timeout=10)
s.settimeout(None)
expect(s.getsockname()[0] == user_ip, f"getsockname {s.getsockname()} is not the user stack's address")
expect(s.getpeername() == (server, port), f"getpeername {s.getpeername()}")
data = os.urandom(1 << 20)
# Lockstep, 64 KiB at a time: the check is about byte-exactness of blocking send/recv, not
# about how much an echo path can buffer before the sender reads.
for off in range(0, len(data), 1 << 16):
    chunk = data[off:off + (1 << 16)]
    s.sendall(chunk)
    expect(recv_exact(s, len(chunk)) == chunk, f"echo of bytes {off}..{off + len(chunk)} differs")
ok("blocking connect/send/recv, getsockname/getpeername")

# FIONREAD counts what waits; MSG_PEEK leaves it there.
s.sendall(b"x" * 1000)
deadline = time.time() + 5
n = 0
while time.time() < deadline:
    n = struct.unpack("i", fcntl.ioctl(s, termios.FIONREAD, b"\0\0\0\0"))[0]
    if n >= 1000:
        break
    time.sleep(0.01)
expect(n == 1000, f"FIONREAD {n}")
expect(s.recv(10, socket.MSG_PEEK) == b"x" * 10, "MSG_PEEK")
expect(recv_exact(s, 1000) == b"x" * 1000, "data after peek")
ok("ioctl FIONREAD, MSG_PEEK")

# dup: both fds name one connection; it stays open until the last close.
d = s.dup()
s.close()
d.sendall(b"after dup")
expect(recv_exact(d, 9) == b"after dup", "echo through dup")
fd2 = os.dup(d.fileno())
os.close(fd2)
d.sendall(b"still")
expect(recv_exact(d, 5) == b"still", "echo after closing a dup")
ok("dup, close of one of two fds")

# Half-close: shutdown(SHUT_WR) sends FIN, the echo server answers and closes (FIN back).
d.sendall(b"last words")
d.shutdown(socket.SHUT_WR)
expect(recv_exact(d, 100) == b"last words", "echo after SHUT_WR")
expect(d.recv(10) == b"", "EOF after the server's FIN")
d.close()
ok("shutdown(SHUT_WR), FIN both ways")

# Non-blocking connect with select(), then poll() and epoll (edge-triggered) for data.
n = socket.socket()
n.setblocking(False)
rc = n.connect_ex((server, port))
expect(rc in (errno.EINPROGRESS, 0), f"non-blocking connect: {rc}")
_, w, _ = select.select([], [n], [], 5)
expect(w == [n], "select: connected socket not writable")
expect(n.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0, "SO_ERROR after connect")
try:
    n.recv(10)
    fail("recv on an empty non-blocking socket returned")
except BlockingIOError:
    pass
n.send(b"ping")
p = select.poll()
p.register(n, select.POLLIN)
expect(p.poll(5000) == [(n.fileno(), select.POLLIN)], "poll: no POLLIN")
expect(n.recv(10) == b"ping", "poll data")
ep = select.epoll()
ep.register(n, select.EPOLLIN | select.EPOLLET)
n.send(b"pong")
ev = ep.poll(5)
expect(ev and ev[0][0] == n.fileno() and ev[0][1] & select.EPOLLIN, f"epoll: {ev}")
expect(ep.poll(0.2) == [], "edge-triggered epoll reported the same data twice")
expect(n.recv(10) == b"pong", "epoll data")
ok("non-blocking connect, select, poll, epoll edge-triggered")

# fcntl O_NONBLOCK round trip.
fl = fcntl.fcntl(n, fcntl.F_GETFL)
expect(fl & os.O_NONBLOCK, "F_GETFL lost O_NONBLOCK")
fcntl.fcntl(n, fcntl.F_SETFL, fl & ~os.O_NONBLOCK)
expect(not fcntl.fcntl(n, fcntl.F_GETFL) & os.O_NONBLOCK, "F_SETFL did not clear O_NONBLOCK")
n.settimeout(0.3)
t0 = time.time()
try:
    n.recv(10)
    fail("recv with a timeout returned data that was never sent")
except socket.timeout:
    pass
expect(time.time() - t0 < 3, "timeout took too long")
ep.close()
n.close()
ok("fcntl F_GETFL/F_SETFL, receive timeout")

# Refused: blocking and non-blocking (SO_ERROR).
r = socket.socket()
expect(r.connect_ex((server, port + 2)) == errno.ECONNREFUSED, "blocking connect to a closed port")
r.close()
r = socket.socket()
r.setblocking(False)
r.connect_ex((server, port + 2))
select.select([], [r], [], 5)
expect(r.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED, "SO_ERROR ECONNREFUSED")
r.close()
ok("connection refused (RST) blocking and non-blocking")

# UDP: sendto/recvfrom, then connect/send/recv.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.sendto(b"dgram one", (server, port + 1))
msg, frm = u.recvfrom(100)
expect(msg == b"dgram one" and frm == (server, port + 1), f"UDP recvfrom {msg} {frm}")
u.connect((server, port + 1))
expect(u.getsockname()[0] == user_ip, f"connected UDP local address {u.getsockname()}")
u.send(b"dgram two")
expect(u.recv(100) == b"dgram two", "connected UDP")
u.close()
ok("UDP sendto/recvfrom/connect")

# Kernel fds are untouched: a pipe, a unix socket pair and loopback TCP.
rp, wp = os.pipe()
os.write(wp, b"pipe")
expect(os.read(rp, 10) == b"pipe", "pipe")
a, b = socket.socketpair()
a.send(b"unix")
expect(b.recv(10) == b"unix", "unix socketpair")
lo = socket.socket()
lo.bind(("127.0.0.1", 0))
lo.listen()
c = socket.create_connection(lo.getsockname())
acc, _ = lo.accept()
c.send(b"loop")
expect(acc.recv(10) == b"loop", "loopback TCP")
expect(c.getsockname()[0] == "127.0.0.1", "loopback went elsewhere")
ok("pipe, unix socket, loopback stay on the kernel")

# fork: the child closes an inherited user-stack connection and exits; the parent's
# connection is unaffected.
f = socket.create_connection((server, port), timeout=10)
pid = os.fork()
if pid == 0:
    f.close()
    os._exit(0)
_, status = os.waitpid(pid, 0)
expect(status == 0, "child failed")
f.sendall(b"after fork")
expect(recv_exact(f, 10) == b"after fork", "connection after the child closed it")
f.close()
ok("fork: child closes inherited socket, parent keeps it")

print(f"ALL {checks} CHECKS PASSED", flush=True)

#!/usr/bin/env python3
"""Runs flows from this network namespace, all at once, and prints one line per flow:
"<label> <proto> <dst>[:<port>] <result>" in the order given. Result: the listener's answer
(echo_listeners.py: peer-local as it saw them), "refused", "unreachable", "error"
(EPERM and other errors), "timeout" (nothing within the bound), or "ok"/"fail" for icmp.
The bound is a limit, never the verdict's cause: a flow that times out is what the caller
retries with a longer bound (see test_iptables_differential.cpp) before calling it a drop.
usage: flowprobe.py [-t SECONDS] LABEL FLOW...  FLOW: tcp:ADDR:PORT | udp:ADDR:PORT | icmp:ADDR"""
import asyncio
import errno
import socket
import sys

RESULTS = {errno.ECONNREFUSED: "refused", errno.ENETUNREACH: "unreachable", errno.EHOSTUNREACH: "unreachable",
           errno.ETIMEDOUT: "timeout"}


def outcome(e):
    return RESULTS.get(e.errno, "error")


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


async def tcp(addr, port, bound):
    loop = asyncio.get_running_loop()
    s = socket.socket(family_of(addr), socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        # One bound for connect and answer: a SYN retransmitted after 1 s (a soft ICMP error
        # that reached connect() first is only decided by the second SYN's answer) fits in it.
        async def exchange():
            await loop.sock_connect(s, (addr, port))
            data = b""
            while not data.endswith(b"\n"):
                chunk = await loop.sock_recv(s, 256)
                if not chunk:
                    break
                data += chunk
            return data.decode(errors="replace").strip() or "timeout"
        return await asyncio.wait_for(exchange(), bound)
    except asyncio.TimeoutError:
        return "timeout"
    except OSError as e:
        return outcome(e)
    finally:
        s.close()


async def udp(addr, port, bound):
    loop = asyncio.get_running_loop()
    s = socket.socket(family_of(addr), socket.SOCK_DGRAM)
    s.setblocking(False)

    async def resend():  # a datagram lost to neighbour discovery is sent again
        while True:
            s.send(b"x\n")  # EPERM (the router's own OUTPUT drops it) ends the flow as an error
            await asyncio.sleep(0.5)

    sender = None
    try:
        s.connect((addr, port))
        sender = asyncio.ensure_future(resend())
        receiver = asyncio.ensure_future(loop.sock_recv(s, 2048))
        done, _ = await asyncio.wait({sender, receiver}, timeout=bound, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            receiver.cancel()
            return "timeout"
        if receiver in done:
            return receiver.result().decode(errors="replace").strip()
        receiver.cancel()
        sender.result()  # raises the send's error
        return "error"
    except OSError as e:
        return outcome(e)
    finally:
        if sender:
            sender.cancel()
        s.close()


async def icmp(addr, bound):
    p = await asyncio.create_subprocess_exec("ping", "-c1", "-W", str(max(1, round(bound))), addr,
                                             stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return "ok" if await p.wait() == 0 else "fail"


async def probe(flow, bound):
    proto, rest = flow.split(":", 1)
    if proto == "icmp":
        return f"icmp {rest}", await icmp(rest, bound)
    addr, port = rest.rsplit(":", 1)
    run = tcp if proto == "tcp" else udp
    return f"{proto} {rest}", await run(addr, int(port), bound)


async def main(argv):
    bound = 2.0
    if argv[:1] == ["-t"]:
        bound, argv = float(argv[1]), argv[2:]
    label, flows = argv[0], argv[1:]
    results = await asyncio.gather(*(probe(f, bound) for f in flows))
    for what, result in results:
        print(f"{label} {what} {result}")


asyncio.run(main(sys.argv[1:]))

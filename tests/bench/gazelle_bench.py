#!/usr/bin/env python3
"""libgazelle benchmark: the same pod topology and run, servers on the kernel stack and on
libgazelle (AF_XDP, DPDK net_af_xdp, DPDK net_af_packet). redis-benchmark GET/SET rps and p99,
wrk -> nginx rps and p99, and the server's CPU time per request. Prints a table, writes JSON.
Asserts nothing about speed. Server pinned to CPU 1, clients to CPU 0.

usage: gazelle_bench.py BUILD_DIR PREFIX OUT_JSON [--seconds N]"""
import json, os, re, subprocess, sys, time

build, prefix, out_json = sys.argv[1], sys.argv[2], sys.argv[3]
seconds = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 5
A, B = f"{prefix}-a", f"{prefix}-b"
POD_IF, PEER_IF = "gbench0", "gbench1"
KERNEL_IP, USER_IP, PEER_IP = "10.75.0.2", "10.75.0.3", "10.75.0.1"
work = f"/tmp/netaccel-bench-{prefix}"
lib = f"{build}/libgazelle/libgazelle.so"
steer = f"{build}/bpf-gen/gazelle_steer/gazelle_steer.bpf.o"


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stdout}{r.stderr}")
    return r.stdout


def configs():
    base = f"host_addr = {USER_IP}\nmask_addr = 255.255.255.0\nstats_dir = {work}/stats\n"
    return {
        "gazelle af_xdp": base + f"xdp_eth_name = {POD_IF}\n",
        "gazelle dpdk af_xdp": base + f'backend = dpdk\nxdp_eth_name = {POD_IF}\ndpdk_args = ["-l", "1", "--vdev=net_af_xdp0,iface={POD_IF},xdp_prog={steer}"]\n',
        "gazelle dpdk af_packet": base + f'backend = dpdk\nrx_csum_check = 0\ndpdk_args = ["-l", "1", "--vdev=net_af_packet0,iface={POD_IF}"]\n',
    }


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def start_server(cmd, mode, port, ip):
    env = ""
    if mode != "kernel":
        path = f"{work}/{mode.replace(' ', '_')}.conf"
        open(path, "w").write(configs()[mode])
        env = f"env LD_PRELOAD={lib} GAZELLE_CONF={path} "
    log = open(f"{work}/server.log", "a")
    p = subprocess.Popen(f"exec nsenter --net=/run/netns/{A} {env}taskset -c 1 sh -c 'ulimit -n $(ulimit -Hn); exec {cmd}'",
                         shell=True, stdout=log, stderr=log)
    for _ in range(200):
        if subprocess.run(f"ip netns exec {B} bash -c 'exec 3<>/dev/tcp/{ip}/{port}' 2>/dev/null", shell=True).returncode == 0:
            return p
        time.sleep(0.05)
    p.kill()
    raise RuntimeError(f"{mode}: server did not come up: " + open(f"{work}/server.log").read()[-2000:])


def stop(p):
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def in_b(cmd):
    return sh(f"ip netns exec {B} taskset -c 0 sh -c 'ulimit -n $(ulimit -Hn); {cmd}'")


def redis_round(mode):
    ip = KERNEL_IP if mode == "kernel" else USER_IP
    p = start_server(f"redis-server --bind {ip} --port 6379 --save \"\" --appendonly no --protected-mode no", mode, 6379, ip)
    rows = []
    try:
        n = 40000 * seconds
        for test in ("SET", "GET"):
            c0 = cpu_seconds(p.pid)
            out = in_b(f"redis-benchmark -h {ip} -t {test.lower()} -n {n} -c 50 --csv")
            cpu = cpu_seconds(p.pid) - c0
            line = [l for l in out.splitlines() if l.startswith(f'"{test}"')][0]
            f = [x.strip('"') for x in line.split(",")]
            rows.append({"app": "redis", "test": test, "mode": mode, "rps": float(f[1]), "p99_ms": float(f[6]),
                         "cpu_us_per_req": cpu * 1e6 / n})
    finally:
        stop(p)
    return rows


def nginx_round(mode):
    ip = KERNEL_IP if mode == "kernel" else USER_IP
    conf = f"{work}/nginx.conf"
    open(conf, "w").write(f"""daemon off; master_process off; worker_rlimit_nofile 16384;
error_log {work}/nginx-error.log warn; pid {work}/nginx.pid;
events {{ worker_connections 4096; use epoll; }}
http {{ access_log off; keepalive_requests 1000000; client_body_temp_path {work}/b; proxy_temp_path {work}/p;
  fastcgi_temp_path {work}/f; uwsgi_temp_path {work}/u; scgi_temp_path {work}/s;
  server {{ listen {ip}:80 backlog=4096; location = /hello {{ return 200 "hello\\n"; }} }} }}
""")
    p = start_server(f"nginx -c {conf}", mode, 80, ip)
    try:
        c0 = cpu_seconds(p.pid)
        out = in_b(f"wrk -t1 -c100 -d{seconds}s --latency http://{ip}/hello")
        cpu = cpu_seconds(p.pid) - c0
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
        return [{"app": "nginx", "test": "GET /hello", "mode": mode, "rps": rps, "p99_ms": p99,
                 "cpu_us_per_req": cpu * 1e6 / max(reqs, 1)}]
    finally:
        stop(p)


def topology():
    sh(f"ip netns add {A} && ip netns add {B} && ip link add {POD_IF} netns {A} type veth peer name {PEER_IF} netns {B}")
    sh(f"ip -n {A} addr add {KERNEL_IP}/24 dev {POD_IF} && ip -n {B} addr add {PEER_IP}/24 dev {PEER_IF}")
    sh(f"ip -n {A} link set {POD_IF} up && ip -n {B} link set {PEER_IF} up && ip -n {A} link set lo up && ip -n {B} link set lo up")


def set_offloads(mode):
    # A packet socket sees GRO/TSO super-frames whole: af_packet needs MTU-sized frames.
    off = "off" if mode == "gazelle dpdk af_packet" else "on"
    sh(f"ip netns exec {B} ethtool -K {PEER_IF} tso {off} gso {off} >/dev/null")
    sh(f"ip netns exec {A} ethtool -K {POD_IF} gro {off} >/dev/null", check=False)


def machine():
    """CPU model, kernel and mitigations: every table names the machine it was measured on."""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    vdir = "/sys/devices/system/cpu/vulnerabilities"
    mit = []
    for n in sorted(os.listdir(vdir)) if os.path.isdir(vdir) else []:
        state = open(f"{vdir}/{n}").read().strip()
        if state.startswith("Mitigation: "):
            mit.append(f"{n}={re.split('[;,]', state[12:])[0]}")
        elif state.startswith("Vulnerable"):
            mit.append(f"{n}=vulnerable")
    return f"{cpu} ({os.cpu_count()} CPUs), kernel {os.uname().release}, mitigations: {', '.join(mit) or 'none reported'}"


def cell(v, width, fmt):
    return f"{v:{width}{fmt}}" if isinstance(v, (int, float)) else f"{'n/a':>{width}}"


def main():
    os.makedirs(f"{work}/stats", exist_ok=True)
    topology()
    modes = ["kernel", "gazelle af_xdp", "gazelle dpdk af_xdp", "gazelle dpdk af_packet"]
    tests = [("redis", "SET"), ("redis", "GET"), ("nginx", "GET /hello")]
    rows = []
    for mode in modes:
        set_offloads(mode)
        for name, fn in (("redis", redis_round), ("nginx", nginx_round)):
            try:
                rows += fn(mode)
            except Exception as e:  # measured or said why not: never a 0
                rows += [{"app": a, "test": t, "mode": mode, "na": f"{type(e).__name__}: {e}"[:200]}
                         for a, t in tests if a == name]
    base = {(r["app"], r["test"]): r for r in rows if r["mode"] == "kernel" and "na" not in r}
    for r in rows:
        b = base.get((r["app"], r["test"]))
        if "na" in r or not b:
            continue
        r["x_rps"] = r["rps"] / b["rps"]
        if r["cpu_us_per_req"] > 0:
            r["x_cpu"] = b["cpu_us_per_req"] / r["cpu_us_per_req"]
    m = machine()
    print(f"machine: {m}")
    hdr = f"{'app':6} {'test':11} {'server':23} {'rps':>10} {'x base':>7} {'p99 ms':>7} {'cpu us/rq':>10} {'x cpu':>6}"
    print(hdr)
    for r in sorted(rows, key=lambda r: (r["app"], r["test"], modes.index(r["mode"]))):
        print(f"{r['app']:6} {r['test']:11} {r['mode']:23} {cell(r.get('rps'), 10, '.0f')} {cell(r.get('x_rps'), 7, '.2f')} "
              f"{cell(r.get('p99_ms'), 7, '.3f')} {cell(r.get('cpu_us_per_req'), 10, '.2f')} {cell(r.get('x_cpu'), 6, '.2f')}")
    missing = [r for r in rows if "na" in r]
    if missing:
        print("not measured:")
        for r in missing:
            print(f"  {r['app']} {r['test']} {r['mode']}: n/a ({r['na']})")
    json.dump({"benchmark": "gazelle", "machine": m, "seconds": seconds, "rows": rows}, open(out_json, "w"), indent=2)
    print(f"wrote {out_json}")
    return 1 if missing else 0


try:
    status = main()
finally:
    sh(f"ip netns del {A}", check=False)
    sh(f"ip netns del {B}", check=False)
    sh(f"rm -rf {work}", check=False)
sys.exit(status)

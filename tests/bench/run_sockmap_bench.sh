#!/bin/bash
# Runs the netaccel-sockmap benchmark end to end: a cgroup, two pod namespaces, private bus,
# daemon, sockmap_bench, teardown.   run_sockmap_bench.sh SOURCE_DIR BUILD_DIR [options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
P=nasb$$
DIR=/tmp/netaccel-bench-$P
PIN=/sys/fs/bpf/netaccel-bench-$P
ROOT=$( [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && echo /sys/fs/cgroup || echo /sys/fs/cgroup/unified )
CG=$ROOT/netaccel-bench-$P
DAEMON=
cleanup() {
  for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  "$BUILD/services/sockmap/netaccel-sockmap" --purge -c /dev/null --pin-root "$PIN" >/dev/null 2>&1
  rmdir "$PIN" "$CG" 2>/dev/null
  ip netns del "$P-a" 2>/dev/null; ip netns del "$P-b" 2>/dev/null
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR" "$CG"
ip netns add "$P-a" && ip netns add "$P-b"
ip link add sb0 netns "$P-a" type veth peer name sb1 netns "$P-b"
for n in a b; do ip -n "$P-$n" link set lo up; done
ip -n "$P-a" link set sb0 up && ip -n "$P-b" link set sb1 up
ip -n "$P-a" addr add 10.80.0.1/24 dev sb0 && ip -n "$P-b" addr add 10.80.0.2/24 dev sb1
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Sockmap.conf")
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
# The daemon with bulk bypass BULK (off, on): it is fixed when the program loads.
start_daemon() {
  printf '[sockmap]\ncgroups = %s\nlocal_prefixes = 10.80.0.0/24\npin_root = %s\nbulk_bypass = %s\n' "$CG" "$PIN" "$1" > "$DIR/sockmap.conf"
  NETACCEL_LOG=stderr "$BUILD/services/sockmap/netaccel-sockmap" -c "$DIR/sockmap.conf" 2>> "$DIR/daemon.log" &
  DAEMON=$!
  for _ in $(seq 50); do busctl --address="$ADDR" status org.openeuler.NetAccel1.Sockmap >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_daemon() { kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; DAEMON=; }
# Every message redirected, against the kernel; then the streams again with bulk bypass on,
# which leaves a socket to TCP once it sends 4 MiB unanswered (what `auto` picks on a
# page-table-isolation machine): the operator sees on this machine which one wins for bulk.
start_daemon off
"$BUILD/tests/bench/sockmap_bench" --cgroup "$CG" --ns-a "$P-a" --ns-b "$P-b" --out "$BUILD/bench" "$@"
rc=$?
stop_daemon
start_daemon on
"$BUILD/tests/bench/sockmap_bench" --cgroup "$CG" --ns-a "$P-a" --ns-b "$P-b" --out "$BUILD/bench" --streams-only \
  --path-label "sockmap+bulk" --json sockmap_bulk.json "$@" | grep -v '^(x p50'
rc2=${PIPESTATUS[0]}
echo "(sockmap: every message redirected; sockmap+bulk: bulk bypass on, a socket back to TCP after 4 MiB unanswered)"
exit $(( rc || rc2 ))

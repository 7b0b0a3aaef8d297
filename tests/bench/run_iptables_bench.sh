#!/bin/bash
# netaccel-iptables against iptables-legacy and iptables-nft in one run: the router topology
# of the differential test, each back end alone on the router in turn (the netaccel daemon on
# a private bus), then the report.   run_iptables_bench.sh SOURCE_DIR BUILD_DIR [--sizes ...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
P=naib$$
DIR=/tmp/netaccel-bench-$P
PIN=/sys/fs/bpf/netaccel-bench-$P
OUT=$BUILD/bench
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  "$BUILD/services/iptables/netaccel-iptablesd" --purge -c /dev/null --pin-root "$PIN" >/dev/null 2>&1
  rmdir "$PIN" 2>/dev/null
  "$SRC/tests/integration/iptables/topology.sh" down "$P"
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR" "$OUT"/iptables-rules-*
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR" "$OUT"
# Each back end gets a fresh router: tables another back end left behind (a kernel nat table
# walks every new connection) must not count against the next one.
fresh_topology() {
  "$SRC/tests/integration/iptables/topology.sh" down "$P"
  "$SRC/tests/integration/iptables/topology.sh" up "$P" || exit 1
  # The generator sends with XDP_TX on the client's veth: the router side needs GRO (NAPI) for it.
  ip netns exec "$P-r" ethtool -K rc0 gro on >/dev/null
  ip netns exec "$P-c" ping -c1 -W1 10.61.2.2 >/dev/null  # neighbours resolved before timing
}
bench() { "$BUILD/tests/bench/iptables_bench" --prefix "$P" --out "$OUT" --bin "$BUILD" "$@"; }
for b in legacy nft; do
  fresh_topology
  bench --backend "$b" "$@" || exit 1
done
fresh_topology
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Iptables.conf")
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[iptables]\ninterfaces = rc0, rs0\nstate_file = %s/state.rules\nstate_file6 = %s/state6.rules\npin_root = %s\n' "$DIR" "$DIR" "$PIN" > "$DIR/iptables.conf"
NETACCEL_LOG=stderr nsenter --net="/run/netns/$P-r" "$BUILD/services/iptables/netaccel-iptablesd" -c "$DIR/iptables.conf" 2>"$DIR/daemon.log" &
DAEMON=$!
for i in $(seq 1 100); do "$BUILD/services/iptables/netaccel-iptables" -S >/dev/null 2>&1 && break; sleep 0.2; done
bench --backend netaccel "$@" || { cat "$DIR/daemon.log"; exit 1; }
bench --report

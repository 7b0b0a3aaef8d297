#!/bin/bash
# Runs the netaccel-fwd benchmark end to end: lab, private bus, daemon, fwd_bench, teardown.
#   run_fwd_bench.sh SOURCE_DIR BUILD_DIR [fwd_bench options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
P=nab$$
DIR=/tmp/netaccel-bench-$P
PIN=/sys/fs/bpf/netaccel-bench-$P
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  "$BUILD/services/fwd/netaccel-fwd" --purge -c /dev/null --pin-root "$PIN" >/dev/null 2>&1
  rmdir "$PIN" 2>/dev/null
  "$SRC/tests/lib/topology.sh" down "$P"
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR"
"$SRC/tests/lib/topology.sh" up "$P" 2 2 || exit 1
if [ -S /run/dbus/system_bus_socket ] && [ -z "${NETACCEL_PRIVATE_BUS:-}" ] &&
   [ -f /usr/share/dbus-1/system.d/org.openeuler.NetAccel1.Fwd.conf ]; then
  ADDR=unix:path=/run/dbus/system_bus_socket
else
  read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Fwd.conf")
fi
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[fwd]\nauto_attach = no\npin_root = %s\n' "$PIN" > "$DIR/fwd.conf"
NETACCEL_LOG=stderr nsenter --net=/run/netns/$P-node "$BUILD/services/fwd/netaccel-fwd" -c "$DIR/fwd.conf" \
  2> "$DIR/daemon.log" &
DAEMON=$!
for _ in $(seq 50); do busctl --address="$ADDR" status org.openeuler.NetAccel1.Fwd >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/tests/bench/fwd_bench" --prefix "$P" --out "$BUILD/bench" "$@"
status=$?
if [ -n "${NETACCEL_LAB_SHOW:-}" ]; then
  ctl() { echo "\$ netaccelctl $*"; "$BUILD/services/ctl/netaccelctl" "$@"; }
  echo; echo "== the lab with netaccel-fwd attached (routed pods: router mode, bridged pods: bridge mode)"
  for i in vr1 vr2; do "$BUILD/services/ctl/netaccelctl" fwd attach $i router; done
  for i in vb1 vb2; do "$BUILD/services/ctl/netaccelctl" fwd attach $i bridge; done
  ip netns exec "$P-r1" ping -q -c 20 -i 0.01 10.78.2.2 | tail -2
  ip netns exec "$P-b1" ping -q -c 20 -i 0.01 10.77.0.12 | tail -2
  ctl fwd status
  ctl fwd stats vr1
  echo "(tearing the lab down)"
fi
exit $status


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

#!/bin/bash
# Runs the netaccel-agent benchmark: a private bus with the shipped policy, the daemon with a
# scratch state directory, agent_bench, teardown.   run_agent_bench.sh SOURCE_DIR BUILD_DIR [options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
DIR=/tmp/netaccel-bench-naab$$
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR" "$BUILD/bench"
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Agent.conf")
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[agent]\nstate_dir = %s/state\n' "$DIR" > "$DIR/agent.conf"
NETACCEL_LOG=stderr "$BUILD/services/agent/netaccel-agent" -c "$DIR/agent.conf" 2>"$DIR/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do busctl --address="$ADDR" status org.openeuler.NetAccel1.Agent >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/tests/bench/agent_bench" --out "$BUILD/bench" "$@" || { tail -5 "$DIR/daemon.log"; exit 1; }

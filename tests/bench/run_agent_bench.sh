#!/bin/bash
# Runs the netaccel-agent benchmarks: a private bus with the shipped policies, the daemon with a
# scratch state directory, agent_bench (what a change costs), then cni_bench (what the CNI
# plugin adds to a pod's ADD and DEL, without and with netaccel-fwd), teardown.
#   run_agent_bench.sh SOURCE_DIR BUILD_DIR [agent_bench options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
DIR=/tmp/netaccel-bench-naab$$
PREFIX=nacb$$
PINS=/sys/fs/bpf/netaccel-bench-$PREFIX
DAEMON=
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  [ -f "$DIR/fwd.pid" ] && kill "$(cat "$DIR/fwd.pid")" 2>/dev/null
  for _ in $(seq 50); do [ -f "$DIR/fwd.pid" ] && kill -0 "$(cat "$DIR/fwd.pid")" 2>/dev/null || break; sleep 0.1; done
  "$BUILD/services/fwd/netaccel-fwd" --purge -c /dev/null --pin-root "$PINS" >/dev/null 2>&1
  rmdir "$PINS" 2>/dev/null
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX"); do ip netns del "$ns"; done
  ip link del "${PREFIX}br" 2>/dev/null
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR/cni-bin" "$BUILD/bench"
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Agent.conf" \
  "$SRC/systemd/org.openeuler.NetAccel1.Fwd.conf")
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[agent]\nstate_dir = %s/state\n' "$DIR" > "$DIR/agent.conf"
NETACCEL_LOG=stderr "$BUILD/services/agent/netaccel-agent" -c "$DIR/agent.conf" 2>"$DIR/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do busctl --address="$ADDR" status org.openeuler.NetAccel1.Agent >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/tests/bench/agent_bench" --out "$BUILD/bench" "$@" || { tail -5 "$DIR/daemon.log"; exit 1; }

echo
[ -x /usr/lib/cni/bridge ] || { echo "cni: n/a (containernetworking-plugins not installed)"; exit 1; }
for f in /usr/lib/cni/*; do ln -s "$f" "$DIR/cni-bin/"; done
ln -s "$BUILD/services/cni/netaccel" "$DIR/cni-bin/netaccel"
printf '[fwd]\nhook = tc\nauto_attach = no\npin_root = %s\n' "$PINS" > "$DIR/fwd.conf"
FWD_UP="NETACCEL_LOG=stderr $BUILD/services/fwd/netaccel-fwd -c $DIR/fwd.conf 2>$DIR/fwd.log & echo \$! > $DIR/fwd.pid;
  for _ in \$(seq 100); do busctl --address=$ADDR status org.openeuler.NetAccel1.Fwd >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
FWD_COUNT="busctl --address=$ADDR --json=short call org.openeuler.NetAccel1.Fwd /org/openeuler/NetAccel1/Fwd \
  org.openeuler.NetAccel1.Fwd ListInterfaces | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"data\"][0]))'"
"$BUILD/tests/bench/cni_bench" --plugins "$DIR/cni-bin" --work "$DIR" --bus "$ADDR" --prefix "$PREFIX" \
  --dataplanes-up "$FWD_UP" --fwd-count "$FWD_COUNT" --out "$BUILD/bench" || { tail -n 3 "$DIR/daemon.log" "$DIR/fwd.log"; exit 1; }

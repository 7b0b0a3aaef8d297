#!/bin/bash
# Runs the netaccel-policy benchmark: the client/router/server topology, veths for the pods it
# adds, a private bus for netaccel-iptablesd, policy_bench inside the router namespace (it
# runs netaccel-policy's service and enforcer itself, drives iptables-legacy there and starts
# netaccel-iptablesd for its rows), teardown.
#   run_policy_bench.sh SOURCE_DIR BUILD_DIR [policy_bench options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
P=napb$$
DIR=/tmp/netaccel-policy-bench-$P
PIN=/sys/fs/bpf/netaccel-policy-bench-$P
cleanup() {
  "$BUILD/services/iptables/netaccel-iptablesd" --purge -c "$DIR/iptables.conf" >/dev/null 2>&1
  "$BUILD/services/policy/netaccel-policy" --purge -c /dev/null --pin-root "$PIN" >/dev/null 2>&1
  rm -rf "$PIN" 2>/dev/null
  "$SRC/tests/integration/iptables/topology.sh" down "$P"
  "$SRC/tests/lib/private-bus.sh" stop "$DIR/bus"
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
mkdir -p "$DIR"
"$SRC/tests/integration/iptables/topology.sh" up "$P" >/dev/null || exit 1
# The generator sends with XDP_TX on the client's veth: the router side needs GRO for it.
ip netns exec "$P-r" ethtool -K rc0 gro on >/dev/null
ip netns exec "$P-c" ping -c1 -W1 10.61.2.2 >/dev/null
for i in 0 1 2 3 4; do
  ip -n "$P-r" link add "rn$i" type veth peer name "rn${i}p" && ip -n "$P-r" link set "rn$i" up || exit 1
done
read -r ADDR _ < <("$SRC/tests/lib/private-bus.sh" start "$DIR/bus" "$SRC/systemd/org.openeuler.NetAccel1.Iptables.conf")
export DBUS_SYSTEM_BUS_ADDRESS=$ADDR
printf '[iptables]\ninterfaces = rc0, rs0\nstate_file = %s/state.rules\nstate_file6 = %s/state6.rules\npin_root = %s\n' "$DIR" "$DIR" "$PIN" > "$DIR/iptables.conf"
mkdir -p "$BUILD/bench"
ip netns exec "$P-r" "$BUILD/tests/bench/policy_bench" --prefix "$P" --out "$BUILD/bench" --pin-root "$PIN" --bin "$BUILD" \
  --iptables-conf "$DIR/iptables.conf" "$@"

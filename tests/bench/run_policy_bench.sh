#!/bin/bash
# Runs the netaccel-policy benchmark: the client/router/server topology, policy_bench inside
# the router namespace (it loads policy.bpf.o itself and drives iptables-legacy there), teardown.
#   run_policy_bench.sh SOURCE_DIR BUILD_DIR [policy_bench options...]
set -uo pipefail
SRC=$1 BUILD=$2
shift 2
P=napb$$
cleanup() { "$SRC/tests/integration/iptables/topology.sh" down "$P"; }
trap cleanup EXIT INT TERM
"$SRC/tests/integration/iptables/topology.sh" up "$P" >/dev/null || exit 1
# The generator sends with XDP_TX on the client's veth: the router side needs GRO for it.
ip netns exec "$P-r" ethtool -K rc0 gro on >/dev/null
ip netns exec "$P-c" ping -c1 -W1 10.61.2.2 >/dev/null
mkdir -p "$BUILD/bench"
ip netns exec "$P-r" "$BUILD/tests/bench/policy_bench" --prefix "$P" --out "$BUILD/bench" "$@"

#!/bin/bash
# The lab demo: builds netaccel, creates a node-like lab in network namespaces (pods on a Linux
# bridge and routed pods), starts netaccel-fwd (on the system bus if it is there, else on a
# private one), measures kernel vs netaccel paths, shows netaccelctl, and tears it all down;
# then the same for netaccel-sockmap (loopback, pod to pod, through a sidecar proxy), and
# redis/nginx on libgazelle's user-mode stack against the kernel stack, and iptables rulesets
# on iptables-legacy, iptables-nft and netaccel-iptables.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/prepare-host.sh"
"$src/scripts/build.sh" "$build" netaccel-fwd netaccel-sockmap netaccelctl fwd_bench sockmap_bench gazelle gazelle-dpdk gazellectl \
  netaccel-iptables-daemon netaccel-iptables netaccel-iptables-restore netaccel-iptables-save iptables_bench \
  netaccel-agent netaccelctl agent_bench netaccel-cni cni_bench
echo "== netaccel-fwd: pod to pod on one node"
NETACCEL_LAB_SHOW=1 "$src/tests/bench/run_fwd_bench.sh" "$src" "$build" "$@"
echo; echo "== netaccel-sockmap: same-node sockets"
"$src/tests/bench/run_sockmap_bench.sh" "$src" "$build"
echo; echo "== libgazelle: redis and nginx on the user-mode stack (AF_XDP, DPDK) vs the kernel stack"
"$src/tests/bench/run_gazelle_bench.sh" "$src" "$build"
echo; echo "== netaccel-iptables: FORWARD rules in iptables-legacy, iptables-nft and netaccel"
"$src/tests/bench/run_iptables_bench.sh" "$src" "$build"
echo; echo "== netaccel-agent: what a change of the cluster objects costs"
"$src/tests/bench/run_agent_bench.sh" "$src" "$build"

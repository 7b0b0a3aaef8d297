#!/bin/bash
# The lab demo: builds netaccel, makes a node whose pods podman creates through CNI (bare
# namespaces where podman cannot run, saying so) and shows `netaccelctl status` and the pods'
# endpoints; then measures every accelerated path against the kernel's in network namespaces:
# netaccel-fwd (pod to pod), netaccel-sockmap (loopback, pod to pod, sidecar), libgazelle
# (redis and nginx on the user-mode stack), netaccel-iptables (against iptables-legacy and
# -nft), netaccel-agent and the CNI plugin, netaccel-policy (against iptables-legacy). Writes
# build/lab/report.html: the node, every benchmark's table and plots, and the machine they ran
# on. Tears everything down.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${NETACCEL_BUILD_DIR:-$src/build}
"$src/scripts/prepare-host.sh" || exit 1
"$src/scripts/build.sh" "$build" netaccel-fwd netaccel-sockmap netaccelctl fwd_bench sockmap_bench gazelle gazelle-dpdk gazellectl \
  netaccel-iptables-daemon netaccel-iptables netaccel-iptables-restore netaccel-iptables-save iptables_bench \
  netaccel-agent agent_bench netaccel-cni cni_bench netaccel-policy policy_bench lab_report || exit 1
failed=()
step() {  # step NAME COMMAND...: runs it, remembers a failure, goes on with the next
  local name=$1
  shift
  echo; echo "== $name"
  "$@" || failed+=("$name")
}
step "the node: pods through podman and CNI, netaccel wiring them" "$src/tests/lab/node.sh" "$src" "$build" "$build/lab"
step "netaccel-fwd: pod to pod on one node" env NETACCEL_LAB_SHOW=1 "$src/tests/bench/run_fwd_bench.sh" "$src" "$build" "$@"
step "netaccel-sockmap: same-node sockets" "$src/tests/bench/run_sockmap_bench.sh" "$src" "$build"
step "libgazelle: redis and nginx on the user-mode stack (AF_XDP, DPDK) vs the kernel stack" "$src/tests/bench/run_gazelle_bench.sh" "$src" "$build"
step "netaccel-iptables: FORWARD rules in iptables-legacy, iptables-nft and netaccel" "$src/tests/bench/run_iptables_bench.sh" "$src" "$build"
step "netaccel-agent: what a change of the cluster objects costs" "$src/tests/bench/run_agent_bench.sh" "$src" "$build"
step "netaccel-policy: NetworkPolicy by identity against its per-address iptables translation" "$src/tests/bench/run_policy_bench.sh" "$src" "$build"
step "the report" "$build/tests/lab/lab_report" --bench "$build/bench" --node "$build/lab" --out "$build/lab/report.html"
echo
if [ ${#failed[@]} -gt 0 ]; then
  printf 'lab: these steps did not complete (their output is above):\n'; printf '  %s\n' "${failed[@]}"
  exit 1
fi
echo "lab: done; open $build/lab/report.html in a browser"

#!/bin/bash
# A node-like lab in network namespaces: one "node" namespace holding a Linux bridge with
# bridged pods and routed pods on their own veths. Shared by the integration tests, the lab
# demo and the benchmark so all three measure the same thing.
#
#   topology.sh up   PREFIX [NBRIDGED [NROUTED]]
#   topology.sh down PREFIX
#   topology.sh add-routed PREFIX I      (re-)create routed pod I
#   topology.sh del-pod PREFIX NAME       delete a pod namespace (its veth goes with it)
#   topology.sh add-direct PREFIX         pods d1 (10.79.0.1) and d2 (10.79.0.2) on one veth pair:
#                                         the benchmark's ceiling, no node in between
#
# Namespaces: PREFIX-node, PREFIX-b1.., PREFIX-r1.. . Inside the node: bridge "br0"
# (10.77.0.1/24, fd77::1/64), bridged pod i: 10.77.0.(10+i), host port "vb<i>";
# routed pod i: 10.78.i.2/24 via 10.78.i.1 on host veth "vr<i>" (fd78:i::2/64 via fd78:i::1).
set -euo pipefail
cmd=$1 P=$2

node_exec() { ip netns exec "$P-node" "$@"; }

add_bridged() {
  local i=$1 ns="$P-b$1"
  ip netns add "$ns"
  ip -n "$P-node" link add "vb$i" type veth peer name eth0 netns "$ns"
  ip -n "$P-node" link set "vb$i" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 address "02:77:00:00:00:$(printf %02x "$i")" up
  ip -n "$ns" addr add "10.77.0.$((10 + i))/24" dev eth0
  ip -n "$ns" addr add "fd77::$((10 + i))/64" dev eth0 nodad
  ip -n "$ns" route add default via 10.77.0.1
}

add_routed() {
  local i=$1 ns="$P-r$1"
  ip netns add "$ns"
  ip -n "$P-node" link add "vr$i" type veth peer name eth0 netns "$ns"
  ip -n "$P-node" link set "vr$i" address "02:78:00:00:01:$(printf %02x "$i")" up
  ip -n "$P-node" addr add "10.78.$i.1/24" dev "vr$i"
  ip -n "$P-node" addr add "fd78:$i::1/64" dev "vr$i" nodad
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 address "02:78:00:00:02:$(printf %02x "$i")" up
  ip -n "$ns" addr add "10.78.$i.2/24" dev eth0
  ip -n "$ns" addr add "fd78:$i::2/64" dev eth0 nodad
  ip -n "$ns" route add default via "10.78.$i.1"
  ip -n "$ns" -6 route add default via "fd78:$i::1"
}

case "$cmd" in
up)
  NB=${3:-3} NR=${4:-3}
  ip netns add "$P-node"
  node_exec sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$P-node" link set lo up
  ip -n "$P-node" link add br0 type bridge
  ip -n "$P-node" link set br0 up
  ip -n "$P-node" addr add 10.77.0.1/24 dev br0
  ip -n "$P-node" addr add fd77::1/64 dev br0 nodad
  for i in $(seq 1 "$NB"); do add_bridged "$i"; done
  for i in $(seq 1 "$NR"); do add_routed "$i"; done
  ;;
add-routed) add_routed "$3" ;;
add-bridged) add_bridged "$3" ;;
del-pod) ip netns del "$P-$3" ;;
add-direct)
  for i in 1 2; do ip netns del "$P-d$i" 2>/dev/null || true; ip netns add "$P-d$i"; ip -n "$P-d$i" link set lo up; done
  ip -n "$P-d1" link add eth0 type veth peer name eth0 netns "$P-d2"
  for i in 1 2; do
    ip -n "$P-d$i" link set eth0 address "02:79:00:00:00:0$i" up
    ip -n "$P-d$i" addr add "10.79.0.$i/24" dev eth0
  done
  # The receiver drops what it counts, ARP too: the neighbours are fixed.
  ip -n "$P-d1" neigh replace 10.79.0.2 lladdr 02:79:00:00:00:02 dev eth0 nud permanent
  ip -n "$P-d2" neigh replace 10.79.0.1 lladdr 02:79:00:00:00:01 dev eth0 nud permanent
  ;;
down)
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P-" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  ;;
*) echo "usage: $0 up|down|add-routed|add-bridged|add-direct|del-pod PREFIX ..." >&2; exit 2 ;;
esac

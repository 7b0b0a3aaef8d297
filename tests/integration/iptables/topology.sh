#!/bin/bash
# A router between a client and a server network, for netaccel-iptables' differential tests:
#   C (10.61.1.2) --rc0-- R (10.61.1.1 | 10.61.2.1) --rs0-- S (10.61.2.2, 10.61.2.3)
# and the same in IPv6 (fd61:1::2, fd61:1::1 | fd61:2::1, fd61:2::2 and ::3), plus listeners
# of both families that answer with the peer and local address they saw (DNAT and SNAT show).
#   topology.sh up P | down P
set -e
cmd=$1 P=$2
if [ "$cmd" = down ]; then
  for n in c r s; do ip netns pids "$P-$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del "$P-$n" 2>/dev/null || true; done
  exit 0
fi
# No duplicate address detection in these namespaces, link-local addresses included: an
# address is usable the moment it exists, not a second later (tentative addresses would make
# the first neighbour discovery wait or fail, unevenly between two twins).
for n in c r s; do
  ip netns del "$P-$n" 2>/dev/null || true
  ip netns add "$P-$n"
  ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$P-$n" link set lo up
done
ip link add rc0 netns $P-r type veth peer name eth0 netns $P-c
ip link add rs0 netns $P-r type veth peer name eth0 netns $P-s
ip -n $P-c addr add 10.61.1.2/24 dev eth0; ip -n $P-c link set eth0 up; ip -n $P-c route add default via 10.61.1.1
ip -n $P-s addr add 10.61.2.2/24 dev eth0; ip -n $P-s addr add 10.61.2.3/24 dev eth0; ip -n $P-s link set eth0 up; ip -n $P-s route add default via 10.61.2.1
ip -n $P-r addr add 10.61.1.1/24 dev rc0; ip -n $P-r addr add 10.61.2.1/24 dev rs0; ip -n $P-r link set rc0 up; ip -n $P-r link set rs0 up
ip netns exec "$P-r" sysctl -qw net.ipv4.ip_forward=1
# IPv6 (no duplicate address detection: the addresses are usable at once).
ip -n $P-c addr add fd61:1::2/64 dev eth0 nodad; ip -n $P-c route add default via fd61:1::1
ip -n $P-s addr add fd61:2::2/64 dev eth0 nodad; ip -n $P-s addr add fd61:2::3/64 dev eth0 nodad; ip -n $P-s route add default via fd61:2::1
ip -n $P-r addr add fd61:1::1/64 dev rc0 nodad; ip -n $P-r addr add fd61:2::1/64 dev rs0 nodad
ip netns exec "$P-r" sysctl -qw net.ipv6.conf.all.forwarding=1
# The hosts' view of the router is fixed. Under a ruleset, neighbour discovery is the router's
# business (its solicitations leave through OUTPUT, the advertisements arrive at INPUT); a
# host's own reachability timer would otherwise decide, at a different moment in each twin,
# whether it re-solicits the router and so teaches it the host's address.
mac() { ip -n "$P-r" -br link show "$1" | awk '{print $3}'; }
ip -n $P-c neigh replace fd61:1::1 lladdr "$(mac rc0)" dev eth0 nud permanent
ip -n $P-s neigh replace fd61:2::1 lladdr "$(mac rs0)" dev eth0 nud permanent
for n in r s; do ip netns exec "$P-$n" sysctl -qw net.ipv6.icmp.ratelimit=0; done
# No ICMP rate limit: REJECT answers and the kernel's own errors must not take turns.
# (The server's too: its port-unreachable errors are what RELATED and their NAT are about.)
for n in r s; do ip netns exec "$P-$n" sysctl -qw net.ipv4.icmp_ratelimit=0; done
# The service address 10.61.9.9 lives behind S (R reaches it through S1, as a node would).
ip -n "$P-r" route add 10.61.9.0/24 via 10.61.2.2
ip -n "$P-r" route add fd61:9::/64 via fd61:2::2
here=$(cd "$(dirname "$0")" && pwd)
# Listeners of both families that answer "<peer>-<local>" (echo_listeners.py): one process
# per namespace, no fork per connection, so a loaded machine cannot make them late.
ip netns exec "$P-s" python3 "$here/echo_listeners.py" tcp:22 tcp:80 tcp:443 tcp:8080 udp:53 udp:5000 >/dev/null 2>&1 &
ip netns exec "$P-c" python3 "$here/echo_listeners.py" tcp:80 tcp:8080 >/dev/null 2>&1 &
ip netns exec "$P-r" python3 "$here/echo_listeners.py" tcp:2222 udp:5353 >/dev/null 2>&1 &
# A plain echo for long-lived connections (not part of the flow matrix).
ip netns exec "$P-s" socat TCP-LISTEN:7777,fork,reuseaddr PIPE >/dev/null 2>&1 &
# Neighbour caches filled before any ruleset: a burst of first packets to an unresolved IPv6
# neighbour loses some while neighbour discovery runs, unevenly between the twins.
for d in fd61:2::2 fd61:2::3 fd61:1::1; do ip netns exec "$P-c" ping -6 -c1 -W1 $d >/dev/null 2>&1 || true; done
ip netns exec "$P-s" ping -6 -c1 -W1 fd61:1::2 >/dev/null 2>&1 || true
ip netns exec "$P-s" ping -6 -c1 -W1 -I fd61:2::3 fd61:1::2 >/dev/null 2>&1 || true
# Up when every listener is (bounded only against a listener that never comes).
for i in $(seq 1 300); do
  [ "$(ip netns exec "$P-s" ss -ltn | grep -c ':8080 ')" = 2 ] && [ "$(ip netns exec "$P-c" ss -ltn | grep -c ':8080 ')" = 2 ] && [ "$(ip netns exec "$P-r" ss -ltn | grep -c ':2222 ')" = 2 ] &&
    [ "$(ip netns exec "$P-s" ss -lun | grep -c ':5000 ')" = 2 ] && [ "$(ip netns exec "$P-r" ss -lun | grep -c ':5353 ')" = 2 ] && exit 0
  sleep 0.1
done
echo "topology: listeners did not come up" >&2
exit 1

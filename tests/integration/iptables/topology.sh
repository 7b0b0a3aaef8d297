#!/bin/bash
# A router between a client and a server network, for netaccel-iptables' differential tests:
#   C (10.61.1.2) --rc0-- R (10.61.1.1 | 10.61.2.1) --rs0-- S (10.61.2.2, 10.61.2.3)
# plus listeners that answer with the peer and local address they saw, so DNAT and SNAT show.
#   topology.sh up P | down P
set -e
cmd=$1 P=$2
if [ "$cmd" = down ]; then
  for n in c r s; do ip netns pids "$P-$n" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del "$P-$n" 2>/dev/null || true; done
  exit 0
fi
for n in c r s; do ip netns del "$P-$n" 2>/dev/null || true; ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
ip link add rc0 netns $P-r type veth peer name eth0 netns $P-c
ip link add rs0 netns $P-r type veth peer name eth0 netns $P-s
ip -n $P-c addr add 10.61.1.2/24 dev eth0; ip -n $P-c link set eth0 up; ip -n $P-c route add default via 10.61.1.1
ip -n $P-s addr add 10.61.2.2/24 dev eth0; ip -n $P-s addr add 10.61.2.3/24 dev eth0; ip -n $P-s link set eth0 up; ip -n $P-s route add default via 10.61.2.1
ip -n $P-r addr add 10.61.1.1/24 dev rc0; ip -n $P-r addr add 10.61.2.1/24 dev rs0; ip -n $P-r link set rc0 up; ip -n $P-r link set rs0 up
ip netns exec "$P-r" sysctl -qw net.ipv4.ip_forward=1
# No ICMP rate limit: REJECT answers and the kernel's own errors must not take turns.
# (The server's too: its port-unreachable errors are what RELATED and their NAT are about.)
for n in r s; do ip netns exec "$P-$n" sysctl -qw net.ipv4.icmp_ratelimit=0; done
# The service address 10.61.9.9 lives behind S (R reaches it through S1, as a node would).
ip -n "$P-r" route add 10.61.9.0/24 via 10.61.2.2
echo_cmd='echo $SOCAT_PEERADDR-$SOCAT_SOCKADDR'
listen() { # ns proto port
  ip netns exec "$P-$1" socat "$2-LISTEN:$3,fork,reuseaddr" SYSTEM:"$echo_cmd" >/dev/null 2>&1 &
}
for port in 22 80 443 8080; do listen s TCP $port; done
here=$(cd "$(dirname "$0")" && pwd)
for port in 53 5000; do ip netns exec "$P-s" python3 "$here/udp_echo.py" $port >/dev/null 2>&1 & done
for port in 80 8080; do listen c TCP $port; done
# A plain echo for long-lived connections (not part of the flow matrix).
ip netns exec "$P-s" socat TCP-LISTEN:7777,fork,reuseaddr PIPE >/dev/null 2>&1 &
listen r TCP 2222
ip netns exec "$P-r" python3 "$here/udp_echo.py" 5353 >/dev/null 2>&1 &
for i in $(seq 1 50); do
  ip netns exec "$P-s" ss -ltn | grep -q ':8080 ' && ip netns exec "$P-r" ss -ltn | grep -q ':2222 ' &&
    ip netns exec "$P-s" ss -lun | grep -q ':5000 ' && ip netns exec "$P-r" ss -lun | grep -q ':5353 ' && exit 0
  sleep 0.1
done
echo "topology: listeners did not come up" >&2
exit 1
